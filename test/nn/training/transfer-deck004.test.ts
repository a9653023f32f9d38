import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nr, assert } from '../../helpers.js';

/*
 * Deck 004's transfer recipe on a residual base (Conv2D / BatchNormalization / Add, as ResNet builds
 * it) that went through save and load first, as a pretrained base does: phase 1 leaves every base
 * variable bit-identical, phase 2 trains exactly the layers from fineTuneAt on, `base(x, {training:
 * false})` keeps BatchNormalization on its moving statistics and Dropout off while the outer model
 * fits, and summary() counts parameters by Keras's rule. transfer.test.ts checks the plain stack.
 */

const bits = (w: nr.Variable): Float32Array => Float32Array.from(w.data() as ArrayLike<number>);
const sameBits = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

/** Two residual stages on 8x8x3: an identity block, then a strided block with a 1x1 projection shortcut. */
function residualBase(): nr.Model {
  const conv = (filters: number, kernelSize: number, name: string, strides = 1) =>
    new nr.layers.Conv2D({ filters, kernelSize, strides, padding: 'same', name });
  const bn = (name: string) => new nr.layers.BatchNormalization({ name });
  const input = nr.Input([8, 8, 3]);
  const stem = new nr.layers.ReLU({ name: 'stem_relu' }).apply(bn('stem_bn').apply(conv(4, 3, 'stem_conv').apply(input)));
  let x = new nr.layers.ReLU({ name: 'b1_relu' }).apply(bn('b1_bn1').apply(conv(4, 3, 'b1_conv1').apply(stem)));
  x = bn('b1_bn2').apply(conv(4, 3, 'b1_conv2').apply(x));
  x = new nr.layers.ReLU({ name: 'b1_out' }).apply(new nr.layers.Add({ name: 'b1_add' }).apply([stem, x]));
  const shortcut = conv(8, 1, 'b2_proj', 2).apply(x);
  x = bn('b2_bn').apply(conv(8, 3, 'b2_conv', 2).apply(x));
  x = new nr.layers.ReLU({ name: 'b2_out' }).apply(new nr.layers.Add({ name: 'b2_add' }).apply([shortcut, x]));
  return new nr.Model({ inputs: input, outputs: x, name: 'base' });
}

/** The deck's head: base(inputs, training=False) -> GlobalAveragePooling2D -> Dropout(0.4) -> Dense. */
function withHead(base: nr.Model): nr.Model {
  const inputs = nr.Input([8, 8, 3]);
  let x = base.apply(inputs, { training: false });
  x = new nr.layers.GlobalAveragePooling2D({ name: 'gap' }).apply(x);
  x = new nr.layers.Dropout({ rate: 0.4, name: 'head_dropout' }).apply(x);
  const model = new nr.Model({ inputs, outputs: new nr.layers.Dense({ units: 10, activation: 'softmax', name: 'head' }).apply(x) });
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

function summaryCounts(model: nr.Model): { total: string; trainable: string; nonTrainable: string } {
  const lines: string[] = [];
  model.summary((line) => lines.push(line));
  const count = (label: string) => lines.find((l) => l.startsWith(` ${label}: `))?.split(' ')[3] ?? `no ${label} line`;
  return { total: count('Total params'), trainable: count('Trainable params'), nonTrainable: count('Non-trainable params') };
}

// Built once (a fit and a save/load round trip): the tests below share the pretrained base.
nr.setSeed(17);
const x = nr.randn([32, 8, 8, 3]).mul(3).add(2); // far from BatchNormalization's initial statistics (0, 1)
const y = nr.tensor(
  Array.from({ length: 32 }, (_, i) => i % 10),
  [32],
  'int32',
);
const pretrained = residualBase();
{
  // "Pretraining": a fit moves the moving statistics away from 0 and 1, so inference and training
  // modes of BatchNormalization give different outputs below.
  const model = new nr.Sequential([pretrained, new nr.layers.GlobalAveragePooling2D(), new nr.layers.Dense(10)]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
}
const dir = mkdtempSync(join(tmpdir(), 'neurona-transfer-deck004-'));
await pretrained.save(join(dir, 'base'));
const base = await nr.loadModel(join(dir, 'base'));
rmSync(dir, { recursive: true, force: true });

test('a loaded residual base, frozen: summary counts by Keras (base all non-trainable); phase 1 keeps every base variable', async () => {
  base.trainable = false;
  const model = withHead(base);
  // Base: convs 112 + 148 + 148 + 296 + 40, BNs 16 + 16 + 16 + 32 (half of each the moving statistics) = 824; head 8*10+10.
  assert.equal(base.countParams(), 824);
  assert.deepEqual(summaryCounts(model), { total: '914', trainable: '90', nonTrainable: '824' });
  assert.deepEqual(
    model.trainableWeights.map((w) => w.name),
    model.getLayer('head').weights.map((w) => w.name),
  );
  const before = base.weights.map(bits);
  const head = model.getLayer('head').weights.map(bits);
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  base.weights.forEach((w, i) => assert.ok(sameBits(bits(w), before[i]!), `phase 1 changed the frozen ${w.name}`));
  assert.ok(
    model.getLayer('head').weights.some((w, i) => !sameBits(bits(w), head[i]!)),
    'phase 1 did not train the head',
  );
});

test('phase 2: with base.layers.slice(0, fineTuneAt) frozen, exactly the variables after fineTuneAt train', async () => {
  base.trainable = true;
  // Block 2 starts at its shortcut: the graph lists b2_proj before b2_conv (both read b1_out).
  const fineTuneAt = base.layers.findIndex((l) => l.name === 'b2_proj');
  assert.deepEqual(
    base.layers.slice(fineTuneAt).map((l) => l.name),
    ['b2_proj', 'b2_conv', 'b2_bn', 'b2_add', 'b2_out'],
  );
  for (const layer of base.layers.slice(0, fineTuneAt)) layer.trainable = false;
  const model = withHead(base);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }), loss: 'sparse_categorical_crossentropy' });
  const tuned = new Set(base.layers.slice(fineTuneAt).flatMap((l) => l.trainableWeights));
  // Frozen: stem, block 1 (112 + 16 + 2 * (148 + 16) = 456) and b2_bn's moving statistics (16); the rest trains.
  assert.deepEqual(summaryCounts(model), { total: '914', trainable: '442', nonTrainable: '472' });
  const names = (ws: Iterable<nr.Variable>) => [...ws].map((w) => w.name).sort();
  assert.deepEqual(names(model.trainableWeights), names([...tuned, ...model.getLayer('head').weights]));
  const before = base.weights.map(bits);
  await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
  for (const [i, w] of base.weights.entries()) {
    const changed = !sameBits(bits(w), before[i]!);
    if (tuned.has(w)) assert.ok(changed, `phase 2 did not train ${w.name}`);
    else assert.ok(!changed, `phase 2 changed ${w.name}, which is frozen (or a moving statistic under training: false)`);
  }
});

