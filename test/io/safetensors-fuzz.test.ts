import { test } from 'node:test';
import { assert } from '../helpers.js';
import { runSafetensorsFuzz } from './safetensors.fuzz.js';

test('safetensors fuzz: 20,000 seeded mutations, every rejection a FormatError, none slow', () => {
  const report = runSafetensorsFuzz(20000, 20240607);
  assert.equal(report.cases, 20000);
  assert.equal(report.crashes, 0, report.examples.join('\n'));
  assert.equal(report.hangs, 0, report.examples.join('\n'));
  assert.ok(report.rejected > 15000, `most mutations should be rejected, got ${JSON.stringify(report)}`);
});
