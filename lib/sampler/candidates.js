'use strict';
// Candidate lines for an allocation suspect: the expressions in one function
// that add to a container living longer than the call.
//
// V8's sampling heap profiler names a function by its declaration position
// (0-based line and column of its parameter list), never the line inside it
// that allocated. This module parses the whole file with acorn, finds the
// function at that position, and lists what in it grows a container declared
// outside it:
//   x.push(…) x.unshift(…) x.splice(…) x.set(…) x.add(…)       (calls)
//   Array.prototype.push.apply(x, …) / .call(x, …)           (borrowed push)
//   Object.assign(x, …)                                       (merge)
//   x[k] = …  x.prop = …  x[k] ||= …                          (stores)
//   x += …  x = x.concat(…)  x = [...x, …]  x = { ...x, … }   (grown in place)
//   x = { next: x, … }  x = [item, x]  x = () => before()      (chained: the
//                                 new value keeps the old one, `before` a
//                                 local copy of x)
// where `x` (or the base of a member chain such as `a.b.c`, or `this`) is not
// declared inside the function: a module-scope binding, a binding of an
// enclosing function (a closure), `this`, a global, or a parameter (the
// caller's container); or a local that holds part of such a container
// (`const users = tenants.get(id)`, `const q = this.queue`), grown in place
// (a store into it, not a new value bound to the local). Ranked: the builtin
// seen in the allocation stack first (`set` → `.set(`); then what adds more
// than an empty container (`m.set(k, new Map())` adds one entry per new key,
// the growth is then in the inner one); then module scope, global, closure,
// `this`, parameter.
//
// A function V8 inlined into its caller is charged to the caller, so the
// functions the target calls by name in the same file are searched too, their
// candidates marked `inlined`.
//
// rowHoldsOwnLocal says, for a timer or listener registered in a function,
// whether its call reaches a local of that function that no candidate line
// stores (lib/sampler/attribution.js charges the function's bytes to the row
// only with such evidence, or when the function has no candidate line).
//
// Pure: takes source text, returns plain data. Parsed files are cached by the
// caller (lib/sampler/attribution.js), not here.

// acorn is loaded on the first parse (a verdict naming an allocation site),
// never at require time: an idle process should not carry a parser.
let acorn = null;

const GROW_METHODS = new Set(['push', 'unshift', 'splice', 'set', 'add', 'append', 'concat']);
// Builtin frame names (as the profile gives them) and the candidates they confirm.
const BUILTIN_METHOD = { push: 'push', unshift: 'unshift', splice: 'splice', set: 'set', add: 'add', assign: 'assign', concat: 'concat' };
// Globals that are not containers an application grows.
const NOT_CONTAINERS = new Set(['console', 'Math', 'JSON', 'Reflect', 'Atomics', 'Intl', 'Number', 'String', 'Boolean', 'Symbol', 'Promise', 'Date', 'Error', 'module', 'exports', 'require']);
const SCOPE_RANK = { module: 0, global: 1, closure: 2, this: 3, parameter: 4 };
const MAX_TEXT = 100;
const MAX_RIGHT = 40;
const MAX_CANDIDATES = 8;
// How deep calls are followed for inlined callees (caller → callee → its callee).
const INLINE_DEPTH = 2;

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression']);

/** Parses a whole file: script first (CommonJS), module on failure (or first for .mjs). Throws when neither parses. */
function parseSource(source, { module = false } = {}) {
  const base = { ecmaVersion: 'latest', locations: true, allowHashBang: true, allowReturnOutsideFunction: true };
  const kinds = module ? ['module', 'script'] : ['script', 'module'];
  let first = null;
  for (const sourceType of kinds) {
    try {
      if (acorn === null) acorn = require('acorn');
      return acorn.parse(source, { ...base, sourceType, allowReturnOutsideFunction: sourceType === 'script', allowAwaitOutsideFunction: sourceType === 'module' ? undefined : true });
    } catch (err) {
      if (first === null) first = err;
    }
  }
  throw first;
}

class Scope {
  constructor(owner, parent, isFunction) {
    this.owner = owner; // the function record for a function scope (and the program's), null for a block
    this.parent = parent;
    this.isFunction = isFunction; // the program counts as one (var hoists to it)
    this.decls = new Map(); // name -> { kind, init: function record | null, initNode (during analysis only) }
  }
  functionScope() {
    let s = this;
    while (!s.isFunction) s = s.parent;
    return s;
  }
  lookup(name) {
    for (let s = this; s !== null; s = s.parent) {
      const d = s.decls.get(name);
      if (d !== undefined) return { scope: s, decl: d };
    }
    return null;
  }
}

