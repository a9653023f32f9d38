// After tsc (`npm run build`): bundles the playground page and its worker (src/playground/) with esbuild
// into dist/playground-web/, so that an installed package serves `neurona playground` without esbuild,
// which is only a development dependency (through tsx). The options live in dist/cli/playground.js.
import { rmSync } from 'node:fs';
import { BUILT_DIR, bundleOptions } from '../dist/cli/playground.js';

const { build } = await import('esbuild');
rmSync(BUILT_DIR, { recursive: true, force: true });
const result = await build({ ...bundleOptions(BUILT_DIR), metafile: true });
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(
  `build-playground: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(2)} MB in dist/playground-web/`,
);
