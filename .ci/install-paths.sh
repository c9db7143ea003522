#!/usr/bin/env bash
# Installs leakguard into a fresh temporary application the three ways a user
# can, and checks each install works there: require, import, the preload
# (-r and --import leakguard/register), `npx leakguard --version` and
# `leakguard run`, and that GCs are watched from V8's callbacks
# (report().sampler.gcWatch === 'v8': the package has a GC watch for the
# running V8).
#
#   tarball  `npm pack` of leakguard without any .node, shaped as published
#            (optionalDependencies on this platform's package, as
#            `napi pre-publish` writes them), installed together with the
#            packed platform package npm/<triple> holding the built .node
#            and its GC watches (leakguard.gcwatch-v8-*.node, one per V8 the
#            build had headers for): the application needs no Rust
#            toolchain. Checked on every Node in INSTALL_PATHS_NODES
#            (paths of node binaries, space-separated; .ci/run gives Node 20,
#            22, 24 and 26), else on the machine's Node.
#   git      `npm install git+file://<this repository>#<HEAD>`: npm clones it,
#            installs its devDependencies (@napi-rs/cli) and runs `prepare`,
#            which builds the addon from source (cargo, release profile).
#   path     `npm install <this checkout>` of a built checkout: a link; its
#            `prepare` finds the built addon and builds nothing.
#
# Needs a built checkout (npm ci / npm run build) and the npm registry (the
# git path installs devDependencies). Everything is made under one temporary
# folder, removed at the end. Usage: .ci/install-paths.sh [tarball|git|path]...
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