function children(node, out) {
  for (const key in node) {
    if (key === 'loc' || key === 'type' || key === 'start' || key === 'end') continue;
    const v = node[key];
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const c of v) if (c !== null && typeof c === 'object' && typeof c.type === 'string') out.push(c);
    } else if (typeof v.type === 'string') out.push(v);
  }
  return out;
}

function declarePattern(scope, pattern, kind, initNode = null) {
  if (pattern === null) return;
  switch (pattern.type) {
    case 'Identifier':
      scope.decls.set(pattern.name, { kind, init: null, initNode });
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties) declarePattern(scope, p.type === 'RestElement' ? p.argument : p.value, kind);
      break;
    case 'ArrayPattern':
      for (const e of pattern.elements) declarePattern(scope, e, kind);
      break;
    case 'RestElement':
      declarePattern(scope, pattern.argument, kind);
      break;
    case 'AssignmentPattern':
      declarePattern(scope, pattern.left, kind);
      break;
    default:
      break;
  }
}

/** The names a declaration pattern binds. */
function boundNames(pattern, out) {
  if (pattern === null) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name);
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties) boundNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of pattern.elements) boundNames(e, out);
      break;
    case 'RestElement':
      boundNames(pattern.argument, out);
      break;
    case 'AssignmentPattern':
      boundNames(pattern.left, out);
      break;
    default:
      break;
  }
  return out;
}

/** The base of a member/call chain: an Identifier, a ThisExpression, or null. */
function chainBase(node) {
  let n = node;
  for (;;) {
    if (n.type === 'MemberExpression') n = n.object;
    else if (n.type === 'CallExpression') n = n.callee;
    else if (n.type === 'ChainExpression' || n.type === 'ParenthesizedExpression') n = n.expression;
    else if (n.type === 'TSNonNullExpression') n = n.expression;
    else break;
  }
  return n.type === 'Identifier' || n.type === 'ThisExpression' ? n : null;
}

function propertyName(member) {
  if (member.type !== 'MemberExpression') return null;
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') return member.property.value;
  return null;
}

function unwrap(node) {
  let n = node;
  while (n.type === 'ParenthesizedExpression' || n.type === 'ChainExpression' || n.type === 'TSNonNullExpression' || n.type === 'TSAsExpression') n = n.expression;
  return n;
}

/**
 * The container a local's value is read from, when it is part of one
 * (`m.get(k)`, `obj.list`, `obj[k]`, `m.get(k) ?? …`, `(obj[k] ||= [])`, or
 * another binding itself): the expression whose chain base the local then
 * stands for; else null.
 */
function aliasSource(node) {
  const n = unwrap(node);
  switch (n.type) {
    case 'Identifier':
    case 'ThisExpression':
      return n;
    case 'MemberExpression':
      return chainBase(n) === null ? null : n;
    case 'LogicalExpression':
      return n.operator === '??' || n.operator === '||' ? aliasSource(n.left) : null;
    case 'AssignmentExpression':
      return n.left.type === 'MemberExpression' && (n.operator === '||=' || n.operator === '??=') ? aliasSource(n.left) : null;
    case 'CallExpression': {
      const callee = unwrap(n.callee);
      return callee.type === 'MemberExpression' && propertyName(callee) === 'get' && chainBase(callee.object) !== null ? callee.object : null;
    }
    default:
      return null;
  }
}

// New values that can hold the old one (chains()).
const CHAIN_VALUES = new Set(['ObjectExpression', 'ArrayExpression', 'NewExpression', 'FunctionExpression', 'ArrowFunctionExpression']);

const EMPTY_CONTAINERS = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Array', 'Object']);

/** `new Map()`, `[]`, `{}` (or `(x = new Map())`): a value that holds nothing yet. */
function isFreshEmpty(node) {
  const n = unwrap(node);
  if (n.type === 'AssignmentExpression' && n.operator === '=') return isFreshEmpty(n.right);
  if (n.type === 'ArrayExpression') return n.elements.length === 0;
  if (n.type === 'ObjectExpression') return n.properties.length === 0;
  if (n.type === 'NewExpression') return n.callee.type === 'Identifier' && EMPTY_CONTAINERS.has(n.callee.name) && n.arguments.length === 0;
  return false;
}

