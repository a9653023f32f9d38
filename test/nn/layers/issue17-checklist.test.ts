import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../../helpers.js';

/*
 * What the layers of issue 17 share with every other layer: Keras's option spellings through the
 * shared normaliser, and a save/load round trip of one model holding all of them, whose predictions
 * must not move by a single bit.
 */

const L = nr.layers;

test("issue 17's layers: snake_case keys are Keras's spellings and build the same layer as camelCase", () => {
  const same = (snake: nr.layers.Layer, camel: nr.layers.Layer) => {
    const { name: _a, ...s } = snake.getConfig();
    const { name: _b, ...c } = camel.getConfig();
    assert.deepEqual(s, c, snake.className);
  };
  same(
    new L.Resizing({ height: 4, width: 6, crop_to_aspect_ratio: true, interpolation: 'nearest' } as never),
    new L.Resizing({ height: 4, width: 6, cropToAspectRatio: true, interpolation: 'nearest' }),
  );
  same(
    new L.Resizing({ height: 4, width: 6, pad_to_aspect_ratio: true, fill_value: 2 } as never),
    new L.Resizing({ height: 4, width: 6, padToAspectRatio: true, fillValue: 2 }),
  );
  same(new L.CenterCrop({ height: 2, width: 3, data_format: 'channels_last' } as never), new L.CenterCrop({ height: 2, width: 3 }));
  same(new L.AdaptiveAveragePooling2D({ output_size: [2, 3] } as never), new L.AdaptiveAveragePooling2D({ outputSize: [2, 3] }));
  same(
    new L.MaxPooling2D({ pool_size: 3, strides: 2, ceil_mode: true } as never),
    new L.MaxPooling2D({ poolSize: 3, strides: 2, ceilMode: true }),
  );
  same(new L.AveragePooling2D({ pool_size: 3, ceil_mode: true } as never), new L.AveragePooling2D({ poolSize: 3, ceilMode: true }));
  same(
    new L.Rescaling({ scale: [1, 2], offset: [0, 1], input_shape: [2] } as never),
    new L.Rescaling({ scale: [1, 2], offset: [0, 1], inputShape: [2] }),
  );
  same(
    new L.Normalization({ axis: -1, mean: [1], variance: [4], input_shape: [1] } as never),
    new L.Normalization({ mean: [1], variance: [4], inputShape: [1] }),
  );
  // Both spellings of one key together are refused, not silently merged.
  assert.throws(() => new L.AveragePooling2D({ ceilMode: true, ceil_mode: false } as never), nr.ConfigError);
});

test("issue 17's layers: an unknown option is a ConfigError naming the layer and the nearest valid key", () => {
  const cases: [() => unknown, RegExp][] = [
    [
      () => new L.Normalization({ varience: [1], name: 'n' } as never),
      /^Normalization "n": unknown option 'varience'; did you mean 'variance'\?/,
    ],
    [
      () => new L.Resizing({ height: 2, width: 2, crop_to_aspect_ration: true, name: 'r' } as never),
      /^Resizing "r": unknown option 'crop_to_aspect_ration'; did you mean 'crop_to_aspect_ratio'\?/,
    ],
    [
      () => new L.Resizing({ height: 2, width: 2, interpolate: 'nearest', name: 'r' } as never),
      /^Resizing "r": unknown option 'interpolate'; did you mean 'interpolation'\?/,
    ],
    [
      () => new L.CenterCrop({ height: 2, widht: 2, name: 'c' } as never),
      /^CenterCrop "c": unknown option 'widht'; did you mean 'width'\?/,
    ],
    [
      () => new L.AdaptiveAveragePooling2D({ outputSize: 2, output_sise: 2, name: 'a' } as never),
      /^AdaptiveAveragePooling2D "a": unknown option 'output_sise'; did you mean 'output_size'\?/,
    ],
    [
      () => new L.MaxPooling2D({ ceilmode: true, name: 'm' } as never),
      /^MaxPooling2D "m": unknown option 'ceilmode'; did you mean 'ceilMode'\?/,
    ],
    [
      () => new L.AveragePooling2D({ ceil_mod: true, name: 'p' } as never),
      /^AveragePooling2D "p": unknown option 'ceil_mod'; did you mean 'ceil_mode'\?/,
    ],
    [
      () => new L.Rescaling({ scale: [1, 2], offsets: [0, 1], name: 's' } as never),
      /^Rescaling "s": unknown option 'offsets'; did you mean 'offset'\?/,
    ],
  ];
  for (const [fn, pattern] of cases) {
    assert.throws(fn, (e: Error) => e instanceof nr.ConfigError && pattern.test(e.message), `${pattern.source}`);
  }
});

test("issue 17's layers, activations and VarianceScaling save and load in one model with bitwise-equal predictions", async () => {
  nr.setSeed(17);
  const input = nr.Input({ shape: [9, 11, 3] });
  const norm = new L.Normalization({ name: 'norm' });
  const images = nr.randu([2, 9, 11, 3], { low: 0, high: 255 });
  norm.adapt(images);
  let x = new L.Rescaling({ scale: [1 / 255, 2 / 255, 0.5], offset: [0, -1, 3] }).apply(input);
  x = norm.apply(x);
  x = new L.Normalization({ mean: [0.5, 0.4, 0.3], variance: [0.05, 0.06, 0.07], invert: true }).apply(x);
  x = new L.Resizing({ height: 12, width: 12, interpolation: 'bicubic', cropToAspectRatio: true }).apply(x);
  x = new L.CenterCrop({ height: 10, width: 9 }).apply(x);
  const varianceScaling = { className: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'truncated_normal' } };
  x = new L.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu6', kernelInitializer: varianceScaling }).apply(x);
  x = new L.MaxPooling2D({ poolSize: 3, strides: 2, ceilMode: true }).apply(x);
  const pooled = new L.AveragePooling2D({ poolSize: 2, strides: 2, ceilMode: true }).apply(x);
  const adaptive = new L.AdaptiveAveragePooling2D({ outputSize: 2 }).apply(x);
  x = new L.Activation('hard_swish').apply(new L.Concatenate().apply([new L.Flatten().apply(pooled), new L.Flatten().apply(adaptive)]));
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 5, activation: 'hard_silu' }).apply(x) });
  const probe = nr.randu([3, 9, 11, 3], { low: 0, high: 255 });
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-issue17-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    assert.deepEqual(
      loaded.layers.map((l) => l.className),
      model.layers.map((l) => l.className),
    );
    const after = loaded.predict(probe).data();
    assert.equal(after.length, before.length);
    assert.ok(
      before.some((v) => v !== 0),
      'the probe must reach the output',
    );
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
    assert.deepEqual((loaded.getLayer('norm') as nr.layers.Normalization).meanWeight!.data(), norm.meanWeight!.data());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
