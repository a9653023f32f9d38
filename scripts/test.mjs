// Runs every test/**/*.test.ts with node's test runner, TypeScript through scripts/ts-loader.mjs (tsx's
// transform, esbuild's, with a start-up that costs a fraction of tsx's: each test file is a process).
// (Node 20's runner has no glob support, so the files are collected here.)
// Extra arguments are passed to node, e.g. `npm test -- --test-name-pattern=matmul`.
// Output goes through scripts/reporter.mjs (a line per file, failures in full, node's summary last);
// NEURONA_TEST_REPORTER=tap (or spec, dot) picks one of node's own reporters, as does --test-reporter=...
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function collect(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

const args = process.argv.slice(2);
const explicit = args.filter((a) => a.endsWith('.ts'));
const options = args.filter((a) => !a.endsWith('.ts'));
const files = explicit.length > 0 ? explicit : collect('test');
const reporter = [];
if (!options.some((a) => a.startsWith('--test-reporter'))) {
  const name = process.env.NEURONA_TEST_REPORTER;
  reporter.push(`--test-reporter=${name ? name : fileURLToPath(new URL('reporter.mjs', import.meta.url))}`);
}
// Two files at a time at least: node's default (cores - 1) runs one at a time on 2 cores, where the
// run's processes keep only about 1.35 cores busy (start-ups, child processes, Chromium, I/O); two at
// a time took the whole run from 15.0 to 9.9 minutes there. Node 20.10 and later have the option.
const [major, minor] = process.versions.node.split('.').map(Number);
if (!options.some((a) => a.startsWith('--test-concurrency')) && (major > 20 || minor >= 10)) {
  options.push(`--test-concurrency=${Math.max(2, availableParallelism() - 1)}`);
}
const loader = fileURLToPath(new URL('ts-loader.mjs', import.meta.url));
const result = spawnSync(process.execPath, ['--import', loader, '--test', ...reporter, ...options, ...files], {
  stdio: 'inherit',
  env: { ...process.env, NEURONA_QUIET: process.env.NEURONA_QUIET ?? '1' },
});
process.exit(result.status ?? 1);