/** Whether growth `g` (from growthOf) of `node` adds only a fresh empty container. */
function seedsOnly(node, g) {
  if (node.type === 'CallExpression') {
    if (g.method !== 'set' && g.method !== 'push' && g.method !== 'unshift' && g.method !== 'add') return false;
    const args = g.method === 'set' ? node.arguments.slice(1) : node.arguments;
    return args.length > 0 && args.every((a) => a.type !== 'SpreadElement' && isFreshEmpty(a));
  }
  return node.type === 'AssignmentExpression' && g.method === 'index' && isFreshEmpty(node.right);
}

/**
 * `x = <new value that keeps the old one>`: a literal, `new` or function
 * whose value holds `x` itself (`{ next: x }`, `[item, x]`, `new Node(v, x)`)
 * or, inside a function, a local copy of `x` (`const before = x;
 * x = () => before()`: a closure over the old value). `x.part` holds only a
 * part, and a read of `x` inside a function is of its value at call time:
 * neither keeps the old value. True or false.
 */
function chains(node, scope) {
  if (node.operator !== '=' || node.left.type !== 'Identifier') return false;
  const name = node.left.name;
  const target = scope.lookup(name);
  if (target === null) return false;
  const right = unwrap(node.right);
  if (!CHAIN_VALUES.has(right.type)) return false;
  const copyOf = (id) => {
    const found = scope.lookup(id.name);
    const alias = found === null ? null : found.decl.alias;
    if (alias === null || alias === undefined || !alias.whole || alias.base.this || alias.base.name !== name) return false;
    const same = alias.scope.lookup(name);
    return same !== null && same.decl === target.decl;
  };
  let found = false;
  const walk = (n, inFunction) => {
    if (found) return;
    switch (n.type) {
      case 'Identifier':
        if ((!inFunction && n.name === name) || (n.name !== name && copyOf(n))) found = true;
        return;
      case 'MemberExpression':
        // `x.part` keeps a part of x, not x; a computed key is read, not kept.
        if (inFunction) walk(n.object, true);
        return;
      case 'Property':
        if (n.computed) walk(n.key, inFunction);
        walk(n.value, inFunction);
        return;
      case 'ConditionalExpression':
        walk(n.consequent, inFunction);
        walk(n.alternate, inFunction);
        return;
      case 'BinaryExpression':
      case 'LogicalExpression':
      case 'TemplateLiteral':
      case 'UnaryExpression':
      case 'UpdateExpression':
        // A primitive (`'' + x`), or one operand of a test: holds nothing.
        if (n.type !== 'LogicalExpression') return;
        walk(n.right, inFunction);
        if (n.operator !== '&&') walk(n.left, inFunction);
        return;
      case 'CallExpression':
        // What a call returns is not known to hold its arguments; a closure
        // in it can still hold a copy.
        if (inFunction) for (const c of children(n, [])) walk(c, true);
        return;
      default: {
        const nested = inFunction || FUNCTION_TYPES.has(n.type);
        for (const c of children(n, [])) walk(c, nested);
      }
    }
  };
  walk(right, false);
  return found;
}

/**
 * `x = x.upper` (or `const upper = x.upper; x = upper`): x is a stack that
 * is also popped, so `x = { upper: x }` elsewhere is a push that is undone.
 */
function pops(node, scope) {
  const right = unwrap(node.right);
  if (right.type === 'MemberExpression') return right.object.type === 'Identifier' && right.object.name === node.left.name;
  if (right.type !== 'Identifier') return false;
  const alias = scope.lookup(right.name)?.decl.alias;
  return alias !== undefined && !alias.whole && !alias.base.this && alias.base.name === node.left.name;
}

function sameText(source, a, b) {
  return source.slice(a.start, a.end).replace(/\s+/g, '') === source.slice(b.start, b.end).replace(/\s+/g, '');
}

function isNumber(node) {
  return node.type === 'Literal' && (typeof node.value === 'number' || typeof node.value === 'bigint');
}

/** `x += 1` or `x = x + 1` (any number literal): a counter step. */
function addsNumber(node) {
  const right = unwrap(node.right);
  if (node.operator === '+=') return isNumber(right);
  return node.operator === '=' && right.type === 'BinaryExpression' && right.operator === '+' && (isNumber(right.right) || isNumber(right.left));
}

/**
 * Reads one node as a growth expression: { receiver, method } or null.
 * `method` names the operation: a method name, 'index' (x[k] = …),
 * 'property' (x.p = …), 'append' (x += …), 'assign' (Object.assign),
 * 'concat' / 'spread' (grown and assigned back).
 */
