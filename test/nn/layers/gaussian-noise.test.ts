import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;
const moments = (t: nr.Tensor) => {
  const v = Array.from(t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length) };
};

test('GaussianNoise and GaussianDropout pass the shared layer test (they act in training only)', () => {
  runLayerTest(() => new L.GaussianNoise({ stddev: 0.3, seed: 2 }), {
    inputShape: [3, 4],
    expectedOutputShape: [3, 4],
    trainingDiffers: true,
  });
  runLayerTest(() => new L.GaussianDropout(0.4, { seed: 3 }), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3, 2],
    trainingDiffers: true,
  });
});

test('GaussianNoise adds N(0, stddev); GaussianDropout multiplies by N(1, sqrt(rate / (1 - rate))) (Keras 3)', () => {
  const noise = moments(new L.GaussianNoise({ stddev: 0.5 }).apply(nr.full([20000], 3), { training: true }).sub(3));
  assert.ok(Math.abs(noise.mean) < 0.02 && Math.abs(noise.std - 0.5) < 0.02, JSON.stringify(noise));
  const drop = moments(new L.GaussianDropout({ rate: 0.2 }).apply(nr.full([20000], 2), { training: true }).div(2));
  assert.ok(Math.abs(drop.mean - 1) < 0.02 && Math.abs(drop.std - 0.5) < 0.02, JSON.stringify(drop));
  assert.deepEqual(new L.GaussianDropout({ rate: 0 }).apply(nr.ones([3]), { training: true }).toArray(), [1, 1, 1]);
});

test('a seed gives the layer its own stream: reproducible, independent of nr.setSeed, advancing per call', () => {
  const draw = () => {
    const layer = new L.GaussianNoise({ stddev: 1, seed: 7 });
    nr.setSeed(Math.floor(Math.random() * 1000));
    return [0, 1].map(() => layer.apply(nr.zeros([4]), { training: true }).toArray());
  };
  const [a, b] = [draw(), draw()];
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1]);
});

test('GaussianNoise and GaussianDropout save and load (inference is the identity, bitwise)', async () => {
  const input = nr.Input({ shape: [3] });
  const h = new L.GaussianDropout({ rate: 0.3, seed: 1 }).apply(new L.GaussianNoise({ stddev: 0.1 }).apply(input));
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2 }).apply(h) });
  const loaded = await assertSaveLoadSame(model, nr.randn([4, 3]));
  assert.deepEqual(
    loaded.layers.slice(1, 3).map((l) => l.getConfig().seed),
    [null, 1],
  );
});

test('GaussianNoise and GaussianDropout reject bad options, naming the layer', () => {
  assert.throws(
    () => new L.GaussianNoise({ stddev: -1, name: 'gn' }),
    (e: Error) => e instanceof nr.ConfigError && /GaussianNoise "gn": stddev must be a finite number >= 0, got -1/.test(e.message),
  );
  assert.throws(
    () => new L.GaussianDropout({ rate: 1, name: 'gd' }),
    (e: Error) => e instanceof nr.ConfigError && /GaussianDropout "gd": rate must be a number in \[0, 1\), got 1/.test(e.message),
  );
  assert.throws(() => new L.GaussianDropout({ rate: 0.1, seed: Number.NaN }), /seed must be a finite number/);
});
