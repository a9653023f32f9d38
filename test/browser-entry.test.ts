import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { assert } from './helpers.js';

// Follows every relative import from src/browser.ts and fails on a `node:` (or bare Node built-in) import.
const BUILTINS = ['fs', 'path', 'os', 'zlib', 'crypto', 'module', 'child_process', 'url', 'util', 'stream'];

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const stack = [resolve(entry)];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const specs = [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    seen.set(file, specs);
    for (const spec of specs) if (spec.startsWith('.')) stack.push(join(dirname(file), spec.replace(/\.js$/, '.ts')));
  }
  return seen;
}

test('the browser entry reaches no Node built-in module', () => {
  const graph = reachable('src/browser.ts');
  assert.ok(graph.size > 20, `expected the browser entry to reach the library, reached ${graph.size} files`);
  for (const [file, specs] of graph) {
    for (const spec of specs) {
      assert.ok(!spec.startsWith('node:') && !BUILTINS.includes(spec), `${file} imports ${spec}, which browsers lack`);
    }
  }
});

test('the checker sees Node imports (the Node entry reaches the dataset loaders)', () => {
  const graph = reachable('src/index.ts');
  const nodeImports = [...graph.values()].flat().filter((s) => s.startsWith('node:'));
  assert.ok(nodeImports.length > 0);
});

test('the browser build has its own types and says only what it has: loadModel yes, datasets and files no', async () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { exports: Record<string, Record<string, unknown>> };
  const conditions = pkg.exports['.']!;
  // The first matching condition wins: `browser` must come before `types` and `import`, with its own .d.ts.
  assert.equal(Object.keys(conditions)[0], 'browser');
  assert.deepEqual(conditions.browser, { types: './dist/browser.d.ts', default: './dist/browser.js' });
  const browser = (await import('../src/browser.js')) as Record<string, unknown>;
  for (const name of ['loadModel', 'listModels', 'removeModel', 'setQuiet']) assert.equal(typeof browser[name], 'function', name);
  for (const name of ['datasets', 'io', 'interop']) assert.ok(!(name in browser), `the browser entry exports ${name}`);
});
