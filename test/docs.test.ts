import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { assert } from './helpers.js';
import { TS_NODE } from './ts-node.js';

// Every ```ts block in the README and docs/ is a program that must run: the docs stay true to the
// code. Blocks import 'neurona', which is pointed at the sources here. Each snippet is its own
// process; they run two at a time (the test runner gives this file one core of a 2-core machine,
// and a snippet spends much of its time starting up), each file's snippets in order of appearance.
const files = [
  'README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => join('docs', f)),
];
const entry = resolve('src/index.ts');
const parallel = Math.max(2, Math.min(4, availableParallelism()));

interface Run {
  status: number | null;
  stderr: string;
}

function runSnippet(path: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [...TS_NODE, path], {
      env: { ...process.env, NEURONA_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', fail);
    child.on('close', (status) => done({ status, stderr }));
  });
}

/** Runs `jobs` with at most `parallel` at once; resolves to their results in order. */
async function pool<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, jobs.length) }, worker));
  return results;
}

const dir = mkdtempSync(join(tmpdir(), 'neurona-doc-'));
const snippets = files.map((file) => {
  const text = readFileSync(file, 'utf8');
  return { file, blocks: [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!) };
});
const jobs = snippets.flatMap(({ file, blocks }) =>
  blocks.map((block, i) => {
    const path = join(dir, `${file.replaceAll('/', '_')}-snippet-${i}.mts`);
    writeFileSync(path, block.replaceAll(`from 'neurona'`, `from '${entry}'`));
    return () => runSnippet(path);
  }),
);
const all = pool(jobs);

let offset = 0;
for (const { file, blocks } of snippets) {
  const first = offset;
  offset += blocks.length;
  test(`${file}: every ts snippet runs (${blocks.length} snippets)`, async () => {
    const results = await all;
    blocks.forEach((block, i) => {
      const run = results[first + i]!;
      assert.equal(run.status, 0, `${file} snippet ${i + 1} failed:\n${block}\n--- stderr ---\n${run.stderr}`);
    });
  });
}

test('snippet scratch directory is removed', async () => {
  await all.catch(() => {});
  rmSync(dir, { recursive: true, force: true });
});
