import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { assert } from './helpers.js';

// Every ```ts block in the README and docs/ is a program that must run: the docs stay true to the
// code. Blocks import 'neurona', which is pointed at the sources here.
const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const entry = resolve('src/index.ts');

for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  test(`${file}: every ts snippet runs (${blocks.length} snippets)`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'neurona-doc-'));
    try {
      blocks.forEach((block, i) => {
        const path = join(dir, `snippet-${i}.mts`);
        writeFileSync(path, block.replaceAll(`from 'neurona'`, `from '${entry}'`));
        const run = spawnSync(process.execPath, ['--import', 'tsx', path], {
          encoding: 'utf8',
          env: { ...process.env, NEURONA_QUIET: '1' },
        });
        assert.equal(run.status, 0, `${file} snippet ${i + 1} failed:\n${block}\n--- stderr ---\n${run.stderr}`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
