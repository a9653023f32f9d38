'use strict';
// The "require" entry of package.json's exports. neurona is an ES module without top-level await, so
// Node 20.19+ and 22.12+ can require() it and this file hands it over. Where require() of ES modules
// is unavailable, this says what to write instead (without this entry, require('neurona') failed
// with ERR_PACKAGE_PATH_NOT_EXPORTED, which does not say why).
try {
  module.exports = require('../dist/index.js');
} catch (error) {
  if (!error || error.code !== 'ERR_REQUIRE_ESM') throw error;
  const wrapped = new Error(`neurona is an ES module, and this Node (${process.version}) cannot require() ES modules `
    + "(Node 20.19+ and 22.12+ can, unless started with --no-experimental-require-module): "
    + "write `import * as nr from 'neurona'` (in an .mjs file, or with \"type\": \"module\" in package.json), "
    + "or `const nr = await import('neurona')` in CommonJS", { cause: error });
  wrapped.code = 'ERR_REQUIRE_ESM';
  throw wrapped;
}
