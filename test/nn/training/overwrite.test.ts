import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';
import { freshBufferBytes, pooledBufferBytes } from '../../../src/core/index.js';

/*
 * A model writes a ReLU's result over the BatchNormalization output it reads, and an Add's over one
 * of its inputs, when nothing else reads that value (src/tensor/overwrite.ts, runGraph's
 * overwritePlan). These tests show that it happens where it may, never where something else reads
 * the value, and that it changes no result: the same model built from subclasses (which never
 * overwrite) trains to bit-identical weights.
 */

// Subclasses keep every behaviour but are not the exact built-in classes, so nothing is overwritten.
class PlainBatchNormalization extends nr.layers.BatchNormalization {}
class PlainAdd extends nr.layers.Add {}

/** A residual block as ResNet's (conv, BN, ReLU, conv, BN, Add, ReLU) and MobileNet's ReLU6, then a head. */
function residual(plain: boolean, seed = 3): nr.Model {
  nr.setSeed(seed);
  const BN = plain ? PlainBatchNormalization : nr.layers.BatchNormalization;
  const Add = plain ? PlainAdd : nr.layers.Add;
  const input = nr.Input([8, 8, 3]);
  const stem = new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', name: 'stem' }).apply(input);
  let x = new nr.layers.Activation('relu', { name: 'stem_relu' }).apply(new BN({ name: 'stem_bn' }).apply(stem));
  const shortcut = x;
  x = new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv1' }).apply(x);
  x = new nr.layers.ReLU({ name: 'relu1' }).apply(new BN({ name: 'bn1' }).apply(x));
  x = new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', name: 'conv2' }).apply(x);
  x = new Add({ name: 'add' }).apply([shortcut, new BN({ name: 'bn2' }).apply(x)]);
  x = new nr.layers.ReLU({ maxValue: 6, name: 'relu6' }).apply(x);
  x = new nr.layers.GlobalAveragePooling2D().apply(x);
  const out = new nr.layers.Dense({ units: 3, activation: 'softmax', name: 'head' }).apply(x);
  const model = new nr.Model({ inputs: input, outputs: out });
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.05, momentum: 0.9 }), loss: 'sparse_categorical_crossentropy' });
  return model;
}

function batch(): { x: nr.Tensor; y: nr.Tensor } {
  nr.setSeed(17);
  return { x: nr.randn([6, 8, 8, 3]), y: nr.tensor([0, 1, 2, 0, 1, 2], [6], 'int32') };
}

/** Every node of `root`'s graph, by op name: [output, its first input]. */
function nodesByOp(root: nr.Tensor): Map<string, [nr.Tensor, nr.Tensor][]> {
  const found = new Map<string, [nr.Tensor, nr.Tensor][]>();
  const seen = new Set<nr.Tensor>([root]);
  const stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    const node = t._node;
    if (!node) continue;
    const list = found.get(node.op) ?? [];
    list.push([t, node.inputs[0]!]);
    found.set(node.op, list);
    for (const input of node.inputs) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return found;
}

const shares = (a: nr.Tensor, b: nr.Tensor) => a._data.buffer === b._data.buffer;

test('ReLU writes over the BatchNormalization output it alone reads, Add over a BN output, ReLU6 over the sum', () => {
  const { x } = batch();
  const out = residual(false).apply(x, { training: true });
  const nodes = nodesByOp(out);
  const relus = nodes.get('relu')!;
  assert.equal(relus.length, 2);
  for (const [y, input] of relus) {
    assert.equal(input._node?.op, 'batchNorm');
    assert.ok(shares(y, input), 'a relu after a BN read by nothing else must write over it');
  }
  const [[sum, first]] = nodes.get('add')! as [[nr.Tensor, nr.Tensor]];
  const second = sum._node!.inputs[1]!;
  // The shortcut is the stem ReLU's output, read by conv1 as well: never overwritten. bn2's output is.
  assert.ok(!shares(sum, first), 'the Add must not write over the shortcut, which conv1 reads too');
  assert.ok(shares(sum, second), "the Add must write over bn2's output");
  const [[clipped, added]] = nodes.get('boundedRelu')! as [[nr.Tensor, nr.Tensor]];
  assert.ok(shares(clipped, added), 'ReLU(maxValue 6) must write over the sum');
  // conv1 reads the stem ReLU's output in its backward pass: that storage is its own.
  assert.ok(!shares(relus.find(([, i]) => i._node?.op === 'batchNorm')![0], x));
});