/** Records what reaches it and in which mode; passes its input on. */
class Probe extends nr.layers.Layer {
  seen: { training: boolean; values: Float32Array }[] = [];
  override call(inputs: nr.Tensor, options: { training?: boolean }): nr.Tensor {
    this.seen.push({ training: options.training === true, values: Float32Array.from(inputs.data() as ArrayLike<number>) });
    return inputs;
  }
}

test('base(x, {training: false}) inside a fitting model: BatchNormalization on moving statistics, Dropout off', async () => {
  base.trainable = true; // even unfrozen, the recorded flag decides the base's mode
  const input = nr.Input([8, 8, 3]);
  const withDropout = new nr.Model({
    inputs: input,
    outputs: new nr.layers.Dropout({ rate: 0.5 }).apply(base.apply(input)),
    name: 'base_with_dropout',
  });
  const expected = Float32Array.from(withDropout.apply(x, { training: false }).data() as ArrayLike<number>);
  const fitWith = async (training: boolean | undefined): Promise<{ training: boolean; values: Float32Array }> => {
    const probe = new Probe({ name: 'probe' });
    const inputs = nr.Input([8, 8, 3]);
    const features = probe.apply(withDropout.apply(inputs, training === undefined ? {} : { training }));
    const model = new nr.Model({
      inputs,
      outputs: new nr.layers.Dense({ units: 10, name: 'head' }).apply(new nr.layers.GlobalAveragePooling2D().apply(features)),
    });
    model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 32, shuffle: false, verbose: 0 });
    return probe.seen.at(-1)!;
  };
  const stats = base.weights.filter((w) => /moving_/.test(w.name));
  const statsBefore = stats.map(bits);
  const recorded = await fitWith(false);
  assert.equal(recorded.training, true, 'the probe after the base runs in training mode during fit');
  assert.ok(sameBits(recorded.values, expected), 'the base did not run in inference mode inside fit');
  stats.forEach((w, i) => assert.ok(sameBits(bits(w), statsBefore[i]!), `${w.name} moved under training: false`));
  // The control: without the recorded flag the same fit runs the base in training mode.
  const free = await fitWith(undefined);
  assert.ok(!sameBits(free.values, expected), 'without training: false the base should have used batch statistics and Dropout');
  assert.ok(
    stats.some((w, i) => !sameBits(bits(w), statsBefore[i]!)),
    'without training: false the moving statistics should have moved',
  );
});
