import { readFileSync } from 'node:fs';
import { assert, nr } from '../../helpers.js';

/* The fixture of Conv1D and the 1-D poolings (test/fixtures/sequence/conv1d_torch.py) and how its values are compared. */

export interface Encoded {
  shape: number[];
  data: number[];
}
export const fixture = JSON.parse(readFileSync(new URL('../../fixtures/sequence/conv1d_torch.json', import.meta.url), 'utf8'));

/** Every element within `tolerance` times the largest magnitude of the expected values (not vacuous: shapes must match). */
export function assertCloseToScale(actual: nr.Tensor | null, expected: Encoded, tolerance: number, message: string): void {
  assert.ok(actual, `${message}: missing`);
  assert.deepEqual(actual.shape, expected.shape, `${message}: shape`);
  const scale = Math.max(...expected.data.map(Math.abs));
  assert.ok(scale > 0, `${message}: the reference is all zeros`);
  const got = actual.data();
  expected.data.forEach((e, i) => {
    const diff = Math.abs(got[i]! - e);
    assert.ok(
      diff <= tolerance * scale,
      `${message} element ${i}: got ${got[i]}, expected ${e} (|diff| ${diff} > ${tolerance} x ${scale})`,
    );
  });
}

export const tensorOf = (e: Encoded, dtype: 'float32' | 'float64') => nr.tensor(e.data, e.shape, dtype);
