/**
 * `neurona bench [args]`: the benchmarks live in bench/run.ts, TypeScript that is not compiled into
 * dist/ and not shipped in the npm package, so they run from a source checkout through tsx.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file both in src/cli and in dist/cli. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Why the benchmarks cannot run from `root`, or null when they can. */
export function benchUnavailable(root = PACKAGE_ROOT): string | null {
  if (!existsSync(join(root, 'bench', 'run.ts'))) {
    return (
      `bench needs the source checkout: ${join(root, 'bench', 'run.ts')} is not in this installation ` +
      "(the npm package leaves bench/ out); clone the repository and run 'npm run bench' there"
    );
  }
  try {
    createRequire(join(root, 'package.json')).resolve('tsx');
  } catch {
    return `bench runs bench/run.ts through tsx, which is not installed in ${root}; run 'npm install' there (tsx is a devDependency)`;
  }
  return null;
}

/** Runs bench/run.ts with `args`, forwarding its output; resolves to its exit code. */
export function runBench(
  args: readonly string[],
  out: (s: string) => void,
  err: (s: string) => void,
  root = PACKAGE_ROOT,
): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join('bench', 'run.ts'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', out);
    child.stderr.setEncoding('utf8').on('data', err);
    child.on('error', (e) => {
      err(`neurona: could not start the benchmark: ${e.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
