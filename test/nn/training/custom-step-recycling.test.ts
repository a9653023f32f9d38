import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';
import { clearBufferPool, pooledBufferBytes, setBufferPooling } from '../../../src/core/index.js';

/*
 * fit running a model's own trainStep gives the storage of the activations inside the model's
 * functional runs back to the buffer pool when the step ends, and the intermediate gradients of its
 * valueAndGrad during the backward pass (src/tensor/autograd.ts, runRecyclingStep). These tests show
 * that this changes no result, that it does recycle, and that nothing the step's own code (or a
 * custom layer) can hold is ever given back.
 */

/** A layer that keeps its last output and everything it returned (it says nothing of keepsNoTensors). */
class Keeper extends nr.layers.Layer {
  readonly kept: { tensor: nr.Tensor; copy: Float32Array }[] = [];
  override call(x: nr.Tensor): nr.Tensor {
    const out = x.mul(1.5);
    this.kept.push({ tensor: out, copy: Float32Array.from(out.data() as Float32Array) });
    return out;
  }
}

/** A small U-Net: convolutions, GroupNormalization, swish, a stride-2 convolution, upsampling, a skip Concatenate. */
function unet(keeper: Keeper | null): nr.Model {
  nr.setSeed(21);
  const x = nr.Input({ shape: [8, 8, 2] });
  const a = new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }).apply(x);
  let h = new nr.layers.Activation('swish').apply(new nr.layers.GroupNormalization({ groups: 2 }).apply(a));
  if (keeper) h = keeper.apply(h);
  h = new nr.layers.Conv2D({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }).apply(h);
  h = new nr.layers.Concatenate().apply([new nr.layers.UpSampling2D({ size: 2 }).apply(h), a]);
  const out = new nr.layers.Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(h);
  return new nr.Model({ inputs: x, outputs: out });
}

/** What the step's own code kept from each step, with copies of the values they had then. */
interface Held {
  tensor: nr.Tensor;
  copy: Float32Array;
}

/** A denoiser trained by its own trainStep: predict x from x + noise; it holds on to what its code made. */
class Denoiser extends nr.Model {
  readonly tracker = new nr.metrics.Mean({ name: 'loss' });
  readonly held: Held[] = [];
  lastOutput: nr.Tensor | null = null;
  constructor(readonly network: nr.Model) {
    super({ name: 'denoiser' });
  }
  override call(x: nr.Tensor): nr.Tensor {
    return this.network.apply(x);
  }
  override trainStep(data: nr.StepData): nr.StepLogs {
    const x = data[0] as nr.Tensor;
    const noisy = x.add(nr.randn(x.shape).mul(0.3));
    const vars = this.network.trainableWeights;
    let output: nr.Tensor | null = null;
    const { value, grads } = nr.valueAndGrad(() => {
      output = this.network.apply(noisy, { training: true });
      return output.sub(x).square().mean();
    })(...vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]!] as const));
    this.tracker.updateState(value);
    const hold = (t: nr.Tensor) => this.held.push({ tensor: t, copy: Float32Array.from(t.data() as Float32Array) });
    hold(output!);
    hold(noisy);
    hold(value);
    hold(output!.sub(x));
    for (const g of grads) hold(g);
    this.lastOutput = output;
    return { loss: this.tracker.result() };
  }
}

function bits(model: nr.Model): number[][] {
  return model.getWeights().map((w) => Array.from(new Uint32Array(Float32Array.from(w.data() as Float32Array).buffer)));
}

/** The same kind of network as a Sequential model (Sequential notes its runs too). */
function sequential(): nr.Model {
  nr.setSeed(21);
  return new nr.Sequential([
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [8, 8, 2] }),
    new nr.layers.GroupNormalization({ groups: 2 }),
    new nr.layers.Activation('swish'),
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }),
    new nr.layers.Activation('swish'),
    new nr.layers.Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }),
  ]);
}

async function train(pooling: boolean, keeper: Keeper | null = null, network: () => nr.Model = () => unet(keeper)) {
  setBufferPooling(pooling);
  try {
    const model = new Denoiser(network());
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }) });
    nr.setSeed(4);
    const x = nr.randn([48, 8, 8, 2]);
    const pooled: number[] = [];
    const probe = new nr.callbacks.LambdaCallback({ onTrainBatchEnd: () => void pooled.push(pooledBufferBytes()) });
    const history = await model.fit(x, undefined, { epochs: 2, batchSize: 16, shuffle: false, verbose: 0, callbacks: [probe] });
    return { model, loss: history.history.loss as number[], weights: bits(model), pooled };
  } finally {
    setBufferPooling(true);
    clearBufferPool();
  }
}

