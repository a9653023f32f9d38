import { test } from 'node:test';
import { assert } from '../../helpers.js';
import { runModelBytesFuzz } from './model-bytes.fuzz.js';

test('loadModel(bytes) on 1,500 damaged containers: only FormatErrors naming the bytes, no hangs', () => {
  const report = runModelBytesFuzz(1500, 20261206);
  assert.deepEqual(report.examples, []);
  assert.equal(report.crashes, 0);
  assert.equal(report.hangs, 0);
  assert.ok(report.rejected > 700 && report.accepted > 25, `${report.rejected} rejected, ${report.accepted} accepted`);
});
