// After tsc: makes the compiled CLI executable (tsc keeps the shebang but not the mode bit), and
// removes the outputs of sources that no longer exist. tsc never deletes anything from dist/, so a
// renamed or deleted module would otherwise still be packed and shipped.
import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const src = join(root, 'src');

const cli = join(dist, 'cli', 'main.js');
if (existsSync(cli)) chmodSync(cli, 0o755);

/** The source a dist file was compiled from: x.js, x.js.map and x.d.ts all come from x.ts. */
function sourceOf(file) {
  return join(src, relative(dist, file).replace(/(\.d\.ts|\.js\.map|\.js)$/, '.ts'));
}

function prune(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    // The playground's bundles (scripts/build-playground.mjs) have no source of the same name.
    if (path === join(dist, 'playground-web')) continue;
    if (statSync(path).isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
    } else if (!existsSync(sourceOf(path))) {
      rmSync(path);
      console.log(`postbuild: removed ${relative(root, path)} (its source is gone)`);
    }
  }
}
if (existsSync(dist)) prune(dist);