test("fit recycles a custom trainStep's internal activations: the same bits as without recycling", async () => {
  const off = await train(false);
  const on = await train(true);
  assert.deepEqual(on.loss, off.loss);
  assert.deepEqual(on.weights, off.weights);
  assert.ok(
    off.pooled.every((b) => b === 0),
    `without pooling nothing is pooled, got ${off.pooled}`,
  );
  // After each step the pool holds at least the model's internal activations at 16 x 8 x 8 x 4
  // (the GroupNormalization, swish, upsampling and Concatenate outputs).
  const activation = 16 * 8 * 8 * 4 * 4;
  assert.ok(
    on.pooled.every((b) => b >= 3 * activation),
    `pooled bytes after each step: ${on.pooled}`,
  );
});

test('nothing the step code holds is given back: model outputs, its own tensors, the loss and the gradients keep their values', async () => {
  const { model } = await train(true);
  const denoiser = model as Denoiser;
  // 6 steps (48 images in batches of 16, 2 epochs), each holding 4 tensors and one gradient per weight.
  assert.equal(denoiser.held.length, 6 * (4 + denoiser.network.trainableWeights.length));
  denoiser.held.forEach(({ tensor, copy }, i) => {
    assert.deepEqual(tensor.data(), copy, `held tensor ${i} (${tensor.shape}) changed after its step`);
  });
});

test("a custom layer's tensors are never given back", async () => {
  const keeper = new Keeper();
  const run = await train(true, keeper);
  assert.ok(keeper.kept.length >= 6);
  keeper.kept.forEach(({ tensor, copy }, i) => assert.deepEqual(tensor.data(), copy, `the keeper's output ${i} changed`));
  // Keeping tensors costs recycling nothing else: the same result as without it.
  const plain = await train(false, new Keeper());
  assert.deepEqual(run.loss, plain.loss);
});

test('differentiating a graph kept from an earlier step raises, naming the mistake, instead of reading recycled storage', async () => {
  const { model } = await train(true);
  const stale = (model as Denoiser).lastOutput!;
  assert.throws(
    () => nr.valueAndGrad((o: nr.Tensor) => o.sum())(stale),
    /backward: .*from a model run whose activations the training step gave back to the buffer pool after a backward pass/,
  );
});

test('inside one step, differentiating a model output a second time raises instead of reading given-back activations', async () => {
  class Twice extends Denoiser {
    override trainStep(data: nr.StepData): nr.StepLogs {
      const x = data[0] as nr.Tensor;
      const vars = this.network.trainableWeights;
      let output: nr.Tensor | null = null;
      nr.valueAndGrad(() => {
        output = this.network.apply(x, { training: true });
        return output.square().mean();
      })(...vars);
      nr.valueAndGrad(() => output!.mean())(...vars);
      return {};
    }
  }
  const model = new Twice(unet(null));
  model.compile({ optimizer: 'adam' });
  await assert.rejects(
    model.fit(nr.randn([16, 8, 8, 2]), undefined, { epochs: 1, batchSize: 16, verbose: 0 }),
    /run the model inside the function you give nr\.valueAndGrad, once for each gradient you need/,
  );
});

/** A step that differentiates the model's output a second time, in the same step or (kept) in the next. */
class Again extends nr.Model {
  kept: nr.Tensor | null = null;
  constructor(
    readonly network: nr.Model,
    readonly sameStep: boolean,
    readonly detach = false,
  ) {
    super({ name: 'again' });
  }
  override call(x: nr.Tensor): nr.Tensor {
    return this.network.apply(x);
  }
  override trainStep(data: nr.StepData): nr.StepLogs {
    const x = data[0] as nr.Tensor;
    const vars = this.network.trainableWeights;
    if (this.kept) nr.valueAndGrad(() => this.kept!.sum())(...vars);
    let out: nr.Tensor | null = null;
    nr.valueAndGrad(() => {
      out = this.network.apply(x, { training: true });
      return out.square().mean();
    })(...vars);
    // Fresh allocations that would land in given-back storage.
    for (let i = 0; i < 4; i++) nr.randn(x.shape).mul(2);
    if (this.sameStep) nr.valueAndGrad(() => out!.sum())(...vars);
    this.kept = this.detach ? out!.detach() : out;
    return {};
  }
}

