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
// where `x` (or the base of a member chain such as `a.b.c`, or `this`) is not
// declared inside the function: a module-scope binding, a binding of an
// enclosing function (a closure), `this`, a global, or a parameter (the
// caller's container). Ranked: the builtin seen in the allocation stack first
// (`set` → `.set(`), then module scope, global, closure, `this`, parameter.
//
// A function V8 inlined into its caller is charged to the caller, so the
// functions the target calls by name in the same file are searched too, their
// candidates marked `inlined`.
//
// Pure: takes source text, returns plain data. Parsed files are cached by the
// caller (lib/sampler/attribution.js), not here.

const acorn = require('acorn');

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
      return acorn.parse(source, { ...base, sourceType, allowReturnOutsideFunction: sourceType === 'script', allowAwaitOutsideFunction: sourceType === 'module' ? undefined : true });
    } catch (err) {
      if (first === null) first = err;
    }
  }
  throw first;
}

class Scope {
  constructor(node, parent, isFunction) {
    this.node = node; // Program, a function, or a block-like node
    this.parent = parent;
    this.isFunction = isFunction; // Program counts as one (var hoists to it)
    this.decls = new Map(); // name -> { kind, node, init }
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

function declarePattern(scope, pattern, kind, init = null) {
  if (pattern === null) return;
  switch (pattern.type) {
    case 'Identifier':
      scope.decls.set(pattern.name, { kind, node: pattern, init });
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

function sameText(source, a, b) {
  return source.slice(a.start, a.end).replace(/\s+/g, '') === source.slice(b.start, b.end).replace(/\s+/g, '');
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

/**
 * Everything the finder needs from one file, computed once per parse:
 * functions, scopes, growth expressions and named calls, each with its
 * enclosing scope and function.
 */
function analyse(source, options = {}) {
  const program = parseSource(source, options);
  const root = new Scope(program, null, true);
  const functions = []; // { node, name, scope (its own), outer (declaring scope) }
  const growths = []; // { node, receiver, method, scope, fn }
  const calls = []; // { node, name, scope, fn }
  const fnInfo = new Map(); // function node -> info

  const visit = (node, scope, fn, nameHint) => {
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        if (node.type === 'FunctionDeclaration' && node.id) scope.decls.set(node.id.name, { kind: 'function', node: node.id, init: node });
        const own = new Scope(node, scope, true);
        if (node.type === 'FunctionExpression' && node.id) own.decls.set(node.id.name, { kind: 'self', node: node.id, init: node });
        for (const p of node.params) declarePattern(own, p, 'parameter');
        const name = node.id ? node.id.name : nameHint ?? null;
        const info = { node, name, scope: own, outer: scope, parent: fn };
        functions.push(info);
        fnInfo.set(node, info);
        for (const p of node.params) visit(p, own, node, null);
        // The body block shares the function's scope (parameters and top-level lets together).
        if (node.body.type === 'BlockStatement') for (const s of node.body.body) visit(s, own, node, null);
        else visit(node.body, own, node, null);
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock':
      case 'SwitchStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const block = new Scope(node, scope, false);
        for (const c of children(node, [])) visit(c, block, fn, null);
        return;
      }
      case 'CatchClause': {
        const block = new Scope(node, scope, false);
        if (node.param) declarePattern(block, node.param, 'let');
        visit(node.body, block, fn, null);
        return;
      }
      case 'VariableDeclaration': {
        const target = node.kind === 'var' ? scope.functionScope() : scope;
        for (const d of node.declarations) {
          declarePattern(target, d.id, node.kind, d.init);
          if (d.init) visit(d.init, scope, fn, d.id.type === 'Identifier' ? d.id.name : null);
        }
        return;
      }
      case 'ClassDeclaration':
        if (node.id) scope.decls.set(node.id.name, { kind: 'class', node: node.id, init: node });
        break;
      case 'ImportDeclaration':
        for (const s of node.specifiers) scope.decls.set(s.local.name, { kind: 'import', node: s.local, init: null });
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
        const g = growthOf(node, source);
        if (g !== null) growths.push({ node, ...g, scope, fn });
        const hint = node.left.type === 'Identifier' ? node.left.name : propertyName(node.left);
        visit(node.left, scope, fn, null);
        visit(node.right, scope, fn, hint);
        return;
      }
      case 'CallExpression': {
        const g = growthOf(node, source);
        if (g !== null) growths.push({ node, ...g, scope, fn });
        if (node.callee.type === 'Identifier') calls.push({ node, name: node.callee.name, scope, fn });
        break;
      }
      default:
        break;
    }
    for (const c of children(node, [])) visit(c, scope, fn, null);
  };
  for (const s of program.body) visit(s, root, program, null);
  return { source, program, root, functions, growths, calls, fnInfo, lineStarts: lineStarts(source) };
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
  for (const info of analysis.functions) {
    const n = info.node;
    if (n.start <= offset && offset <= n.body.start && (best === null || n.start >= best.node.start)) best = info;
  }
  if (best !== null) return best;
  if (line0 === 0 && column0 === 0) return { node: analysis.program, name: null, scope: analysis.root, outer: null, parent: null, topLevel: true };
  return null;
}

function isInside(scope, fnNode) {
  for (let s = scope; s !== null; s = s.parent) if (s.node === fnNode) return true;
  return false;
}

function isNestedIn(fnNode, target, fnInfo) {
  for (let n = fnNode; n !== null && n !== undefined; n = fnInfo.get(n)?.parent ?? null) if (n === target) return true;
  return false;
}

/** Where the container of a growth expression lives, relative to the function `target`; null when it is local. */
function containerScope(analysis, g, target) {
  const base = chainBase(g.receiver);
  if (base === null) return null;
  if (base.type === 'ThisExpression') return { scope: 'this', text: '`this` member', base: 'this' };
  const found = g.scope.lookup(base.name);
  if (found === null) {
    if (NOT_CONTAINERS.has(base.name)) return null;
    return { scope: 'global', text: 'global', base: base.name };
  }
  const topLevel = target.node.type === 'Program';
  if (found.scope === analysis.root) return { scope: 'module', text: 'module scope', base: base.name };
  if (topLevel || isInside(found.scope, target.node)) {
    // Declared in the function itself: a parameter is the caller's container; anything else is local.
    if (found.scope.node === target.node && found.decl.kind === 'parameter') {
      return { scope: 'parameter', text: `parameter of ${target.name ?? 'the function'}`, base: base.name };
    }
    if (found.decl.kind === 'self') return { scope: 'closure', text: 'the function itself', base: base.name };
    return null;
  }
  const owner = analysis.fnInfo.get(found.scope.functionScope().node);
  return { scope: 'closure', text: `closure of ${owner && owner.name ? owner.name : '(anonymous)'}`, base: base.name };
}

function oneLine(text) {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT - 1)}…` : t;
}

/** `left op right`, the right side elided when long (the container and the store are the point). */
function assignmentText(source, node) {
  const left = oneLine(source.slice(node.left.start, node.left.end));
  const right = oneLine(source.slice(node.right.start, node.right.end));
  return `${left} ${node.operator} ${right.length > MAX_RIGHT ? '…' : right}`;
}

function candidatesIn(analysis, target, builtin, inlined) {
  const out = [];
  const { source, fnInfo } = analysis;
  const topLevel = target.node.type === 'Program';
  for (const g of analysis.growths) {
    // The top level's own code only: its functions are searched as callees.
    if (topLevel ? g.fn !== target.node : !isNestedIn(g.fn, target.node, fnInfo)) continue;
    const where = containerScope(analysis, g, target);
    if (where === null) continue;
    // `res.statusCode = …` on a parameter sets a field of the caller's object; it grows nothing.
    if (where.scope === 'parameter' && g.method === 'property') continue;
    const receiverText = oneLine(source.slice(g.receiver.start, g.receiver.end));
    const text = g.node.type === 'AssignmentExpression' ? assignmentText(source, g.node) : oneLine(source.slice(g.node.start, g.node.end));
    out.push({
      key: g.node.start,
      line: g.node.loc.start.line,
      column: g.node.loc.start.column + 1,
      text,
      container: receiverText,
      scope: where.scope,
      scopeText: where.text,
      method: g.method,
      builtinMatch: builtin !== null && BUILTIN_METHOD[builtin] === g.method,
      nested: g.fn !== target.node,
      inlined,
    });
  }
  return out;
}

function rankKey(c) {
  return [c.builtinMatch ? 0 : 1, c.inlined === null ? 0 : 1, SCOPE_RANK[c.scope] ?? 9, c.method === 'property' ? 1 : 0, c.nested ? 1 : 0, c.line, c.column];
}

function compareCandidates(a, b) {
  const ka = rankKey(a);
  const kb = rankKey(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return 0;
}

/** The functions `target` calls by a name bound to a function in the same file (callees V8 may inline). */
function calleesOf(analysis, target) {
  const seen = new Set();
  const out = [];
  const topLevel = target.node.type === 'Program';
  for (const c of analysis.calls) {
    if (topLevel ? c.fn !== target.node : !isNestedIn(c.fn, target.node, analysis.fnInfo)) continue;
    const found = c.scope.lookup(c.name);
    if (found === null) continue;
    const init = found.decl.init;
    if (init === null || init === undefined || !FUNCTION_TYPES.has(init.type) || init === target.node) continue;
    if (seen.has(init)) continue;
    seen.add(init);
    const info = analysis.fnInfo.get(init);
    if (info !== undefined) out.push(info);
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
  const searched = new Set([target.node]);
  let level = [target];
  for (let depth = 0; depth < INLINE_DEPTH; depth++) {
    const next = [];
    for (const fn of level) {
      for (const callee of calleesOf(analysis, fn)) {
        if (searched.has(callee.node)) continue;
        searched.add(callee.node);
        next.push(callee);
        const from = { functionName: callee.name ?? '(anonymous)', line: callee.node.loc.start.line, endLine: callee.node.loc.end.line };
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
    .map(({ key: _key, ...c }) => c);
  const n = target.node;
  return {
    function: { name: target.topLevel ? null : target.name, line: n.loc.start.line, endLine: n.loc.end.line, topLevel: target.topLevel === true },
    candidates: all,
  };
}

module.exports = { parseSource, analyse, findCandidates, functionAt, BUILTIN_METHOD };