test('nothing is overwritten that another layer, the caller or a subclass may read', () => {
  const { x } = batch();
  nr.setSeed(1);
  const input = nr.Input([8, 8, 3]);
  const bn = new nr.layers.BatchNormalization().apply(input);
  // Read twice: by the ReLU and by the Add.
  const relu = new nr.layers.ReLU().apply(bn);
  const both = new nr.layers.Add().apply([relu, bn]);
  // A model output read by a ReLU as well.
  const bn2 = new nr.layers.BatchNormalization().apply(both);
  const relu2 = new nr.layers.Activation('relu').apply(bn2);
  // A subclass: the value it makes is never offered.
  const bn3 = new PlainBatchNormalization().apply(relu2);
  const relu3 = new nr.layers.ReLU().apply(bn3);
  // A function activation may keep what it is given: not offered either.
  const bn4 = new nr.layers.BatchNormalization().apply(relu3);
  const relu4 = new nr.layers.Activation((t: nr.Tensor) => nr.relu(t)).apply(bn4);
  const model = new nr.Model({ inputs: input, outputs: [relu4, bn2] });
  const [y4, y2] = model.apply<nr.Tensor[]>([x], { training: true });
  const nodes = nodesByOp(y4!);
  for (const [y, read] of nodes.get('relu')!) assert.ok(!shares(y, read), `a relu wrote over a value read elsewhere`);
  assert.ok(!shares(y2!, y4!));
  const [[sum, a]] = nodes.get('add')! as [[nr.Tensor, nr.Tensor]];
  assert.ok(!shares(sum, a) && !shares(sum, sum._node!.inputs[1]!), 'the Add wrote over an input read elsewhere');
});

test('Sequential: a ReLU after BatchNormalization writes over it; the model input is never written', () => {
  nr.setSeed(2);
  const model = new nr.Sequential([
    new nr.layers.BatchNormalization({ inputShape: [4, 4, 2] }),
    new nr.layers.ReLU(),
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3 }),
    new nr.layers.BatchNormalization(),
    new nr.layers.Activation('relu6'),
  ]);
  const x = nr.randn([3, 4, 4, 2]);
  const before = Float32Array.from(x.data() as Float32Array);
  const out = model.apply(x, { training: true });
  const relu = nodesByOp(out).get('relu')![0]!;
  assert.ok(shares(relu[0], relu[1]));
  const [[clipped, read]] = nodesByOp(out).get('boundedRelu')! as [[nr.Tensor, nr.Tensor]];
  assert.equal(read._node?.op, 'batchNorm');
  assert.ok(shares(clipped, read));
  assert.deepEqual(Array.from(x.data() as Float32Array), Array.from(before));
});

test('writing over inputs changes no result: training and inference give the bits of a model that never does', () => {
  const { x, y } = batch();
  const a = residual(false);
  const b = residual(true);
  b.setWeights(a.getWeights());
  for (let step = 0; step < 4; step++) {
    const la = a.trainOnBatch(x, y);
    const lb = b.trainOnBatch(x, y);
    assert.deepEqual(la, lb, `step ${step}`);
  }
  const wa = a.getWeights();
  b.getWeights().forEach((w, i) => assert.deepEqual(Array.from(w.data()), Array.from(wa[i]!.data()), `weight ${i}`));
  assert.deepEqual(Array.from(a.predict(x).data()), Array.from(b.predict(x).data()));
  // Gradients with respect to the input, through nr.valueAndGrad (no buffer pool involved).
  const loss = (m: nr.Model) => (t: nr.Tensor) => m.apply(t, { training: true }).square().sum();
  const ga = nr.grad(loss(a))(x)[0]!;
  const gb = nr.grad(loss(b))(x)[0]!;
  assert.deepEqual(Array.from(ga.data()), Array.from(gb.data()));
});

test('a warm training step takes its storage from the pool: the backward pass gives back what it takes again', () => {
  const { x, y } = batch();
  const model = residual(false, 5);
  for (let i = 0; i < 3; i++) model.trainOnBatch(x, y);
  const pooled = pooledBufferBytes();
  for (let i = 0; i < 3; i++) {
    const before = freshBufferBytes();
    model.trainOnBatch(x, y);
    // Only a few per-channel arrays that the optimizer and the loss tracking take after the pass come
    // fresh (528 bytes here). Before the backward pass gave back what it took again, 12,816 did: a
    // gradient's storage taken again by a kernel's working array was left to the garbage collector.
    const fresh = freshBufferBytes() - before;
    assert.ok(fresh <= pooled / 100, `a warm step allocated ${fresh} fresh bytes (the pool holds ${pooled})`);
    assert.equal(pooledBufferBytes(), pooled);
  }
});

test('models trained in turn (three, as in a GAN with two critics) keep their storage pooled between their steps', () => {
  const make = (width: number) => {
    nr.setSeed(width);
    const m = new nr.Sequential([
      new nr.layers.Dense({ units: width, inputShape: [width + 1] }),
      new nr.layers.ReLU(),
      new nr.layers.Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    return { m, x: nr.randn([64, width + 1]), y: nr.randn([64, 1]) };
  };
  const models = [make(40), make(50), make(60)];
  for (let r = 0; r < 3; r++) for (const { m, x, y } of models) m.trainOnBatch(x, y);
  const before = freshBufferBytes();
  for (let r = 0; r < 3; r++) for (const { m, x, y } of models) m.trainOnBatch(x, y);
  // A step's storage is about 60 KB; trimming after every step by the last two steps dropped each
  // model's sizes before its next turn (62 KB fresh per step).
  const perStep = (freshBufferBytes() - before) / 9;
  assert.ok(perStep < 2000, `${perStep} fresh bytes per warm step`);
});
