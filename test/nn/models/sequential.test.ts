import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { Sequential, Model, Input } from '../../../src/nn/models/index.js';

const { Dense } = nr.layers;

test('summary of the deck-001 MLP: Keras 3 table and totals, before fit', () => {
  nr.layers.resetLayerNames();
  const model = new Sequential([
    new Dense({ units: 8, activation: 'relu', inputShape: [784] }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
  const lines: string[] = [];
  model.summary((l) => lines.push(l));
  const text = lines.join('\n');
  assert.match(text, /^Model: "sequential"/);
  assert.match(text, /┃ Layer \(type\)\s+┃ Output Shape\s+┃\s+Param # ┃/);
  assert.match(text, /│ dense \(Dense\)\s+│ \(None, 8\)\s+│\s+6,280 │/);
  assert.match(text, /│ dense_1 \(Dense\)\s+│ \(None, 10\)\s+│\s+90 │/);
  assert.ok(lines.includes(' Total params: 6,370 (24.88 KB)'), text);
  assert.ok(lines.includes(' Trainable params: 6,370 (24.88 KB)'), text);
  assert.ok(lines.includes(' Non-trainable params: 0 (0.00 B)'), text);
  assert.equal(model.countParams(), 6370);
});

const xorX = () =>
  nr.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
const xorY = () => nr.tensor([[0], [1], [1], [0]]);

test('fit learns XOR (2-8-1 tanh/sigmoid, Adam 0.05) to accuracy 1', async () => {
  nr.setSeed(1);
  const model = new Sequential([
    new Dense({ units: 8, activation: 'tanh', inputShape: [2] }),
    new Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(xorX(), xorY(), { epochs: 300, batchSize: 4, verbose: 0 });
  assert.equal(history.history.loss!.length, 300);
  assert.equal(history.history.accuracy!.at(-1), 1);
  assert.ok(history.history.loss!.at(-1)! < history.history.loss![0]!);
  const result = await model.evaluate(xorX(), xorY(), { verbose: 0 });
  assert.equal(result.accuracy, 1);
  assert.deepEqual(
    Array.from(model.predict(xorX()).data(), (p) => (p > 0.5 ? 1 : 0)),
    [0, 1, 1, 0],
  );
});

test('regression 3 -> 1 reaches a low MSE; trains without an inputShape (built on first data)', async () => {
  nr.setSeed(2);
  const x = nr.randn([128, 3]);
  const y = x.matmul(nr.tensor([[1.5], [-2], [0.5]])).add(0.3);
  const model = new Sequential([new Dense({ units: 1 })]);
  assert.equal(model.built, false);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.1 }), loss: 'mse', metrics: ['mae'] });
  const history = await model.fit(x, y, { epochs: 60, batchSize: 16, verbose: 0 });
  assert.ok(history.history.loss!.at(-1)! < 1e-3, `final loss ${history.history.loss!.at(-1)}`);
  assert.ok('mae' in history.history);
});

async function twoEpochs(seed: number): Promise<Float32Array[]> {
  nr.setSeed(seed);
  const x = nr.randn([40, 3]);
  const y = nr.randn([40, 2]);
  const model = new Sequential([new Dense({ units: 5, activation: 'relu', inputShape: [3] }), new Dense({ units: 2 })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: true, verbose: 0 });
  return model.getWeights().map((w) => w.data() as Float32Array);
}

test('determinism: same seed, same weights bit for bit (with shuffling); another seed differs', async () => {
  const a = await twoEpochs(5);
  const b = await twoEpochs(5);
  const c = await twoEpochs(6);
  a.forEach((w, i) => assert.deepEqual(Buffer.from(w.buffer), Buffer.from(b[i]!.buffer)));
  assert.notDeepEqual(Array.from(a[0]!), Array.from(c[0]!));
});

test('validationSplit takes the last rows, before shuffling', async () => {
  nr.setSeed(3);
  // Training rows have y = 0; the last 25% have y = 100: val_loss sees only those.
  const x = nr.zeros([8, 1]);
  const y = nr.tensor([[0], [0], [0], [0], [0], [0], [100], [100]]);
  const model = new Sequential([new Dense({ units: 1, inputShape: [1], kernelInitializer: 'zeros' })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
  const history = await model.fit(x, y, { epochs: 1, batchSize: 2, validationSplit: 0.25, verbose: 0 });
  assert.equal(history.history.loss![0], 0);
  assert.equal(history.history.val_loss![0], 10000);
});

test('evaluate / predict agree with a manual forward pass', async () => {
  nr.setSeed(4);
  const model = new Sequential([
    new Dense({ units: 4, activation: 'relu', inputShape: [3] }),
    new Dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  const x = nr.randn([10, 3]);
  const y = nr.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
  const p = model.predict(x, { batchSize: 3 });
  assert.deepEqual(p.shape, [10, 3]);
  const [k1, b1, k2, b2] = model.getWeights();
  const manual = x.matmul(k1!).add(b1!).relu().matmul(k2!).add(b2!).softmax(-1);
  assertClose(p, manual, { rtol: 1e-5, atol: 1e-6 });
  const result = await model.evaluate(x, y, { batchSize: 4, verbose: 0 });
  const expectedLoss = nr.losses.getLoss('sparse_categorical_crossentropy').call(y, manual).item();
  assertClose([result.loss!], [expectedLoss], { rtol: 1e-5 });
  const predicted = Array.from(manual.argmax(-1).data(), Number);
  const expectedAcc = predicted.filter((c, i) => c === Number(y.data()[i])).length / 10;
  assertClose([result.accuracy!], [expectedAcc]);
});

test('trainOnBatch returns logs and updates weights; getLayer by name and index; add/pop', () => {
  nr.layers.resetLayerNames();
  const model = new Sequential([new Dense({ units: 2, inputShape: [3], name: 'hidden' })], { name: 'm' });
  model.add(new Dense({ units: 1, name: 'out' }));
  assert.equal(model.getLayer('out'), model.layers[1]);
  assert.equal(model.getLayer(0).name, 'hidden');
  assert.throws(() => model.getLayer('nope'), /no layer named "nope"; the layers are "hidden", "out"/);
  assert.throws(() => model.getLayer(5), /index 5 is out of range/);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const before = model.getWeights()[0]!.toArray();
  const logs = model.trainOnBatch(nr.ones([4, 3]), nr.ones([4, 1]));
  assert.equal(typeof logs.loss, 'number');
  assert.notDeepEqual(model.getWeights()[0]!.toArray(), before);
  assert.equal(model.pop().name, 'out');
  assert.equal(model.layers.length, 1);
});

test('getConfig / fromConfig rebuilds a Sequential model; setWeights restores outputs', () => {
  const model = new Sequential([new Dense({ units: 3, activation: 'relu', inputShape: [2] }), new Dense({ units: 1 })]);
  const copy = Sequential.fromConfig(JSON.parse(JSON.stringify(model.getConfig())));
  copy.setWeights(model.getWeights());
  const x = nr.randn([5, 2]);
  assertClose(copy.predict(x), model.predict(x));
  assert.ok(Model);
  assert.ok(Input);
});

test('regularization penalties are added to the loss', () => {
  const model = new Sequential([
    new Dense({ units: 1, inputShape: [1], kernelInitializer: 'ones', kernelRegularizer: nr.regularizers.l2(0.5) }),
  ]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0 }), loss: 'mse' });
  const logs = model.trainOnBatch(nr.zeros([2, 1]), nr.zeros([2, 1]));
  assertClose([logs.loss!], [0.5]);
});
