'use strict';
// A copy of this checkout's package with its built addon but without any GC
// watch (leakguard.gcwatch-v8-*.node): what an addon built for other V8s
// gives the running one. Its node_modules is a link to the checkout's.

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function packageWithoutWatches(dir) {
  const copy = path.join(dir, 'leakguard');
  fs.mkdirSync(copy);
  for (const name of fs.readdirSync(ROOT)) {
    if (name.startsWith('leakguard.gcwatch-')) continue;
    if (['lib', 'package.json', 'index.js', 'binding.js'].includes(name) || /^leakguard\..*\.node$/.test(name)) {
      fs.cpSync(path.join(ROOT, name), path.join(copy, name), { recursive: true });
    }
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  return copy;
}

module.exports = { packageWithoutWatches };
