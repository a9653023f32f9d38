import { test } from 'node:test';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../helpers.js';

const near = (a: number, b: number, tol: number) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
import * as nr from '../../../src/index.js';
import { TinyGAN, makeGan, realPoints } from '../callbacks/fixtures/train-gan.js';

// Keras 3's customisation points: trainStep/testStep/predictStep overrides, addLoss, Mean trackers and
// named optimizers, checked against hand computations.

class Regressor extends nr.Model {
  net = new nr.layers.Dense({ units: 1, kernelInitializer: 'ones', biasInitializer: 'zeros' });
  mse = new nr.metrics.Mean({ name: 'mse' });
  seen = new nr.metrics.Sum('seen');
  override call(x: nr.Tensor): nr.Tensor {
    return this.net.apply(x);
  }
  override trainStep([x, y]: nr.StepData): nr.StepLogs {
    const vars = this.trainableWeights;
    const { value, grads } = nr.valueAndGrad(() =>
      this.apply(x as nr.Tensor)
        .sub(y as nr.Tensor)
        .square()
        .mean(),
    )(...vars);
    this.optimizer!.apply(grads, vars);
    this.mse.updateState(value);
    this.seen.updateState((x as nr.Tensor).shape[0]!);
    return { mse: this.mse.result(), seen: this.seen.result() };
  }
  override testStep([x, y]: nr.StepData): nr.StepLogs {
    const err = this.apply(x as nr.Tensor)
      .sub(y as nr.Tensor)
      .abs();
    this.mse.updateState(err.square());
    return { mse: this.mse };
  }
  override predictStep([x]: nr.StepData): nr.Tensor {
    return this.apply(x as nr.Tensor).mul(2);
  }
}

test('an overridden trainStep drives fit: its records reach History, the batch hooks and the progress line', async () => {
  const model = new Regressor();
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.1 }) });
  const x = nr.tensor([[1], [2], [3], [4]]);
  const y = nr.tensor([[2], [4], [6], [8]]);
  const batches: nr.callbacks.Logs[] = [];
  const lines: string[] = [];
  const hook = new nr.callbacks.LambdaCallback({ onTrainBatchEnd: (_b, logs) => void batches.push({ ...logs! }) });
  const progress = new nr.callbacks.ProgbarLogger({ verbose: 2, stream: { write: (l: string) => void lines.push(l) } });
  const history = await model.fit(x, y, { epochs: 2, batchSize: 2, shuffle: false, verbose: 0, callbacks: [hook, progress] });
  // Epoch 1, batch 1 by hand: w=1, b=0 on x=[1,2], y=[2,4]: loss mean((w x + b - y)^2) = (1 + 4) / 2 = 2.5.
  near(batches[0]!.mse!, 2.5, 1e-6);
  assert.equal(batches[0]!.seen, 2);
  assert.equal(batches[1]!.seen, 4);
  // The trackers are reset at each epoch: the second epoch starts counting samples from 0.
  assert.equal(batches[2]!.seen, 2);
  assert.deepEqual(Object.keys(history.history).sort(), ['mse', 'seen']);
  assert.equal(history.history.seen![1], 4);
  near(history.history.mse![0]!, (batches[1]!.mse! * 2) / 2, 1e-12);
  assert.ok(
    lines.some((l) => /mse: \d/.test(l) && /seen: 4/.test(l)),
    lines.join('\n'),
  );
});

test('testStep serves evaluate and the validation of fit; predictStep serves predict', async () => {
  const model = new Regressor();
  model.compile({ optimizer: 'sgd' });
  const x = nr.tensor([[1], [2], [3]]);
  const y = nr.tensor([[1], [1], [1]]);
  // w=1, b=0: errors 0, 1, 2; mean squared 5/3.
  const logs = await model.evaluate(x, y, { batchSize: 2, verbose: 0 });
  near(logs.mse!, 5 / 3, 1e-6);
  const p = model.predict(x, { batchSize: 2 });
  assert.deepEqual(Array.from(p.data()), [2, 4, 6]);
  const history = await model.fit(x, y, { epochs: 1, verbose: 0, validationData: [x, y] });
  assert.ok(Number.isFinite(history.history.val_mse![0]!));
});

