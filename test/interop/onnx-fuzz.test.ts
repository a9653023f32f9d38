import { test } from 'node:test';
import { assert } from '../helpers.js';
import { runOnnxFuzz } from './onnx.fuzz.js';

test('fromOnnx on 500 damaged files: only FormatErrors naming the file, no hangs', () => {
  const report = runOnnxFuzz(500, 20261206);
  assert.deepEqual(report.examples, []);
  assert.equal(report.crashes, 0);
  assert.equal(report.hangs, 0);
  assert.ok(report.rejected > 300 && report.accepted > 10, `${report.rejected} rejected, ${report.accepted} accepted`);
});