WAYS=("$@")
[ ${#WAYS[@]} -eq 0 ] && WAYS=(tarball path git)

TMP="$(mktemp -d "${TMPDIR:-/tmp}/leakguard-install.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

TRIPLE="$(node -p "require('./lib/internal/native-error').platformTriple()")"
VERSION="$(node -p "require('./package.json').version")"
if [ ! -f "leakguard.$TRIPLE.node" ]; then
  echo "install-paths: no leakguard.$TRIPLE.node in $ROOT: build first (npm run build)" >&2
  exit 1
fi

t0=$(date +%s)
note() { printf '  [%s +%ss] %s\n' "$1" "$(($(date +%s) - t0))" "$2"; }

# A new application folder with a package.json and one CommonJS entry.
new_app() {
  local dir="$TMP/app-$1"
  mkdir -p "$dir"
  printf '{ "name": "app-%s", "version": "1.0.0", "private": true }\n' "$1" >"$dir/package.json"
  cat >"$dir/app.js" <<'EOF'
setTimeout(() => {}, 200);
EOF
  echo "$dir"
}

# The checks every install must pass, run inside the application folder
# with the `node` first on PATH.
check_app() {
  local way="$1" dir="$2"
  (
    cd "$dir"
    echo "on node $(node --version)"
    node -e "
      const lg = require('leakguard');
      lg.start({ timers: false, listeners: false, allocations: false });
      const s = lg.report().sampler;
      lg.stop();
      if (s.gcWatch !== 'v8') {
        console.error('GCs are watched by ' + s.gcWatch + ', not V8: ' + s.gcWatchUnavailable);
        process.exit(1);
      }
      console.log('gcWatch ok: v8 ' + process.versions.v8);
    "
    node -e "
      const lg = require('leakguard');
      const c = new lg.LruCache({ max: 2 });
      c.set('a', 1);
      if (c.get('a') !== 1 || lg.version !== '$VERSION') process.exit(1);
      console.log('require ok: leakguard ' + lg.version + ' from ' + require.resolve('leakguard'));
    "
    node --input-type=module -e "
      import { LruCache, version, report } from 'leakguard';
      import def from 'leakguard';
      if (typeof LruCache !== 'function' || def.version !== version || typeof report().leaking !== 'boolean') process.exit(1);
      console.log('import ok');
    "
    # The preload must start leakguard: a start failure is a process warning
    # (LEAKGUARD_START_FAILED) that must not appear.
    out="$(LEAKGUARD_QUIET=1 LEAKGUARD_REPORT=none node -r leakguard/register -e "
      setTimeout(() => console.log(require('leakguard').report().running ? 'running' : 'not running'), 50);
    " 2>&1)"
    if [ "$out" != "running" ]; then
      echo "-r leakguard/register did not start leakguard: $out" >&2
      exit 1
    fi
    echo 'register ok'
    out="$(LEAKGUARD_QUIET=1 LEAKGUARD_REPORT=none node --import leakguard/register --input-type=module -e "
      import { report } from 'leakguard';
      setTimeout(() => console.log(report().running ? 'running' : 'not running'), 50);
    " 2>&1)"
    if [ "$out" != "running" ]; then
      echo "--import leakguard/register did not start leakguard: $out" >&2
      exit 1
    fi
    echo 'register (--import) ok'
    v="$(npx --no -- leakguard --version)"
    [ "$v" = "$VERSION" ] || { echo "npx leakguard --version printed '$v'" >&2; exit 1; }
    echo "npx leakguard --version ok: $v"
    npx --no -- leakguard run --no-status -- node app.js
    echo 'leakguard run ok'
  ) 2>&1 | sed "s/^/    /"
  local status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || { echo "install-paths: $way: the checks failed" >&2; exit 1; }
}

way_tarball() {
  note tarball "packing leakguard and leakguard-$TRIPLE"
  local pack="$TMP/pack"
  mkdir -p "$pack/main" "$pack/platform"
  # The main package as published: no .node inside, the platform package as
  # an optional dependency.
  npm pack --ignore-scripts --silent --pack-destination "$pack" >/dev/null
  tar -xzf "$pack/leakguard-$VERSION.tgz" -C "$pack/main"
  rm -f "$pack/main/package/"*.node "$pack/leakguard-$VERSION.tgz"
  node -e "
    const fs = require('fs'); const f = '$pack/main/package/package.json';
    const p = JSON.parse(fs.readFileSync(f, 'utf8'));
    p.optionalDependencies = { ...p.optionalDependencies, 'leakguard-$TRIPLE': p.version };
    fs.writeFileSync(f, JSON.stringify(p, null, 2) + '\n');
  "
  (cd "$pack/main/package" && npm pack --ignore-scripts --silent --pack-destination "$pack" >/dev/null)
  cp -r "npm/$TRIPLE/." "$pack/platform/"
  cp "leakguard.$TRIPLE.node" "$pack/platform/"
  cp leakguard.gcwatch-v8-*.node "$pack/platform/" 2>/dev/null || note tarball "warning: no GC watch built (leakguard.gcwatch-v8-*.node)"
  (cd "$pack/platform" && npm pack --ignore-scripts --silent --pack-destination "$pack" >/dev/null)
  local app
  app="$(new_app tarball)"
  note tarball "npm install leakguard-$VERSION.tgz leakguard-$TRIPLE-$VERSION.tgz"
  (cd "$app" && npm install --no-save --loglevel=error "$pack/leakguard-$VERSION.tgz" "$pack/leakguard-$TRIPLE-$VERSION.tgz")
  if ls "$app/node_modules/leakguard/"*.node >/dev/null 2>&1; then
    echo "install-paths: tarball: the main package must carry no .node" >&2
    exit 1
  fi
  [ -f "$app/node_modules/leakguard-$TRIPLE/leakguard.$TRIPLE.node" ] || {
    echo "install-paths: tarball: leakguard-$TRIPLE was not installed" >&2
    exit 1
  }
  local nodes=(${INSTALL_PATHS_NODES:-$(command -v node)})
  for bin in "${nodes[@]}"; do
    PATH="$(dirname "$bin"):$PATH" check_app tarball "$app"
  done
  note tarball "ok"
}

way_git() {
  local head
  head="$(git rev-parse HEAD)"
  if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
    note git "note: uncommitted changes are not part of this install (it installs commit $head)"
  fi
  local app
  app="$(new_app git)"
  note git "npm install git+file://$ROOT#$head (builds from source)"
  local started=$(date +%s)
  (cd "$app" && npm install --no-save --loglevel=error "git+file://$ROOT#$head")
  note git "installed and built in $(($(date +%s) - started)) s"
  [ -f "$app/node_modules/leakguard/leakguard.$TRIPLE.node" ] || {
    echo "install-paths: git: the package has no built leakguard.$TRIPLE.node" >&2
    exit 1
  }
  check_app git "$app"
  note git "ok"
}

way_path() {
  local app
  app="$(new_app path)"
  note path "npm install $ROOT"
  (cd "$app" && npm install --no-save --loglevel=error "$ROOT")
  check_app path "$app"
  note path "ok"
}

for way in "${WAYS[@]}"; do
  case "$way" in
    tarball | git | path) "way_$way" ;;
    *)
      echo "install-paths: unknown way '$way' (tarball, git or path)" >&2
      exit 2
      ;;
  esac
done
note all "every install path passed: ${WAYS[*]}"
