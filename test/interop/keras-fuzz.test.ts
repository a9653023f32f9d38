import { test } from 'node:test';
import { assert } from '../helpers.js';
import { runKerasFuzz, runTfjsFuzz } from './keras.fuzz.js';

test('fromTfjs on 500 damaged model.json + shard pairs: only FormatErrors naming the file, no hangs', () => {
  const report = runTfjsFuzz(500, 20261206);
  assert.deepEqual(report.examples, []);
  assert.equal(report.crashes, 0);
  assert.equal(report.hangs, 0);
  assert.ok(report.rejected > 300 && report.accepted > 20, `${report.rejected} rejected, ${report.accepted} accepted`);
});

test('fromKeras on 150 damaged .keras archives: only FormatErrors naming the file, no hangs', () => {
  const report = runKerasFuzz(150, 20261206);
  assert.deepEqual(report.examples, []);
  assert.equal(report.crashes, 0);
  assert.equal(report.hangs, 0);
  assert.ok(report.rejected > 60 && report.accepted > 15, `${report.rejected} rejected, ${report.accepted} accepted`);
});
