import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

test('epsilon and floatx default to Keras values and can be changed', () => {
  assert.equal(nr.epsilon(), 1e-7);
  assert.equal(nr.floatx(), 'float32');
  nr.setEpsilon(1e-5);
  nr.setFloatx('float64');
  try {
    assert.equal(nr.epsilon(), 1e-5);
    assert.equal(nr.floatx(), 'float64');
  } finally {
    nr.setEpsilon(1e-7);
    nr.setFloatx('float32');
  }
});

test('bad settings are ConfigErrors naming the setting', () => {
  assert.throws(
    () => nr.setEpsilon(0),
    (e: Error) => e instanceof nr.ConfigError && /setEpsilon/.test(e.message),
  );
  assert.throws(() => nr.setEpsilon(Number.NaN), nr.ConfigError);
  assert.throws(
    () => nr.setFloatx('int32' as 'float32'),
    (e: Error) => e instanceof nr.ConfigError && /setFloatx/.test(e.message),
  );
});
