/*
 * One-step-ahead forecasting of a noisy sum of two sines: SimpleRNN, LSTM and GRU, each reading a
 * window of past values, trained the same way on the first 80 % of the series and tested on the
 * rest. Prints each model's test MSE beside the naive forecast (tomorrow = today) and writes
 * forecast.png, the test series with every model's forecast.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { program } from './example.js';
import { saveLines } from './sequence-output.js';

/** The series: two incommensurate periods, so no window repeats, plus a little noise. */
function series(points: number): Float32Array {
  const values = new Float32Array(points);
  const noise = nr.randn([points], { std: 0.05 }).data();
  for (let t = 0; t < points; t++) values[t] = Math.sin((2 * Math.PI * t) / 40) + 0.5 * Math.sin((2 * Math.PI * t) / 17) + noise[t]!;
  return values;
}

/** Windows `[n, window, 1]` of the values before each target, and the targets `[n, 1]`. */
function windows(values: Float32Array, window: number, from: number, to: number): [nr.Tensor, nr.Tensor] {
  const n = to - from;
  const x = new Float32Array(n * window);
  for (let i = 0; i < n; i++) x.set(values.subarray(from + i - window, from + i), i * window);
  return [nr.tensor(x, [n, window, 1]), nr.tensor(values.slice(from, to), [n, 1])];
}

export const sineForecast = program({
  description: 'SimpleRNN vs LSTM vs GRU forecasting a noisy sum of sines: test MSE and a plot of the forecasts',
  flags: {
    points: { kind: 'positive', default: 2000, help: 'length of the series (the last 20 % is the test part)' },
    window: { kind: 'positive', default: 40, help: 'past values each forecast reads' },
    units: { kind: 'positive', default: 32, help: 'units of each recurrent layer' },
    epochs: { kind: 'positive', default: 20, help: 'epochs for each model' },
    batchSize: { kind: 'positive', default: 32, help: 'batch size' },
    out: { kind: 'text', default: 'out/sine-forecast', help: 'directory for forecast.png' },
  },
  async run({ points, window, units, epochs, batchSize, out }, print) {
    nr.setSeed(7);
    const values = series(points);
    const split = Math.round(points * 0.8);
    if (split - window < 2 || points - split < 2) {
      throw configError('sine-forecast', {
        expected: `--points must leave windows of ${window} values to train and test on`,
        got: `--points ${points}`,
        hint: `use --points ${Math.ceil((window + 2) / 0.8) + 2} or more, or a smaller --window`,
      });
    }
    const train = windows(values, window, window, split);
    const test = windows(values, window, split, points);
    const naive = test[0].slice([0, window - 1, 0], [-1, 1, 1]).reshape([-1, 1]);
    const naiveMse = nr.losses.meanSquaredError(test[1], naive).mean().item();
    print(`${train[0].shape[0]} training and ${test[0].shape[0]} test windows of ${window} steps`);
    print('model       parameters   test MSE   seconds');

    const options = { units, inputShape: [window, 1] };
    const recurrent = {
      SimpleRNN: () => new nr.layers.SimpleRNN(options),
      LSTM: () => new nr.layers.LSTM(options),
      GRU: () => new nr.layers.GRU(options),
    };
    const forecasts: Record<string, number[]> = { series: [...test[1].data()] };
    for (const [name, layer] of Object.entries(recurrent)) {
      nr.setSeed(1); // every model draws its weights and shuffles from the same seed
      const model = new nr.Sequential([layer(), new nr.layers.Dense({ units: 1 })]);
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.005 }), loss: 'mse' });
      const start = performance.now();
      await model.fit(train[0], train[1], { epochs, batchSize, verbose: 0 });
      const seconds = (performance.now() - start) / 1000;
      const prediction = model.predict(test[0]) as nr.Tensor;
      const mse = nr.losses.meanSquaredError(test[1], prediction).mean().item();
      forecasts[name] = [...prediction.data()];
      print(`${name.padEnd(12)}${String(model.countParams()).padStart(10)}   ${mse.toFixed(5)}   ${seconds.toFixed(1).padStart(7)}`);
    }
    print(`${'naive'.padEnd(12)}${'0'.padStart(10)}   ${naiveMse.toFixed(5)}   (the last value of the window)`);
    const path = join(out, 'forecast.png');
    // The first 120 steps: over the whole test part the lines are too dense to tell apart.
    const shown = Object.fromEntries(Object.entries(forecasts).map(([name, values]) => [name, values.slice(0, 120)]));
    await saveLines(path, shown, { title: 'one-step forecasts, first 120 test steps', x: 'test step', y: 'value' });
    print(`wrote ${path}`);
  },
});
