#!/usr/bin/env node
'use strict';
// The `prepare` step: builds the native addon from source only when no built
// one loads. npm runs `prepare` in a git dependency's clone (after installing
// its devDependencies, which bring @napi-rs/cli) and in a linked folder
// (`npm install <path>`), so:
// - a built checkout installed by path loads its own .node and builds nothing;
// - a git install builds once, from source (needs cargo), and the .node ships
//   in the packed package (package.json "files");
// - a folder without a build and without @napi-rs/cli stops with one message
//   saying what is missing, instead of `napi: not found`.
// `npm run build` always builds.

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');

function loadError() {
  if (!fs.existsSync(path.join(ROOT, 'binding.js'))) return 'binding.js has not been generated (no build yet)';
  try {
    require(path.join(ROOT, 'binding.js'));
    return null;
  } catch (err) {
    const why = require(path.join(ROOT, 'lib', 'internal', 'native-error.js')).causes(err);
    return why.length > 0 ? why.join('; ') : String((err && err.message) || err);
  }
}

function fail(message) {
  process.stderr.write(`leakguard: ${message}\n`);
  process.exit(1);
}

function main() {
  const why = loadError();
  if (why === null) {
    process.stdout.write('leakguard: native addon already built; nothing to build\n');
    return;
  }
  if (!fs.existsSync(path.join(ROOT, 'Cargo.toml'))) {
    fail(`the native addon does not load (${why}) and this copy has no Rust sources to build it from`);
  }
  let napi;
  try {
    // The package's exports hide its bin file: find it through package.json.
    const manifest = require.resolve('@napi-rs/cli/package.json', { paths: [ROOT] });
    const bin = require(manifest).bin;
    napi = path.join(path.dirname(manifest), typeof bin === 'string' ? bin : bin.napi);
  } catch {
    fail(
      `the native addon is not built (${why}) and @napi-rs/cli, which builds it, is not installed in ${ROOT}. ` +
        'Run `npm install` in that folder first (it installs the build tool and builds), then install it again.',
    );
  }
  const cargo = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
  if (cargo.error || cargo.status !== 0) {
    fail(
      `the native addon is not built (${why}) and building it needs the Rust toolchain (cargo), which is not on PATH. ` +
        'Install it from https://rustup.rs, or install a prebuilt package instead.',
    );
  }
  process.stdout.write(`leakguard: building the native addon from source (${why})\n`);
  const args = [napi, 'build', '--platform', '--release', '--js', 'binding.js', '--dts', 'binding.d.ts'];
  const build = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (build.error) fail(`could not run the build: ${build.error.message}`);
  if (build.status !== 0) fail(`the build failed (exit code ${build.status})`);
  const after = loadError();
  if (after !== null) fail(`the build finished but the addon does not load: ${after}`);
}

main();