test('a GAN subclass with two named optimizers trains through fit(x) with no targets', async () => {
  const gan = makeGan();
  const before = gan.generator.getWeights().map((w) => Array.from(w.data()));
  const dBefore = gan.discriminator.getWeights().map((w) => Array.from(w.data()));
  const history = await gan.fit(realPoints(), { epochs: 2, batchSize: 16, verbose: 0 });
  assert.equal(history.history.d_loss!.length, 2);
  assert.ok(history.history.g_loss!.every(Number.isFinite));
  assert.notDeepEqual(
    gan.generator.getWeights().map((w) => Array.from(w.data())),
    before,
  );
  assert.notDeepEqual(
    gan.discriminator.getWeights().map((w) => Array.from(w.data())),
    dBefore,
  );
  // 64 samples in batches of 16, two epochs: each named optimizer made 8 steps.
  assert.equal(gan.optimizers.generator!.iterations, 8);
  assert.equal(gan.optimizers.discriminator!.iterations, 8);
  assert.equal(gan.optimizer, null);
  assert.deepEqual(
    gan.metrics.map((m) => m.name),
    ['d_loss', 'g_loss'],
  );
});

test('the Report of a custom step shows its metrics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-custom-report-'));
  const gan = makeGan();
  const report = new nr.callbacks.Report({ dir, title: 'GAN' });
  await gan.fit(realPoints(), { epochs: 2, batchSize: 16, verbose: 0, callbacks: [report] });
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  assert.match(html, /d_loss/);
  assert.match(html, /g_loss/);
});

test('addLoss terms join the loss of the built-in step as closed forms say', async () => {
  class KLSampler extends nr.layers.Layer {
    override get takesInputList(): boolean {
      return true;
    }
    override call(inputs: nr.Tensor | readonly nr.Tensor[]): nr.Tensor {
      const [mean, logVar] = inputs as [nr.Tensor, nr.Tensor];
      // KL(N(mean, exp(logVar)) || N(0, 1)) per sample, summed over the latent axis, averaged over the batch.
      const kl = logVar.exp().add(mean.square()).sub(1).sub(logVar).sum(-1).mean().mul(0.5);
      this.addLoss(kl);
      return mean;
    }
    override computeOutputShape(shapes: nr.layers.LayerShape | readonly nr.layers.LayerShape[]): nr.layers.LayerShape {
      return (shapes as readonly nr.layers.LayerShape[])[0]!;
    }
  }
  const input = nr.Input({ shape: [2] });
  const mean = new nr.layers.Dense({ units: 2, name: 'mean', kernelInitializer: 'ones', biasInitializer: 'zeros' }).apply(input);
  const logVar = new nr.layers.Dense({ units: 2, name: 'log_var', kernelInitializer: 'zeros', biasInitializer: 'ones' }).apply(input);
  const z = new KLSampler({ name: 'kl' }).apply([mean, logVar]);
  const model = new nr.Model({ inputs: input, outputs: z });
  const x = nr.tensor([
    [1, 0],
    [0, 2],
  ]);
  // mean rows [1, 1] and [2, 2]; logVar 1 everywhere: KL per sample 0.5 * sum(e + m^2 - 1 - 1).
  const e = Math.E;
  const klRows = [0.5 * 2 * (e + 1 - 2), 0.5 * 2 * (e + 4 - 2)];
  const kl = (klRows[0]! + klRows[1]!) / 2;
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const y = nr.tensor([
    [1, 1],
    [2, 2],
  ]); // the compiled loss is 0 here, so the loss is the KL alone
  const logs = await model.evaluate(x, y, { verbose: 0 });
  near(logs.loss!, kl, 1e-5);
  near(model.computeLoss({ y, yPred: model.apply(x) }).item(), kl, 1e-5);
  // Compiled without a loss: the added loss alone is minimised by fit.
  const alone = new nr.Model({ inputs: input, outputs: z });
  alone.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.05 }) });
  const h = await alone.fit(x, { epochs: 5, verbose: 0, batchSize: 2 });
  near(h.history.loss![0]!, kl, 1e-5);
  assert.ok(h.history.loss![4]! < h.history.loss![0]! * 0.9, `${h.history.loss}`);
  // A non-scalar added loss is summed (Keras 3).
  const layer = new nr.layers.Dense({ units: 1 });
  layer.addLoss(nr.tensor([1, 2, 3]));
  assert.equal(layer.losses[0]!.item(), 6);
});

