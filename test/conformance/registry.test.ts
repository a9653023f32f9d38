import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { KERNEL_NAMES, availableBackends, kernelProvider, kernels, registerBackend, type Kernels } from '../../src/backend/index.js';
import { assert, nr } from '../helpers.js';
import { KERNEL_COVERAGE } from './harness.js';

/*
 * Backend selection: a backend that implements a subset of the kernels gets the rest from js, one
 * kernel at a time; bad names raise a ConfigError that says what to do.
 */

test('registry: a backend with only `unary` is used for unary ops and falls back to js for the rest', () => {
  nr.setBackend('js');
  const jsUnary = kernels().unary;
  const jsBinary = kernels().binary;
  let calls = 0;
  const countingUnary: Kernels['unary'] = (op, x, out, param) => {
    calls++;
    jsUnary(op, x, out, param);
  };
  registerBackend({ name: 'unary-only', kernels: { unary: countingUnary } });
  try {
    nr.setBackend('unary-only');
    assert.equal(nr.getBackend(), 'unary-only');
    assert.ok(nr.availableBackends().includes('unary-only'));

    const e = nr.exp(nr.tensor([0, 1, -1]));
    assert.equal(calls, 1, 'nr.exp called the registered unary kernel once');
    assert.deepEqual(Array.from(e.data()), [1, Math.fround(Math.E), Math.fround(1 / Math.E)]);

    const sum = nr.add(nr.tensor([1, 2, 3]), nr.tensor([[10], [20]]));
    assert.deepEqual(
      sum.toArray(),
      [
        [11, 12, 13],
        [21, 22, 23],
      ],
      'nr.add works through the js fallback',
    );
    assert.equal(calls, 1, 'nr.add did not go through unary');

    assert.equal(kernelProvider('unary'), 'unary-only');
    for (const name of KERNEL_NAMES) {
      if (name !== 'unary') assert.equal(kernelProvider(name), 'js', `kernel ${name} falls back to js`);
    }
    assert.equal(kernels().binary, jsBinary, 'the fallback binary kernel is the js one itself');
    assert.equal(kernels().unary, countingUnary);
  } finally {
    nr.setBackend('js');
  }
  assert.equal(nr.getBackend(), 'js');
  nr.exp(nr.tensor([2]));
  assert.equal(calls, 1, 'after restoring js the registered kernel is no longer called');
  assert.equal(kernelProvider('unary'), 'js');
});

test('registry: setBackend with an unknown name throws a ConfigError listing the valid names', () => {
  const before = nr.getBackend();
  assert.throws(
    () => nr.setBackend('nope'),
    (error: unknown) => {
      assert.ok(error instanceof nr.ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.match(error.message, /nope/);
      assert.match(error.message, /\bjs\b/);
      assert.match(error.message, /\bnative\b/);
      return true;
    },
  );
  assert.equal(nr.getBackend(), before, 'a failed setBackend leaves the backend unchanged');
});

test('registry: setBackend("native") says why the addon is unavailable, or selects it when built', () => {
  if (availableBackends().includes('native')) {
    nr.setBackend('native');
    assert.equal(nr.getBackend(), 'native');
    nr.setBackend('js');
    return;
  }
  assert.throws(
    () => nr.setBackend('native'),
    (error: unknown) => {
      assert.ok(error instanceof nr.ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.match(error.message, /native/);
      assert.match(error.message, /unavailable/);
      // The reason from the loader, and the way out.
      assert.match(error.message, /addon/);
      assert.match(error.message, /setBackend\('js'\)/);
      return true;
    },
  );
  assert.equal(nr.getBackend(), 'js', 'the js backend stays active');
});

test('conformance coverage: every kernel in KERNEL_NAMES has a conformance test file', () => {
  assert.deepEqual([...KERNEL_NAMES].sort(), Object.keys(KERNEL_COVERAGE).sort());
  for (const name of KERNEL_NAMES) {
    const file = new URL(`./${KERNEL_COVERAGE[name]}`, import.meta.url);
    assert.ok(existsSync(file), `kernel ${name}: ${KERNEL_COVERAGE[name]} is missing`);
  }
});