function growthOf(node, source) {
  if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression') {
    const callee = node.callee;
    const name = propertyName(callee);
    // Array.prototype.push.apply(x, …) / [].push.call(x, …)
    if ((name === 'apply' || name === 'call') && node.arguments.length > 0) {
      const inner = propertyName(callee.object);
      if (inner !== null && GROW_METHODS.has(inner) && inner !== 'concat') return { receiver: node.arguments[0], method: inner };
      return null;
    }
    if (name === 'assign' && callee.object.type === 'Identifier' && callee.object.name === 'Object' && node.arguments.length > 1) {
      const target = node.arguments[0];
      if (target.type === 'ObjectExpression' || target.type === 'ArrayExpression') return null; // a fresh copy
      return { receiver: target, method: 'assign' };
    }
    if (name !== null && GROW_METHODS.has(name) && name !== 'concat') {
      if (callee.object.type === 'ArrayExpression' || callee.object.type === 'Literal' || callee.object.type === 'TemplateLiteral') return null;
      return { receiver: callee.object, method: name };
    }
    return null;
  }
  if (node.type === 'AssignmentExpression') {
    const left = node.left;
    const right = node.right;
    // `n += 1`, `x.count = x.count + 2`: a counter; adding a number grows nothing.
    if (addsNumber(node)) return null;
    if (left.type === 'MemberExpression') {
      if (node.operator === '+=') return { receiver: left, method: 'append' };
      if (node.operator !== '=' && node.operator !== '||=' && node.operator !== '??=' && node.operator !== '&&=') return null;
      // A counter or a flag replaces a value; it grows nothing.
      if (right.type === 'Literal' && typeof right.value !== 'string') return null;
      if (right.type === 'UpdateExpression' || right.type === 'UnaryExpression') return null;
      if (right.type === 'BinaryExpression' && right.operator !== '+') return null;
      if (right.type === 'BinaryExpression' && right.left.type === 'MemberExpression' && sameText(source, right.left, left)) {
        return { receiver: left, method: 'append' }; // x.log = x.log + …
      }
      if (right.type === 'CallExpression' && right.callee.type === 'MemberExpression' && propertyName(right.callee) === 'concat' && sameText(source, right.callee.object, left)) {
        return { receiver: left, method: 'concat' };
      }
      return { receiver: left.object, method: left.computed ? 'index' : 'property', key: left };
    }
    if (left.type === 'Identifier') {
      if (node.operator === '+=') return { receiver: left, method: 'append' };
      if (node.operator !== '=') return null;
      if (right.type === 'CallExpression' && right.callee.type === 'MemberExpression' && propertyName(right.callee) === 'concat' && right.callee.object.type === 'Identifier' && right.callee.object.name === left.name) {
        return { receiver: left, method: 'concat' };
      }
      if (right.type === 'BinaryExpression' && right.operator === '+' && right.left.type === 'Identifier' && right.left.name === left.name) {
        return { receiver: left, method: 'append' };
      }
      const spreads = right.type === 'ArrayExpression' ? right.elements : right.type === 'ObjectExpression' ? right.properties : [];
      if (spreads.some((e) => e !== null && e.type === 'SpreadElement' && e.argument.type === 'Identifier' && e.argument.name === left.name)) {
        return { receiver: left, method: 'spread' };
      }
    }
  }
  return null;
}

// Calls that register a timer or a listener: what their arguments reach, the row holds.
const REGISTERS = new Set(['setInterval', 'setTimeout', 'on', 'once', 'addListener', 'prependListener', 'prependOnceListener', 'addEventListener']);

/** The identifiers an expression reads (property names and object keys left out), appended to `out`. */
function namesIn(node, out) {
  if (node === null || typeof node !== 'object') return out;
  if (node.type === 'Identifier') {
    out.push(node.name);
    return out;
  }
  if (node.type === 'MemberExpression') {
    namesIn(node.object, out);
    if (node.computed) namesIn(node.property, out);
    return out;
  }
  if (node.type === 'Property') {
    if (node.computed) namesIn(node.key, out);
    namesIn(node.value, out);
    return out;
  }
  for (const c of children(node, [])) namesIn(c, out);
  return out;
}

/**
 * Whether the timer or listener registered at `line` inside the function
 * declared at (line0, column0) holds a local of that function that no line
 * growing a longer-lived container stores (directly or as part of a value
 * stored there): then the row is what keeps part of that function's
 * allocations alive. True, false, or null when no registration is there.
 * `declaredAt` (a 1-based line) names the function by its first line
 * instead: a callee V8 inlined into the profiled function.
 */
