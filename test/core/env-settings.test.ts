import { test } from 'node:test';
import { assert, captureNotices } from '../helpers.js';
import { envFlag, envInteger, isQuiet, notice, setNoticeSink } from '../../src/core/index.js';

/* Environment variables with a value neurona does not understand say so, once, instead of being silently taken as unset. */

function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const before = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

test('envFlag: 1 is on; unset, empty and 0 are off silently; anything else is off with one notice naming it', () => {
  for (const [value, on] of [
    ['1', true],
    ['0', false],
    ['', false],
    [undefined, false],
  ] as const) {
    const { value: result, notices: lines } = captureNotices(() => withEnv('NEURONA_TEST_FLAG', value, () => envFlag('NEURONA_TEST_FLAG')));
    assert.equal(result, on, String(value));
    assert.deepEqual(lines, []);
  }
  for (const bad of ['true', 'yes', '2']) {
    const { value: result, notices: lines } = captureNotices(() =>
      withEnv('NEURONA_TEST_FLAG', bad, () => [envFlag('NEURONA_TEST_FLAG'), envFlag('NEURONA_TEST_FLAG')]),
    );
    assert.deepEqual(result, [false, false]);
    assert.deepEqual(lines, [`neurona: NEURONA_TEST_FLAG="${bad}" is not 1 or 0; treated as 0 (off)`]);
  }
});

test('envInteger: a valid value is used; a bad one gives the default with a notice saying which', () => {
  const read = () => envInteger('NEURONA_TEST_INT', 1, 'one thread per core');
  assert.equal(
    withEnv('NEURONA_TEST_INT', '3', () => read()),
    3,
  );
  assert.equal(
    withEnv('NEURONA_TEST_INT', undefined, () => read()),
    undefined,
  );
  for (const bad of ['0', 'two', '1.5']) {
    const { value: result, notices: lines } = captureNotices(() => withEnv('NEURONA_TEST_INT', bad, () => [read(), read()]));
    assert.deepEqual(result, [undefined, undefined]);
    assert.deepEqual(lines, [`neurona: NEURONA_TEST_INT="${bad}" is not an integer >= 1; ignored, using one thread per core`]);
  }
});

test('a bad NEURONA_QUIET is reported once through the default sink, which asks isQuiet from inside the notice', () => {
  // setNoticeSink returns the default sink; setting it back clears the notices shown so far.
  const original = setNoticeSink(() => {});
  setNoticeSink(original);
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (line: string) => void warned.push(line);
  try {
    withEnv('NEURONA_QUIET', 'yes', () => {
      notice('something happened');
      notice('something else');
      assert.equal(isQuiet(), false);
    });
  } finally {
    console.warn = warn;
    setNoticeSink(original);
  }
  assert.deepEqual(warned, [
    'neurona: NEURONA_QUIET="yes" is not 1 or 0; treated as 0 (off)',
    'neurona: something happened',
    'neurona: something else',
  ]);
});
