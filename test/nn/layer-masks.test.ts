import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';
import { setNoticeSink } from '../../src/core/notice.js';

/*
 * The layer contract that sequence layers build on: masks travelling with tensors, call keywords
 * (symbolic ones become graph inputs) and layers with several outputs.
 */

/** Marks as padding the timesteps whose features are all zero (a Masking layer in miniature). */
class ZeroMask extends nr.layers.Layer {
  override call(x: nr.Tensor): nr.Tensor {
    return x.mul(1);
  }
  override computeMask(x: nr.Tensor | readonly nr.Tensor[]): nr.Tensor {
    return nr.greater((x as nr.Tensor).abs().sum(-1), 0).cast('float32');
  }
}

/** Returns [x + shift, x * scale] where both come as call keywords, and counts its calls. */
class TwoOut extends nr.layers.Layer {
  calls = 0;
  override get callKeywords(): readonly string[] {
    return ['shift', 'scale'];
  }
  override computeOutputShape(shape: nr.layers.LayerShape): nr.layers.LayerShape[] {
    return [shape, shape];
  }
  override call(x: nr.Tensor, options: nr.layers.CallOptions): nr.Tensor[] {
    this.calls++;
    const shift = (options.shift as nr.Tensor | undefined) ?? nr.tensor(0);
    const scale = (options.scale as number | undefined) ?? 1;
    return [x.add(shift), x.mul(scale)];
  }
}

const batch = () =>
  nr.tensor(
    [
      [1, 2],
      [3, 4],
      [0, 0],
      [5, 0],
      [0, 0],
      [0, 0],
    ],
    [2, 3, 2],
  );

test('a mask travels through layers that support masking and reaches call', () => {
  const masked = new ZeroMask().apply(batch());
  assertClose(nr.getMask(masked)!, [1, 1, 0, 1, 0, 0]);
  const dense = new nr.layers.Dense({ units: 3 });
  const out = dense.apply(masked);
  assertClose(nr.getMask(out)!, [1, 1, 0, 1, 0, 0]);
  let seen: unknown = null;
  class Spy extends nr.layers.Layer {
    override call(x: nr.Tensor, options: nr.layers.CallOptions): nr.Tensor {
      seen = options.mask;
      return x;
    }
  }
  const lines: string[] = [];
  const previous = setNoticeSink((l) => lines.push(l));
  try {
    const spied = new Spy({ name: 'spy' }).apply(out);
    assert.ok(seen instanceof nr.Tensor, 'call receives the mask');
    // Spy does not declare supportsMasking: the mask stops, with a notice naming the layer.
    assert.equal(nr.getMask(spied), spied === out ? nr.getMask(out) : null);
    assert.match(lines.join('\n'), /Spy "spy" was given an input with a mask but does not support masking/);
  } finally {
    setNoticeSink(previous);
  }
  // A mask given in the options wins over the attached one.
  const explicit = nr.tensor([
    [1, 0, 0],
    [1, 1, 1],
  ]);
  assertClose(nr.getMask(dense.apply(masked, { mask: explicit }))!, [1, 0, 0, 1, 1, 1]);
});

test('merge layers AND the masks; Concatenate along time joins them', () => {
  const a = new ZeroMask().apply(batch());
  const b = nr.ones([2, 3, 2]);
  assertClose(nr.getMask(new nr.layers.Add().apply([a, b]))!, [1, 1, 0, 1, 0, 0]);
  const both = new nr.layers.Multiply().apply([a, new ZeroMask().apply(nr.tensor([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1], [2, 3, 2]))]);
  assertClose(nr.getMask(both)!, [1, 1, 0, 0, 0, 0]);
  const joined = new nr.layers.Concatenate({ axis: 1 }).apply([a, b]);
  assert.deepEqual(joined.shape, [2, 6, 2]);
  assertClose(nr.getMask(joined)!, [1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1]);
});

test('call keywords: snake_case accepted, unknown keys rejected with the list of valid ones', () => {
  const layer = new TwoOut({ name: 'two' });
  const [plus] = layer.apply<nr.Tensor[]>(nr.ones([1, 2]), { shift: nr.tensor(2) });
  assertClose(plus!, [3, 3]);
  const x = nr.ones([1, 2]);
  assert.throws(
    () => layer.apply(x, { shfit: 1 } as nr.layers.CallOptions),
    (e: Error) =>
      e instanceof nr.ConfigError && /takes the options training, mask, shift, scale/.test(e.message) && /shfit/.test(e.message),
  );
  assert.throws(() => new nr.layers.Dense({ units: 1 }).apply(x, { initial_state: x }), /this layer takes no other keyword/);
});

test('a multi-output layer in a functional model runs once per call; keyword SymbolicTensors become inputs', () => {
  const x = nr.Input({ shape: [2] });
  const s = nr.Input({ shape: [2] });
  const layer = new TwoOut({ name: 'two' });
  const outs = layer.apply<nr.layers.SymbolicTensor[]>(x, { shift: s, scale: 3 });
  assert.equal(outs.length, 2);
  const model = new nr.Model({ inputs: [x, s], outputs: outs });
  layer.calls = 0;
  const [p, q] = model.predict([nr.tensor([[1, 2]]), nr.tensor([[10, 20]])]) as unknown as nr.Tensor[];
  assert.equal(layer.calls, 1);
  assertClose(p!, [11, 22]);
  assertClose(q!, [3, 6]);
  const lines: string[] = [];
  model.summary((l: string) => lines.push(l));
  assert.match(lines.join('\n'), /two \(TwoOut\)\s+│ \[\(None, 2\), \(None, 2\)\]/);
  assert.throws(() => new nr.Sequential([nr.Input({ shape: [2] }), new TwoOut()]).predict(nr.ones([1, 2])), /must have one output/);
  // The config keeps the keyword input, the constant option and which output each node is.
  nr.layers.registerLayer(TwoOut);
  const config = JSON.parse(JSON.stringify(model.getConfig()));
  const node = config.nodes.find((n: { output?: number }) => n.output === 1);
  assert.deepEqual([node.keywords, node.options, node.positional], [{ shift: 1 }, { scale: 3 }, 1]);
  const copy = nr.Model.fromConfig(config);
  const [p2, q2] = copy.predict([nr.tensor([[1, 2]]), nr.tensor([[10, 20]])]) as unknown as nr.Tensor[];
  assertClose(p2!, [11, 22]);
  assertClose(q2!, [3, 6]);
});

test('fit weights the loss by the output mask: the mean over real timesteps only', async () => {
  // A model whose prediction is its input, masked where the input is all zero: the loss is the
  // mean squared error over the three real timesteps (Keras's size / sum(mask) scaling).
  const input = nr.Input({ shape: [3, 2] });
  const model = new nr.Model({ inputs: input, outputs: new ZeroMask().apply(input) });
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  const x = batch();
  const y = nr.zeros([2, 3, 2]);
  const perStep = [(1 + 4) / 2, (9 + 16) / 2, 25 / 2];
  const logs = await model.evaluate(x, y, { verbose: 0 });
  assertClose([logs.loss!], [perStep.reduce((a, b) => a + b) / 3], { rtol: 1e-5 });
});