function rowHoldsOwnLocal(analysis, { line0, column0, line, declaredAt = null }) {
  const target = declaredAt === null ? functionAt(analysis, line0, column0) : analysis.functions.find((f) => f.line === declaredAt && line >= f.line && line <= f.endLine) ?? null;
  if (target === null) return null;
  const inTarget = (f) => (target.topLevel ? f === target : isNestedIn(f, target));
  const reg = analysis.registrations.find((r) => inTarget(r.fn) && r.line <= line && line <= r.endLine);
  if (reg === undefined) return null;
  const local = (name, scope) => {
    const found = scope.lookup(name);
    return found !== null && found.scope !== analysis.root && found.decl.kind !== 'function' && isInside(found.scope, target) ? found.decl : null;
  };
  const stored = new Set();
  const store = (name, scope) => {
    const d = local(name, scope);
    if (d === null || stored.has(d)) return;
    stored.add(d);
    for (const r of d.refs ?? []) store(r, d.refsScope);
  };
  for (const g of analysis.growths) {
    if (!inTarget(g.fn) || containerScope(analysis, g, target) === null) continue;
    for (const name of g.stores) store(name, g.scope);
  }
  return reg.names.some((name) => {
    const d = local(name, reg.scope);
    return d !== null && !stored.has(d);
  });
}

/**
 * Everything the finder needs from one file, computed once per parse and
 * kept without the syntax tree (which takes tens of bytes per source byte):
 * function records { start, bodyStart, line, endLine, name, parent, scope },
 * scopes with their declarations, growth expressions (text, container, base
 * binding, scope, function) and calls by name, plus the line starts.
 */
