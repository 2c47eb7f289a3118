#!/usr/bin/env node
/*
 * Prints the oneDNN include or library directory for binding.gyp (`node scripts/onednn-dirs.cjs include|lib`)
 * from the environment variable ONEDNN_ROOT (an install prefix holding include/oneapi/dnnl/dnnl.hpp and
 * lib/ or lib64/ with libdnnl.so), or nothing when ONEDNN_ROOT is unset: then the compiler's default paths
 * (/usr/include, /usr/lib/<triplet>; Homebrew's on macOS) supply the system oneDNN 2.x or 3.x.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = process.env.ONEDNN_ROOT;
const which = process.argv[2];
if (!root) process.exit(0);
if (!fs.existsSync(path.join(root, 'include', 'oneapi', 'dnnl', 'dnnl.hpp'))) {
  console.error(`ONEDNN_ROOT=${root} has no include/oneapi/dnnl/dnnl.hpp (expected a oneDNN install prefix)`);
  process.exit(1);
}
if (which === 'include') {
  process.stdout.write(path.join(root, 'include'));
} else if (which === 'lib') {
  const lib = ['lib', 'lib64'].map((d) => path.join(root, d)).find((d) => fs.existsSync(d)) ?? path.join(root, 'lib');
  process.stdout.write(lib);
} else {
  console.error(`usage: onednn-dirs.cjs include|lib. Received: ${which}`);
  process.exit(1);
}
