import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { ImagePool, readImageFile } from '../../src/data/image-pool.js';

const jpeg = resolve('test/fixtures/images/progressive.jpg');

test('ImagePool: worker threads return what the main thread computes, errors keep their class and the file name', async () => {
  const pool = new ImagePool(2);
  try {
    const job = { path: jpeg, colorMode: 'grayscale' as const, size: [5, 3], interpolation: 'bicubic' as const };
    const [threaded, inline] = await Promise.all([pool.run(job), readImageFile(job)]);
    assert.equal(pool.inline, false);
    assert.deepEqual(threaded, inline);
    await assert.rejects(
      pool.run({ path: 'no/such.png', colorMode: 'rgb' }),
      (e: unknown) => e instanceof nr.FormatError && /^no\/such\.png: cannot read the file \(ENOENT\)/.test(String((e as Error).message)),
    );
  } finally {
    await pool.close();
  }
  assert.throws(() => new ImagePool(-1), /numParallelCalls must be an integer from 0/);
});

test('ImagePool: an idle pool does not keep the process alive (workers started but never used included)', () => {
  const dir = mkdtempSync(join(resolve('.'), '.image-pool-test-'));
  try {
    const script = join(dir, 'run.mts');
    const source = `import { ImagePool } from ${JSON.stringify(resolve('src/data/image-pool.ts'))};
const pool = new ImagePool(3);
const image = await pool.run({ path: ${JSON.stringify(jpeg)}, colorMode: 'rgb', size: [2, 2] });
console.log(pool.inline ? 'inline' : 'threads', image.pixels.length);`;
    writeFileSync(script, source);
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''}: ${run.stderr}`);
    assert.equal(run.stdout.trim(), 'threads 12');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