function analyse(source, options = {}) {
  const ast = parseSource(source, options);
  const program = { start: 0, bodyStart: 0, line: 1, endLine: ast.loc.end.line, name: null, parent: null, scope: null, topLevel: true };
  const root = new Scope(program, null, true);
  program.scope = root;
  const functions = [];
  const growths = [];
  const calls = [];
  const registrations = [];
  const scopes = [root];
  const records = new Map(); // function node -> record, during the analysis only

  // A local that holds part of a longer-lived container (aliasSource): what
  // is stored into it grows that container. The first such value is kept.
  const noteAlias = (decl, init, scope, part = false) => {
    if (decl === undefined || decl.alias !== undefined) return;
    const from = aliasSource(init);
    const base = from === null ? null : chainBase(from);
    if (base === null) return;
    decl.alias = {
      base: base.type === 'ThisExpression' ? { this: true, name: 'this' } : { this: false, name: base.name },
      text: oneLine(source.slice(from.start, from.end)),
      scope,
      whole: !part && unwrap(init) === from && from.type === 'Identifier', // a plain copy of the binding (`const before = x`)
    };
  };

  // Class constructors (their FunctionExpression nodes): `this` in them is the object being made.
  // Each is named by its class, as V8 names it.
  const constructors = new Map(); // constructor FunctionExpression -> the class's name, or null
  const constructorOf = (cls, nameHint = null) => {
    const ctor = cls.body.body.find((m) => m.type === 'MethodDefinition' && m.kind === 'constructor');
    if (ctor === undefined) return null;
    if (!constructors.has(ctor.value)) constructors.set(ctor.value, cls.id ? cls.id.name : nameHint);
    return ctor.value;
  };

  const visit = (node, scope, fn, nameHint) => {
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const name = node.id ? node.id.name : constructors.get(node) ?? nameHint ?? null;
        const rec = { start: node.start, bodyStart: node.body.start, end: node.end, line: node.loc.start.line, endLine: node.loc.end.line, name, parent: fn, scope: null, topLevel: false, constructs: constructors.has(node) };
        records.set(node, rec);
        if (node.type === 'FunctionDeclaration' && node.id) scope.decls.set(node.id.name, { kind: 'function', init: rec, initNode: null });
        const own = new Scope(rec, scope, true);
        rec.scope = own;
        scopes.push(own);
        if (node.type === 'FunctionExpression' && node.id) own.decls.set(node.id.name, { kind: 'self', init: rec, initNode: null });
        for (const p of node.params) declarePattern(own, p, 'parameter');
        functions.push(rec);
        for (const p of node.params) visit(p, own, rec, null);
        // The body block shares the function's scope (parameters and top-level lets together).
        if (node.body.type === 'BlockStatement') for (const st of node.body.body) visit(st, own, rec, null);
        else visit(node.body, own, rec, null);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock':
      case 'SwitchStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const block = new Scope(null, scope, false);
        scopes.push(block);
        for (const c of children(node, [])) visit(c, block, fn, null);
        return;
      }
      case 'CatchClause': {
        const block = new Scope(null, scope, false);
        scopes.push(block);
        if (node.param) declarePattern(block, node.param, 'let');
        visit(node.body, block, fn, null);
        return;
      }
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? scope.functionScope() : scope;
        for (const d of node.declarations) {
          declarePattern(target, d.id, node.kind, d.init);
          if (d.init && d.id.type === 'Identifier') {
            noteAlias(target.decls.get(d.id.name), d.init, scope);
            // What its value is made of (`{ user, token }`): held by whatever holds it.
            Object.assign(target.decls.get(d.id.name), { refs: namesIn(d.init, []), refsScope: scope });
          }
          else if (d.init) for (const name of boundNames(d.id, [])) noteAlias(target.decls.get(name), d.init, scope, true); // `const { queue } = this`
          if (d.init) visit(d.init, scope, fn, d.id.type === 'Identifier' ? d.id.name : null);
        }
        return;
      }
      case 'ClassDeclaration':
        // `new C(…)` runs C's constructor: the binding's function is that constructor.
        if (node.id) scope.decls.set(node.id.name, { kind: 'class', init: null, initNode: constructorOf(node) });
        break;
      case 'ImportDeclaration':
        for (const sp of node.specifiers) scope.decls.set(sp.local.name, { kind: 'import', init: null, initNode: null });
        return;
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'Property': {
        const key = node.key && !node.computed ? (node.key.type === 'Identifier' ? node.key.name : typeof node.key.value === 'string' ? node.key.value : null) : null;
        if (node.computed && node.key) visit(node.key, scope, fn, null);
        if (node.value) visit(node.value, scope, fn, key);
        return;
      }
      case 'AssignmentExpression': {
        let g = growthOf(node, source);
        if (g === null && chains(node, scope)) g = { receiver: node.left, method: 'chain' };
        if (g !== null) growths.push(growthRecord(source, node, g, scope, fn));
        if (node.left.type === 'Identifier') {
          const found = scope.lookup(node.left.name);
          if (found !== null && node.operator === '=' && pops(node, scope)) found.decl.popped = true;
          if (found !== null && node.operator !== '+=' && found.scope !== root && found.decl.kind !== 'parameter') noteAlias(found.decl, node.right, scope);
        }
        const hint = node.left.type === 'Identifier' ? node.left.name : propertyName(node.left);
        visit(node.left, scope, fn, null);
        visit(node.right, scope, fn, hint);
        return;
      }
      case 'ClassExpression':
        constructorOf(node, nameHint);
        break;
      case 'NewExpression':
        if (node.callee.type === 'Identifier') calls.push({ name: node.callee.name, method: null, scope, fn });
        break;
      case 'CallExpression': {
        const g = growthOf(node, source);
        if (g !== null) growths.push(growthRecord(source, node, g, scope, fn));
        if (REGISTERS.has(node.callee.type === 'Identifier' ? node.callee.name : propertyName(node.callee))) {
          const names = [];
          for (const a of node.arguments) namesIn(a, names);
          registrations.push({ line: node.loc.start.line, endLine: node.loc.end.line, names, scope, fn });
        }
        if (node.callee.type === 'Identifier') calls.push({ name: node.callee.name, method: null, scope, fn });
        else if (node.callee.type === 'MemberExpression' && !node.callee.computed) {
          // `obj.method()`: the receiver's class is unknown here, so any
          // function of that name in the file is a possible callee.
          const method = propertyName(node.callee);
          if (method !== null) calls.push({ name: null, method, scope, fn });
        }
        break;
      }
      default:
        break;
    }
    for (const c of children(node, [])) visit(c, scope, fn, null);
  };
  for (const st of ast.body) visit(st, root, program, null);
  // `const helper = () => …`: the binding's function record; then no node is kept.
  for (const sc of scopes) {
    for (const d of sc.decls.values()) {
      const init = d.initNode !== null && d.initNode !== undefined && d.initNode.type === 'ClassExpression' ? constructorOf(d.initNode) : d.initNode;
      if (init !== null && init !== undefined && FUNCTION_TYPES.has(init.type)) d.init = records.get(init) ?? null;
      d.initNode = null;
    }
  }
  return { source, program, root, functions, growths, calls, registrations, lineStarts: lineStarts(source), size: source.length };
}

/**
 * What a growth expression keeps: its position, the source ranges of its
 * text and container (read when it is a candidate), and the container's base
 * binding.
 */