test('a given-back activation with no node of its own (an Activation on the input) still makes a second differentiation raise', async () => {
  for (const sameStep of [true, false]) {
    const input = nr.Input({ shape: [8] });
    const out = new nr.layers.Dense({ units: 3 }).apply(new nr.layers.Activation('relu').apply(input));
    const model = new Again(new nr.Model({ inputs: input, outputs: out }), sameStep);
    model.compile({ optimizer: 'sgd' });
    await assert.rejects(
      model.fit(nr.randn([32, 8]), undefined, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 }),
      /from a model run whose activations the training step gave back/,
      `same step: ${sameStep}`,
    );
  }
});

test("a Lambda's function is user code: what it receives is never given back", async () => {
  const captured: { tensor: nr.Tensor; copy: Float32Array }[] = [];
  const input = nr.Input({ shape: [8, 8, 2] });
  const h = new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input);
  const l = new nr.layers.Lambda((t: nr.Tensor) => {
    captured.push({ tensor: t, copy: Float32Array.from(t.data() as Float32Array) });
    return t.mul(2);
  }).apply(h) as nr.layers.SymbolicTensor;
  const out = new nr.layers.Conv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(l);
  const model = new Denoiser(new nr.Model({ inputs: input, outputs: out }));
  model.compile({ optimizer: 'adam' });
  await model.fit(nr.randn([48, 8, 8, 2]), undefined, { epochs: 1, batchSize: 16, verbose: 0 });
  assert.ok(captured.length >= 3);
  captured.forEach(({ tensor, copy }, i) => assert.deepEqual(tensor.data(), copy, `the Lambda's input ${i} changed`));
});

test("the error's advice works: an output kept for the next step as t.detach() is a constant there", async () => {
  const input = nr.Input({ shape: [8] });
  const out = new nr.layers.Dense({ units: 3 }).apply(new nr.layers.Activation('relu').apply(input));
  const model = new Again(new nr.Model({ inputs: input, outputs: out }), false, true);
  model.compile({ optimizer: 'sgd' });
  await model.fit(nr.randn([32, 8]), undefined, { epochs: 1, batchSize: 16, shuffle: false, verbose: 0 });
  assert.equal(model.kept!.shape.join(','), '16,3');
});

test('a Sequential network in a custom trainStep is recycled too: the same bits, the pool fills, held tensors keep their values', async () => {
  const off = await train(false, null, sequential);
  const on = await train(true, null, sequential);
  assert.deepEqual(on.loss, off.loss);
  assert.deepEqual(on.weights, off.weights);
  // The GroupNormalization, swish and middle convolution outputs at 16 x 8 x 8 x 4.
  assert.ok(
    on.pooled.every((b) => b >= 3 * 16 * 8 * 8 * 4 * 4),
    `pooled bytes after each step: ${on.pooled}`,
  );
  (on.model as Denoiser).held.forEach(({ tensor, copy }, i) => assert.deepEqual(tensor.data(), copy, `held tensor ${i} changed`));
});

test('a Sequential teacher run under noGrad in a custom trainStep: what the step keeps of its output keeps its values', async () => {
  // Inference through a Sequential gives its values back itself; the step must not give them back a
  // second time (the pool had handed them to a later tensor by then, which the step then freed).
  nr.setSeed(1);
  const teacher = new nr.Sequential([0, 1, 2, 3].map((i) => new nr.layers.Dense({ units: 16, ...(i === 0 ? { inputShape: [16] } : {}) })));
  class Student extends nr.Model {
    readonly net = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [16] })]);
    readonly held: Held[] = [];
    override call(x: nr.Tensor): nr.Tensor {
      return this.net.apply(x);
    }
    override trainStep([x]: nr.StepData): nr.StepLogs {
      const taught = nr.noGrad(() => teacher.apply(x as nr.Tensor));
      const kept = nr.noGrad(() => taught.mul(2));
      this.held.push({ tensor: kept, copy: Float32Array.from(kept.data() as Float32Array) });
      return { n: 0 };
    }
  }
  const student = new Student();
  student.compile({ optimizer: 'sgd' });
  await student.fit(nr.randn([24, 16]), undefined, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
  assert.equal(student.held.length, 3);
  student.held.forEach(({ tensor, copy }, i) => assert.deepEqual(Array.from(tensor.data()), Array.from(copy), `step ${i}`));
});
