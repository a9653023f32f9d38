import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { Sequential, Model, Input } from '../../../src/nn/models/index.js';
import type { CallOptions } from '../../../src/nn/layer.js';

const { Dense } = nr.layers;

test('functional model: two inputs, two outputs, per-output losses and lossWeights; trains', async () => {
  nr.setSeed(10);
  nr.layers.resetLayerNames();
  const a = Input({ shape: [3], name: 'a' });
  const b = Input({ shape: [2], name: 'b' });
  const ha = new Dense({ units: 4, activation: 'tanh' }).apply(a);
  const hb = new Dense({ units: 4, activation: 'tanh' }).apply(b);
  const merged = new nr.layers.Add().apply([ha, hb]);
  const reg = new Dense({ units: 1, name: 'reg' }).apply(merged);
  const cls = new Dense({ units: 1, activation: 'sigmoid', name: 'cls' }).apply(merged);
  const model = new Model({ inputs: [a, b], outputs: [reg, cls] });
  assert.equal(model.name, 'functional');
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['a', 'b', 'dense', 'dense_1', 'add', 'reg', 'cls'],
  );
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.05 }),
    loss: { reg: 'mse', cls: 'binary_crossentropy' },
    lossWeights: [1, 0.5],
    metrics: { cls: ['accuracy'], reg: [] },
  });
  const xa = nr.randn([32, 3]);
  const xb = nr.randn([32, 2]);
  const yReg = xa.sum(-1, true).add(xb.sum(-1, true));
  const yCls = nr.cast(yReg.greater(0), 'float32');
  const history = await model.fit([xa, xb], [yReg, yCls], { epochs: 80, batchSize: 8, verbose: 0 });
  const h = history.history;
  assert.deepEqual(Object.keys(h).sort(), ['cls_accuracy', 'cls_loss', 'loss', 'reg_loss']);
  assert.ok(h.loss!.at(-1)! < h.loss![0]! / 3, `loss ${h.loss![0]} -> ${h.loss!.at(-1)}`);
  assertClose([h.loss!.at(-1)!], [h.reg_loss!.at(-1)! + 0.5 * h.cls_loss!.at(-1)!], { rtol: 1e-4 });
  const [pReg, pCls] = model.predict<nr.Tensor[]>([xa, xb]);
  assert.deepEqual(pReg!.shape, [32, 1]);
  assert.deepEqual(pCls!.shape, [32, 1]);
  const lines: string[] = [];
  model.summary((l) => lines.push(l));
  assert.ok(
    lines.some((l) => /a \(InputLayer\)\s+│ \(None, 3\)\s+│\s+0 │/.test(l)),
    lines.join('\n'),
  );
  assert.throws(() => model.predict([xa]), /takes 2 tensors, one per input \(a, b\), got 1 tensor;/);
  assert.throws(() => model.predict([xa, nr.ones([32, 5])]), /input "b" expects shape \(None, 2\), got \[32, 5\]/);
});

test('new Model(inputs, outputs); a shared layer keeps one set of weights; config round trip', () => {
  const x = Input({ shape: [4] });
  const shared = new Dense({ units: 4, activation: 'relu' });
  const y = new Dense({ units: 2 }).apply(shared.apply(shared.apply(x)));
  const model = new Model(x, y);
  assert.equal(model.weights.length, 4);
  assert.equal(model.countParams(), 20 + 10);
  const input = nr.randn([3, 4]);
  const manual = y.layer!.apply(shared.apply(shared.apply(input)));
  assertClose(model.predict(input), manual);
  const copy = Model.fromConfig(JSON.parse(JSON.stringify(model.getConfig())));
  assert.equal(copy.weights.length, 4);
  copy.setWeights(model.getWeights());
  assertClose(copy.predict(input), manual);
});

test('a Sequential nests inside a functional model and trains with it', async () => {
  nr.setSeed(11);
  const inner = new Sequential([new Dense({ units: 6, activation: 'tanh' }), new Dense({ units: 3 })]);
  const x = Input({ shape: [5] });
  const out = new Dense({ units: 1 }).apply(inner.apply(x));
  const model = new Model({ inputs: x, outputs: out });
  assert.equal(model.countParams(), 36 + 21 + 4);
  assert.equal(model.trainableWeights.length, 6);
  const lines: string[] = [];
  model.summary((l) => lines.push(l));
  assert.ok(
    lines.some((l) => /sequential\S* \(Sequential\)\s+│ \(None, 3\)\s+│\s+57 │/.test(l)),
    lines.join('\n'),
  );
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const before = inner.getWeights()[0]!.toArray();
  await model.fit(nr.randn([16, 5]), nr.randn([16, 1]), { epochs: 2, verbose: 0 });
  assert.notDeepEqual(inner.getWeights()[0]!.toArray(), before);
  const copy = Model.fromConfig(JSON.parse(JSON.stringify(model.getConfig())));
  assert.equal(copy.countParams(), model.countParams());
});

class TwoLayer extends Model {
  hidden = new Dense({ units: 8, activation: 'tanh' });
  heads = [new Dense({ units: 1, activation: 'sigmoid' })];
  override call(x: nr.Tensor, { training }: CallOptions = {}): nr.Tensor {
    void training;
    return this.heads[0]!.apply(this.hidden.apply(x));
  }
}

test('a subclassed model gathers its layers from fields and trains (XOR)', async () => {
  nr.setSeed(12);
  const model = new TwoLayer();
  assert.equal(model.name.startsWith('two_layer'), true);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.05 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const x = nr.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  const y = nr.tensor([[0], [1], [1], [0]]);
  const history = await model.fit(x, y, { epochs: 300, batchSize: 4, verbose: 0 });
  assert.equal(history.history.accuracy!.at(-1), 1);
  assert.deepEqual(
    model.layers.map((l) => l.className),
    ['Dense', 'Dense'],
  );
  assert.equal(model.trainableWeights.length, 4);
  assert.equal(model.trainableWeights[0], model.hidden.kernel);
});