function growthRecord(source, node, g, scope, fn) {
  const base = chainBase(g.receiver);
  const assign = node.type === 'AssignmentExpression';
  return {
    start: node.start,
    end: node.end,
    line: node.loc.start.line,
    column: node.loc.start.column + 1,
    // An assignment shows `left op right`: the ranges of both sides and the operator.
    assign: assign ? { leftEnd: node.left.end, rightStart: node.right.start, operator: node.operator } : null,
    receiverStart: g.receiver.start,
    receiverEnd: g.receiver.end,
    method: g.method,
    base: base === null ? null : base.type === 'ThisExpression' ? { this: true, name: 'this' } : { this: false, name: base.name },
    // A new value bound to a name (`x += …`, `x = x.concat(…)`, `x = { next: x }`):
    // it grows nothing when that name is a local holding part of a container.
    rebinds: assign && node.left.type === 'Identifier',
    // The names in the values it stores.
    stores: assign ? namesIn(node.right, []) : node.arguments.reduce((out, a) => namesIn(a, out), []),
    seeds: seedsOnly(node, g),
    scope,
    fn,
  };
}

/** The one-line text of a growth record. */
function growthText(source, g) {
  if (g.assign === null) return oneLine(source.slice(g.start, g.end));
  const left = oneLine(source.slice(g.start, g.assign.leftEnd));
  const right = oneLine(source.slice(g.assign.rightStart, g.end));
  return `${left} ${g.assign.operator} ${right.length > MAX_RIGHT ? '…' : right}`;
}