test('Mean and Sum trackers weight values as Keras does', () => {
  const m = new nr.metrics.Mean({ name: 'm' });
  m.updateState(
    nr.tensor([
      [1, 2],
      [3, 4],
    ]),
    nr.tensor([1, 0]),
  );
  near(m.result(), 1.5, 1e-12);
  m.updateState(10, 2);
  near(m.result(), (3 + 20) / 4, 1e-12);
  m.resetState();
  assert.equal(m.result(), 0);
  const s = new nr.metrics.Sum();
  s.updateState(nr.tensor([1, 2, 3]), nr.tensor([2, 2, 0]));
  assert.equal(s.result(), 6);
  assert.equal(s.name, 'sum');
  assert.throws(() => m.updateState(nr.tensor([1, 2]), nr.tensor([1, 2, 3])), /sampleWeight \[3\] must broadcast/);
});

test('misuse of the custom-step API fails with what to write instead', async () => {
  const gan = makeGan();
  // The built-in step has no single optimizer to use.
  class Plain extends TinyGAN {}
  Object.defineProperty(Plain.prototype, 'trainStep', { value: nr.Model.prototype.trainStep });
  const plain = new Plain();
  plain.compile({ optimizer: { generator: 'adam', discriminator: 'adam' }, loss: 'mse' });
  plain.call = (x: nr.Tensor) => plain.generator.apply(x);
  await assert.rejects(
    plain.fit(realPoints(), realPoints(), { verbose: 0 }),
    /built-in training step needs one optimizer; compile named "generator", "discriminator".*override trainStep/s,
  );
  class BadLogs extends nr.Model {
    w = new nr.layers.Dense({ units: 1 });
    override trainStep(): nr.StepLogs {
      return { loss: nr.tensor([1, 2]) };
    }
  }
  const bad = new BadLogs();
  bad.compile({ optimizer: 'sgd' });
  await assert.rejects(bad.fit(realPoints(), { verbose: 0 }), /value of "loss" must be a number, a one-element Tensor or a metric/);
  assert.throws(() => gan.compile({ optimizer: { 'a/b': 'adam' } }), /optimizer names must be identifiers/);
  const shared = new nr.optimizers.Adam();
  assert.throws(() => gan.compile({ optimizer: { g: shared, d: shared } }), /each named optimizer must be its own instance/);
  // No loss anywhere: the built-in step says how to give one.
  const m = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
  m.compile({ optimizer: 'sgd' });
  await assert.rejects(m.fit(realPoints(), realPoints().sum(-1, true), { verbose: 0 }), /a loss to minimise.*pass loss to compile/s);
});

test('model.save keeps named optimizers and a loss-less compile', async () => {
  const input = nr.Input({ shape: [2] });
  const out = new nr.layers.Dense({ units: 1, name: 'd' }).apply(input);
  const model = new nr.Model({ inputs: input, outputs: out });
  model.compile({ optimizer: { main: new nr.optimizers.Adam({ learningRate: 0.01 }), aux: 'sgd' } });
  const opt = model.optimizers.main!;
  opt.apply([nr.ones([2, 1]), nr.ones([1])], model.trainableWeights);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-named-opt-'));
  await model.save(dir);
  const loaded = await nr.loadModel(dir);
  assert.equal(loaded.optimizers.main!.iterations, 1);
  near(loaded.optimizers.main!.learningRate, 0.01, 1e-9);
  assert.equal(loaded.optimizers.aux!.className, 'SGD');
  assert.equal(loaded.compiled!.hasLoss, false);
});
