// Module hooks for scripts/ts-loader.mjs, run on Node's loader thread.
// resolve: a relative `./x.js` imported from a .ts file is `./x.ts` when that exists (the sources name
// their imports as the compiled files will be named). load: a .ts or .mts file is transformed by esbuild
// (types stripped and function names kept: the transform tsx makes, with tsconfig.json's target) and the
// output kept in node_modules/.cache/neurona-ts/, keyed by path, size, modification time and options, so
// a second run reads it back without starting esbuild.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPESCRIPT = /\.m?ts$/;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache', 'neurona-ts');
/** esbuild's options; part of every cache key, so a change here misses the old entries. */
const OPTIONS = {
  loader: 'ts',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  keepNames: true,
  tsconfigRaw: { compilerOptions: { target: 'ES2022', strict: true, useDefineForClassFields: true } },
};
const optionsKey = JSON.stringify(OPTIONS);
let esbuild;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent && TYPESCRIPT.test(parent) && specifier.endsWith('.js') && (specifier.startsWith('./') || specifier.startsWith('../'))) {
    const url = new URL(`${specifier.slice(0, -3)}.ts`, parent);
    if (existsSync(url)) return { url: url.href, format: 'module', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(url)) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const { size, mtimeMs } = statSync(path);
  const key = createHash('sha1').update(`${path}\0${size}\0${mtimeMs}\0${optionsKey}`).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  let source;
  try {
    source = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= await import('esbuild');
    source = esbuild.transformSync(readFileSync(path, 'utf8'), { ...OPTIONS, sourcefile: path }).code;
    // Written aside and renamed: processes running side by side never read half a file.
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}.tmp`;
    writeFileSync(partial, source);
    renameSync(partial, cached);
  }
  return { format: 'module', source, shortCircuit: true };
}
