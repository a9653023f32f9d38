import { test } from 'node:test';
import { assert } from '../helpers.js';
import {
  formatBytes,
  formatElapsed,
  formatEpochLine,
  formatEta,
  formatExponential,
  formatMetricValue,
  formatNumberWithCommas,
  formatProgressLine,
  formatPythonFloat,
  formatStepTime,
  formatTable,
  stripAnsi,
} from '../../src/core/format.js';

test('thousands separators and Keras summary byte sizes', () => {
  assert.equal(formatNumberWithCommas(6370), '6,370');
  assert.equal(formatNumberWithCommas(0), '0');
  assert.equal(formatNumberWithCommas(999), '999');
  assert.equal(formatNumberWithCommas(1234567), '1,234,567');
  assert.equal(formatNumberWithCommas(-50240), '-50,240');
  assert.equal(formatBytes(25480), '24.88 KB');
  assert.equal(formatBytes(0), '0.00 B');
  assert.equal(formatBytes(1023), '1023.00 B');
  assert.equal(formatBytes(1024), '1.00 KB');
  assert.equal(formatBytes(1.5 * 1024 * 1024), '1.50 MB');
});

test('time units: elapsed whole seconds, ETA m:ss, per-step s/ms/us', () => {
  assert.equal(formatElapsed(2.2), '2s');
  assert.equal(formatElapsed(125.4), '125s');
  assert.equal(formatElapsed(2.5), '2s'); // Python rounds ties to even
  assert.equal(formatElapsed(3.5), '4s');
  assert.equal(formatEta(45.9), '45s');
  assert.equal(formatEta(65), '1:05');
  assert.equal(formatEta(3723), '1:02:03');
  assert.equal(formatStepTime(0.008), '8ms/step');
  assert.equal(formatStepTime(1.4), '1s/step');
  assert.equal(formatStepTime(0), '0s/step');
  assert.equal(formatStepTime(0.00008), '80us/step');
  assert.equal(formatStepTime(0.0125), '12ms/step');
});

test('metric values: 4 decimals, scientific when |v| <= 1e-3, Python spellings', () => {
  assert.equal(formatMetricValue(0.28714), '0.2871');
  assert.equal(formatMetricValue(12.5), '12.5000');
  assert.equal(formatMetricValue(-0.5), '-0.5000');
  assert.equal(formatMetricValue(1.23456e-5), '1.2346e-05');
  assert.equal(formatMetricValue(0.001), '1.0000e-03');
  assert.equal(formatMetricValue(0), '0.0000e+00');
  assert.equal(formatMetricValue(NaN), 'nan');
  assert.equal(formatMetricValue(Infinity), 'inf');
  assert.equal(formatExponential(1.5e123), '1.5000e+123');
  assert.equal(formatPythonFloat(0.1), '0.1');
  assert.equal(formatPythonFloat(3), '3.0');
  assert.equal(formatPythonFloat(1e-5), '1e-05');
  assert.equal(formatPythonFloat(1.5e-7), '1.5e-07');
  assert.equal(formatPythonFloat(0.0001), '0.0001');
  assert.equal(formatPythonFloat(1e16), '1e+16');
  assert.equal(formatPythonFloat(123456789012345.0), '123456789012345.0');
  assert.equal(formatPythonFloat(NaN), 'nan');
});

test('the progress line has Keras 3 shape', () => {
  const logs = { val_loss: 0.3012, loss: 0.2871, val_accuracy: 0.905, accuracy: 0.9123 };
  assert.equal(
    formatProgressLine({ step: 250, steps: 250, elapsedSeconds: 2.1, secondsPerStep: 0.0084, logs, finished: true }),
    '250/250 ━━━━━━━━━━━━━━━━━━━━ 2s 8ms/step - accuracy: 0.9123 - loss: 0.2871 - val_accuracy: 0.9050 - val_loss: 0.3012',
  );
  // Running: padded count, partial bar, ETA.
  assert.equal(
    formatProgressLine({ step: 25, steps: 250, elapsedSeconds: 0.4, secondsPerStep: 0.014, logs: { loss: 0.5 }, finished: false }),
    ` 25/250 ━━${' '.repeat(18)} 3s 14ms/step - loss: 0.5000`,
  );
  assert.equal(
    formatProgressLine({ step: 5, steps: 250, elapsedSeconds: 0.1, secondsPerStep: 0.5, logs: {}, finished: false }),
    `  5/250 ${' '.repeat(20)} 2:02 500ms/step`,
  );
  const colored = formatProgressLine({ step: 125, steps: 250, elapsedSeconds: 1, logs: { loss: 1 }, finished: false, color: true });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes (ESC, \x1b) are what this checks
  assert.match(colored, /\x1b\[32m━{10}\x1b\[0m\x1b\[37m━{10}\x1b\[0m/);
  assert.equal(stripAnsi(colored), '125/250 ━━━━━━━━━━━━━━━━━━━━ 1s 8ms/step - loss: 1.0000');
  assert.equal(
    formatEpochLine({ steps: 250, elapsedSeconds: 2, secondsPerStep: 0.008, logs: { loss: 0.2871, accuracy: 0.9123 } }),
    '250/250 - 2s - 8ms/step - accuracy: 0.9123 - loss: 0.2871',
  );
});

test('formatTable draws a Keras 3 summary box', () => {
  const table = formatTable(
    [
      ['dense (Dense)', '650'],
      ['dense_1 (Dense)', '11'],
    ],
    [{ header: 'Layer (type)' }, { header: 'Param #', align: 'right' }],
  );
  assert.equal(
    table,
    [
      '┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓',
      '┃ Layer (type)    ┃ Param # ┃',
      '┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩',
      '│ dense (Dense)   │     650 │',
      '├─────────────────┼─────────┤',
      '│ dense_1 (Dense) │      11 │',
      '└─────────────────┴─────────┘',
    ].join('\n'),
  );
});
