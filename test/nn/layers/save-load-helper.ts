import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../../helpers.js';

/** Saves a model, loads it back and requires the same layer configs and bitwise-equal predictions on `probe`. */
export async function assertSaveLoadSame(model: nr.Model, probe: nr.Tensor): Promise<nr.Model> {
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-save-load-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    assert.deepEqual(
      loaded.layers.map((l) => l.getConfig()),
      model.layers.map((l) => l.getConfig()),
    );
    const after = loaded.predict(probe).data();
    assert.equal(after.length, before.length);
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
    return loaded;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
