import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';

/*
 * Keras's transfer-learning semantics, as deck 004's exercise uses them: a frozen base (trainable
 * false) keeps its weights and its BatchNormalization statistics; `base.apply(x, {training: false})`
 * recorded in a functional graph keeps the base in inference mode when the outer model trains;
 * `trainable` set on a model reaches every sublayer; fine-tuning trains exactly the unfrozen layers.
 */

function values(weights: readonly nr.Variable[]): Float64Array[] {
  return weights.map((w) => Float64Array.from(w.data() as ArrayLike<number>));
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** A small base with BatchNormalization: two conv blocks (conv, BN, relu), as a functional model. */
function makeBase(): nr.Model {
  const input = nr.Input([8, 8, 3]);
  let x = new nr.layers.Conv2D(4, 3, { padding: 'same', name: 'block1_conv' }).apply(input);
  x = new nr.layers.BatchNormalization({ name: 'block1_bn' }).apply(x);
  x = new nr.layers.ReLU({ name: 'block1_relu' }).apply(x);
  x = new nr.layers.Conv2D(8, 3, { padding: 'same', name: 'block2_conv' }).apply(x);
  x = new nr.layers.BatchNormalization({ name: 'block2_bn' }).apply(x);
  x = new nr.layers.ReLU({ name: 'block2_relu' }).apply(x);
  return new nr.Model({ inputs: input, outputs: x, name: 'base' });
}

function data(n: number): { x: nr.Tensor; y: nr.Tensor } {
  const x = nr.randn([n, 8, 8, 3]).mul(2).add(1); // far from the BN's initial statistics (0, 1)
  const y = nr.tensor(Array.from({ length: n }, (_, i) => [i % 2]));
  return { x, y };
}

test('deck-004 recipe: a frozen base keeps every weight and moving statistic; fine-tuning trains exactly the unfrozen layers', async () => {
  nr.setSeed(4);
  const base = makeBase();
  const baseWeights = base.weights;
  const movingStats = baseWeights.filter((w) => /moving_(mean|variance)/.test(w.name));
  assert.equal(movingStats.length, 4);

  base.trainable = false;
  for (const layer of base.layers) assert.equal(layer.trainable, false, `${layer.name} is frozen with its model`);
  assert.deepEqual(base.trainableWeights, []);
  assert.equal(base.nonTrainableWeights.length, baseWeights.length);

  const inputs = nr.Input([8, 8, 3]);
  let x = base.apply(inputs, { training: false });
  x = new nr.layers.GlobalAveragePooling2D().apply(x);
  x = new nr.layers.Dropout(0.4).apply(x);
  const outputs = new nr.layers.Dense(1, { activation: 'sigmoid', name: 'head' }).apply(x);
  const model = new nr.Model({ inputs, outputs });
  model.compile({ optimizer: 'adam', loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const head = model.getLayer('head');
  assert.deepEqual(
    model.trainableWeights.map((w) => w.name),
    head.weights.map((w) => w.name),
  );

  const { x: xs, y: ys } = data(32);
  const before = values(baseWeights);
  const headBefore = values(head.weights);
  await model.fit(xs, ys, { epochs: 2, batch_size: 8, verbose: 0 } as never);
  values(baseWeights).forEach((v, i) => assert.ok(sameBits(v, before[i]!), `phase 1 changed ${baseWeights[i]!.name}`));
  assert.ok(
    values(head.weights).some((v, i) => !sameBits(v, headBefore[i]!)),
    'phase 1 trains the head',
  );

  // Phase 2: unfreeze the base, keep the layers before fineTuneAt frozen, recompile.
  base.trainable = true;
  for (const layer of base.layers) assert.equal(layer.trainable, true, `${layer.name} is unfrozen with its model`);
  const fineTuneAt = base.layers.findIndex((l) => l.name === 'block2_conv');
  for (const layer of base.layers.slice(0, fineTuneAt)) layer.trainable = false;
  model.compile({
    optimizer: new nr.optimizers.Adam({ learning_rate: 1e-3 } as never),
    loss: 'binary_crossentropy',
    metrics: ['accuracy'],
  });
  const frozen = new Set(base.layers.slice(0, fineTuneAt).flatMap((l) => l.weights));
  const middle = values(baseWeights);
  await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0 });
  const after = values(baseWeights);
  baseWeights.forEach((w, i) => {
    const changed = !sameBits(after[i]!, middle[i]!);
    if (frozen.has(w)) assert.ok(!changed, `phase 2 changed the frozen ${w.name}`);
    // training: false keeps the unfrozen BatchNormalization in inference mode: its statistics stay.
    else if (/moving_/.test(w.name)) assert.ok(!changed, `phase 2 moved ${w.name} although the base runs with training: false`);
    else assert.ok(changed, `phase 2 did not train ${w.name}`);
  });
});

test('a frozen nested model runs its BatchNormalization in inference mode even without training: false', async () => {
  nr.setSeed(5);
  const base = makeBase();
  base.trainable = false;
  const model = new nr.Sequential([base, new nr.layers.GlobalAveragePooling2D(), new nr.layers.Dense(1)]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const stats = base.weights.filter((w) => /moving_/.test(w.name));
  const before = values(stats);
  const { x, y } = data(16);
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  values(stats).forEach((v, i) => assert.ok(sameBits(v, before[i]!), `${stats[i]!.name} moved in a frozen model`));
  // Unfrozen, the same fit moves them (the control).
  base.trainable = true;
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
  assert.ok(
    values(stats).some((v, i) => !sameBits(v, before[i]!)),
    'an unfrozen BatchNormalization updates its statistics',
  );
});

test('training: false recorded in the graph keeps Dropout and augmentation inside a nested model off during fit', () => {
  nr.setSeed(6);
  const input = nr.Input([4, 4, 1]);
  const inner = new nr.Model({
    inputs: input,
    outputs: new nr.layers.Dropout(0.5).apply(new nr.layers.RandomFlip('horizontal', { seed: 1 }).apply(input)),
  });
  const outer = nr.Input([4, 4, 1]);
  const model = new nr.Model({ inputs: outer, outputs: inner.apply(outer, { training: false }) });
  const x = nr.randn([2, 4, 4, 1]);
  // The outer call says training: true (as fit does); the recorded false wins for the nested model.
  const y = model.apply(x, { training: true });
  assert.deepEqual(y.toArray(), x.toArray());
  // Without the recorded flag the same call drops and flips.
  const free = new nr.Model({ inputs: outer, outputs: inner.apply(outer) });
  assert.notDeepEqual(free.apply(x, { training: true }).toArray(), x.toArray());
});

test('trainable on a model reaches every sublayer; summary counts follow', () => {
  nr.setSeed(7);
  const inner = new nr.Sequential([new nr.layers.Dense(4, { inputShape: [3] }), new nr.layers.BatchNormalization()]);
  const model = new nr.Sequential([inner, new nr.layers.Dense(2)]);
  model.apply(nr.ones([1, 3]));
  const total = model.countParams();
  model.trainable = false;
  for (const layer of [...model.layers, ...inner.layers]) assert.equal(layer.trainable, false, layer.name);
  assert.deepEqual(model.trainableWeights, []);
  assert.equal(model.nonTrainableWeights.length, model.weights.length);
  const lines: string[] = [];
  model.summary((line) => lines.push(line));
  assert.ok(
    lines.some((l) => /Trainable params: 0 /.test(l)),
    lines.join('\n'),
  );
  assert.ok(
    lines.some((l) => new RegExp(`Non-trainable params: ${total.toLocaleString('en-US')} `).test(l)),
    lines.join('\n'),
  );
  model.trainable = true;
  for (const layer of [...model.layers, ...inner.layers]) assert.equal(layer.trainable, true, layer.name);
  // BatchNormalization's moving statistics stay non-trainable (8 of the 4*3+4+4*4+2*4+2 = 42).
  assert.equal(
    model.nonTrainableWeights.reduce((n, w) => n + w.size, 0),
    8,
  );
  assert.throws(
    () => {
      (model as { trainable: unknown }).trainable = 'no';
    },
    (e: Error) => e instanceof nr.ConfigError && /trainable must be true or false/.test(e.message),
  );
});

test('a training flag recorded in the graph survives getConfig / fromConfig and save / load', async () => {
  nr.setSeed(8);
  const input = nr.Input([4]);
  const inner = new nr.Model({ inputs: input, outputs: new nr.layers.Dropout(0.5).apply(input) });
  const outer = nr.Input([4]);
  const model = new nr.Model({ inputs: outer, outputs: new nr.layers.Dense(2).apply(inner.apply(outer, { training: false })) });
  const config = model.getConfig() as { nodes: { training?: boolean }[] };
  assert.deepEqual(
    config.nodes.map((n) => n.training),
    [undefined, false, undefined],
  );
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'neurona-training-flag-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    const x = nr.randn([3, 4]);
    assert.deepEqual(loaded.apply(x, { training: true }).toArray(), model.apply(x, { training: false }).toArray());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a frozen model saves its own flag; each sublayer keeps its own on load', async () => {
  nr.setSeed(9);
  const input = nr.Input([3]);
  const model = new nr.Model({
    inputs: input,
    outputs: new nr.layers.Dense(2, { name: 'head' }).apply(new nr.layers.Dense(4, { name: 'body' }).apply(input)),
  });
  model.trainable = false;
  model.getLayer('head').trainable = true; // the model's own flag still freezes everything
  assert.equal(model.trainableWeights.length, 0);
  const again = nr.Model.fromConfig(model.getConfig());
  assert.equal(again.trainable, false);
  assert.equal(again.getLayer('head').trainable, true);
  assert.equal(again.getLayer('body').trainable, false);
  assert.equal(again.trainableWeights.length, 0);
  const seq = new nr.Sequential([new nr.layers.Dense(2, { inputShape: [3], name: 'first' }), new nr.layers.Dense(1, { name: 'second' })]);
  seq.trainable = false;
  seq.getLayer('second').trainable = true;
  const seqAgain = nr.Sequential.fromConfig(seq.getConfig());
  assert.deepEqual([seqAgain.trainable, seqAgain.getLayer('first').trainable, seqAgain.getLayer('second').trainable], [false, false, true]);
});

const KERAS_FORMS = 'Adam(1e-3), Dense(8, "relu"), InputLayer({shape}), BackupAndRestore(dir)';
test(`Keras call forms from the course: ${KERAS_FORMS}, and configs with no-op Keras keys`, () => {
  assert.equal(new nr.optimizers.Adam(1e-3).learningRate, 1e-3);
  assert.equal(new nr.optimizers.SGD(0.1, { momentum: 0.9 }).momentum, 0.9);
  assert.equal(new nr.optimizers.AdamW(0.01).weightDecay, 0.004);
  assert.equal(new nr.layers.Dense(8, 'relu').getConfig().activation, 'relu');
  assert.deepEqual(new nr.layers.InputLayer({ shape: [784] } as never).batchInputShape, [null, 784]);
  assert.deepEqual(nr.Input({ batchShape: [8, 4] }).shape, [8, 4]);
  assert.equal(new nr.callbacks.BackupAndRestore('/tmp/neurona-backup-form').backupDir, '/tmp/neurona-backup-form');
  // Keras's get_config() writes the options it has switched off; those load, real values do not.
  assert.equal(new nr.layers.Dense({ units: 2, kernel_constraint: null, activity_regularizer: null } as never).units, 2);
  assert.throws(
    () => new nr.layers.Dense({ units: 2, kernel_constraint: 'max_norm' } as never),
    /kernel_constraint' \(Keras's\) is not supported/,
  );
  // A JSON '__proto__' key passed to a user's layer stays a plain key.
  class Passthrough extends nr.layers.Layer {
    call(x: nr.Tensor): nr.Tensor {
      return x;
    }
  }
  assert.equal(new Passthrough(JSON.parse('{"__proto__": {"trainable": "yes"}}')).trainable, true);
});