function lineStarts(source) {
  const starts = [0];
  for (let i = 0; i < source.length; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && source.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return starts;
}

/**
 * The function declared at a profile position (0-based line and column): the
 * innermost function whose header (from its start to its body) holds the
 * position; at 0:0 with none, the file's top level (the Program node).
 */
function functionAt(analysis, line0, column0) {
  const starts = analysis.lineStarts;
  if (line0 < 0 || line0 >= starts.length) return null;
  const offset = starts[line0] + Math.max(0, column0);
  let best = null;
  for (const f of analysis.functions) {
    if (f.start <= offset && offset <= f.bodyStart && (best === null || f.start >= best.start)) best = f;
  }
  if (best !== null) return best;
  if (line0 === 0 && column0 === 0) return analysis.program;
  return null;
}

/**
 * The innermost function whose source holds a stack-trace position (1-based
 * line and column, as in an Error stack), or null at the top level.
 */
function functionEnclosing(analysis, line, column) {
  const starts = analysis.lineStarts;
  if (line < 1 || line > starts.length) return null;
  const offset = starts[line - 1] + Math.max(0, column - 1);
  let best = null;
  for (const f of analysis.functions) {
    if (f.start <= offset && offset < f.end && (best === null || f.start >= best.start)) best = f;
  }
  return best;
}

function isInside(scope, fn) {
  for (let s = scope; s !== null; s = s.parent) if (s.owner === fn) return true;
  return false;
}

function isNestedIn(fn, target) {
  for (let f = fn; f !== null; f = f.parent) if (f === target) return true;
  return false;
}

// How many locals deep an alias is followed (`const a = m.get(k); const b = a.list;`).
const ALIAS_DEPTH = 3;

/**
 * Where the container of a growth expression lives, relative to the function
 * `target`; null when it is local. `g` needs { base, scope, rebinds, method }.
 */
function containerScope(analysis, g, target, depth = 0) {
  const base = g.base;
  if (base === null) return null;
  if (base.this) return { scope: 'this', text: '`this` member' };
  const found = g.scope.lookup(base.name);
  if (found === null) {
    if (NOT_CONTAINERS.has(base.name)) return null;
    return { scope: 'global', text: 'global' };
  }
  if (found.scope === analysis.root) return { scope: 'module', text: 'module scope' };
  if (target.topLevel || isInside(found.scope, target)) {
    // Declared in the function itself: a parameter is the caller's container; anything else is local.
    if (found.scope.owner === target && found.decl.kind === 'parameter') {
      return { scope: 'parameter', text: `parameter of ${target.name ?? 'the function'}` };
    }
    if (found.decl.kind === 'self') return { scope: 'closure', text: 'the function itself' };
    const alias = found.decl.alias;
    // A local holding part of a longer-lived container: a store into it (not
    // a new value for the local, nor a named field set on it) grows that container.
    if (alias === undefined || depth >= ALIAS_DEPTH || g.rebinds || g.method === 'property') return null;
    const outer = containerScope(analysis, { base: alias.base, scope: alias.scope, rebinds: false, method: null }, target, depth + 1);
    if (outer === null) return null;
    return { scope: outer.scope, text: `part of \`${alias.text}\`, ${outer.text}` };
  }
  const owner = found.scope.functionScope().owner;
  return { scope: 'closure', text: `closure of ${owner && owner.name ? owner.name : '(anonymous)'}` };
}

function oneLine(text) {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
}

function candidatesIn(analysis, target, builtin, inlined) {
  const out = [];
  for (const g of analysis.growths) {
    // The top level's own code only: its functions are searched as callees.
    if (target.topLevel ? g.fn !== target : !isNestedIn(g.fn, target)) continue;
    const where = containerScope(analysis, g, target);
    if (where === null) continue;
    // In a class constructor, `this` is the object being made: filling it grows nothing older.
    if (where.scope === 'this' && g.fn.constructs) continue;
    // `res.statusCode = …` on a parameter sets a field of the caller's object; it grows nothing.
    if (where.scope === 'parameter' && g.method === 'property') continue;
    // A chain that the file also pops (`x = x.upper`) is a stack, bounded by its depth.
    if (g.method === 'chain' && g.scope.lookup(g.base.name)?.decl.popped === true) continue;
    out.push({
      key: g.start,
      line: g.line,
      column: g.column,
      text: growthText(analysis.source, g),
      container: oneLine(analysis.source.slice(g.receiverStart, g.receiverEnd)),
      scope: where.scope,
      scopeText: where.text,
      method: g.method,
      builtinMatch: builtin !== null && BUILTIN_METHOD[builtin] === g.method,
      seeds: g.seeds,
      nested: g.fn !== target,
      inlined,
    });
  }
  return out;
}

function rankKey(c) {
  return [c.builtinMatch ? 0 : 1, c.seeds ? 1 : 0, c.inlined === null ? 0 : 1, SCOPE_RANK[c.scope] ?? 9, c.method === 'property' ? 1 : 0, c.nested ? 1 : 0, c.line, c.column];
}

function compareCandidates(a, b) {
  const ka = rankKey(a);
  const kb = rankKey(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return 0;
}

/**
 * The functions `target` calls by a name bound to a function in the same
 * file, or as `obj.name()` where the file defines a function `name` (callees
 * V8 may inline).
 */
function calleesOf(analysis, target) {
  const seen = new Set();
  const out = [];
  for (const c of analysis.calls) {
    if (target.topLevel ? c.fn !== target : !isNestedIn(c.fn, target)) continue;
    if (c.method !== null) {
      for (const f of analysis.functions) {
        if (f.name !== c.method || f === target || seen.has(f)) continue;
        seen.add(f);
        out.push(f);
      }
      continue;
    }
    const found = c.scope.lookup(c.name);
    if (found === null) continue;
    const init = found.decl.init;
    if (init === null || init === undefined || init === target || seen.has(init)) continue;
    seen.add(init);
    out.push(init);
  }
  return out;
}

/**
 * The candidate lines of the function declared at (line0, column0), 0-based
 * as in a V8 profile. `builtin` is the growing builtin's profile name
 * (`set`, `push`, …) or null. Returns null when no function is declared
 * there, else { function: { name, line, endLine }, candidates: [...] }.
 */
function findCandidates(analysis, { line0, column0, builtin = null }) {
  const target = functionAt(analysis, line0, column0);
  if (target === null) return null;
  const found = candidatesIn(analysis, target, builtin, null);
  // Callees, and their callees (V8 inlines nested calls too), each searched once.
  const searched = new Set([target]);
  let level = [target];
  for (let depth = 0; depth < INLINE_DEPTH; depth++) {
    const next = [];
    for (const fn of level) {
      for (const callee of calleesOf(analysis, fn)) {
        if (searched.has(callee)) continue;
        searched.add(callee);
        next.push(callee);
        const from = { functionName: callee.name ?? '(anonymous)', line: callee.line, endLine: callee.endLine };
        found.push(...candidatesIn(analysis, callee, builtin, from));
      }
    }
    level = next;
  }
  const seen = new Set();
  const all = found
    .filter((c) => (seen.has(c.key) ? false : (seen.add(c.key), true)))
    .sort(compareCandidates)
    .slice(0, MAX_CANDIDATES)
    .map(({ key: _key, seeds: _seeds, ...c }) => c);
  return {
    function: { name: target.topLevel ? null : target.name, line: target.line, endLine: target.endLine, topLevel: target.topLevel },
    candidates: all,
  };
}

module.exports = { parseSource, analyse, findCandidates, functionAt, functionEnclosing, rowHoldsOwnLocal, BUILTIN_METHOD };
