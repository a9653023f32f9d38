import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { kernels, setStaleCheck, webgpuActivity } from '../../src/backend/index.js';
import { assert, assertClose, nr, webgpuState } from '../helpers.js';
import { TS_NODE } from '../ts-node.js';

/*
 * The webgpu backend beyond single kernels (docs/backends.md, "The webgpu backend"): training on it
 * matches js, the host mirror is never read stale, and GPU memory stays flat with no dispose anywhere.
 * On SwiftShader (the software adapter these machines have) everything is slow: sizes are small.
 */

const state = webgpuState();
const skip = state.ok ? false : `webgpu unavailable: ${state.reason}`;

function withWebgpu<T>(fn: () => T): T {
  const previous = nr.getBackend();
  nr.setBackend('webgpu');
  try {
    return fn();
  } finally {
    nr.setBackend(previous);
  }
}

function model(): nr.Sequential {
  nr.setSeed(11);
  const m = new nr.Sequential([
    nr.Input({ shape: [8, 8, 2] }),
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.BatchNormalization(),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 12, activation: 'tanh' }),
    new nr.layers.Dense({ units: 3, activation: 'softmax' }),
  ]);
  m.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss: 'sparse_categorical_crossentropy' });
  return m;
}

function data(): [nr.Tensor, nr.Tensor] {
  nr.setSeed(3);
  const x = nr.randu([16, 8, 8, 2]);
  return [x, nr.random.randint([16], 0, 3)];
}

interface Trained {
  weights: Float32Array[];
  losses: number[];
  /** Predictions on the training backend, and on the previous one after switching back (the same model). */
  predictions: [Float32Array, Float32Array];
}

async function train(backend: string, steps: number): Promise<Trained> {
  const previous = nr.getBackend();
  nr.setBackend(backend);
  const m = model();
  const [x, y] = data();
  let on: Float32Array;
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) losses.push((await m.trainOnBatch(x, y)).loss!);
    on = Float32Array.from(m.predict(x, { verbose: 0 }).data() as Float32Array);
  } finally {
    nr.setBackend(previous);
  }
  const after = Float32Array.from(m.predict(x, { verbose: 0 }).data() as Float32Array);
  return { weights: m.getWeights().map((w) => Float32Array.from(w.data() as Float32Array)), losses, predictions: [on, after] };
}

test('webgpu: a small CNN trained 20 steps ends where js does, with no stale host read', { skip }, async () => {
  setStaleCheck(true);
  try {
    const js = await train('js', 20);
    const before = new Map(webgpuActivity().gpu);
    const gpu = await train('webgpu', 20);
    // The convolutions (forward, both gradients), batch norm and pooling ran as shaders, not on the CPU.
    const ran = [...webgpuActivity().gpu].filter(([key, n]) => n > (before.get(key) ?? 0)).map(([key]) => key);
    for (const kernel of ['conv:fwd', 'conv:input', 'conv:filter', 'norm:batch', 'normBackward:batch', 'pool:max', 'poolBackward:max']) {
      assert.ok(
        ran.some((key) => key.startsWith(kernel)),
        `${kernel} ran on the GPU (ran: ${ran.join(', ')})`,
      );
    }
    assert.ok(gpu.losses.every(Number.isFinite), `finite losses ${gpu.losses}`);
    assert.ok(gpu.losses.at(-1)! < gpu.losses[0]!, `the loss falls: ${gpu.losses[0]} -> ${gpu.losses.at(-1)}`);
    assertClose(gpu.losses, js.losses, { rtol: 1e-4, atol: 1e-5, message: 'losses' });
    gpu.weights.forEach((w, i) => assertClose(w, js.weights[i]!, { rtol: 1e-3, atol: 1e-4, message: `weight ${i}` }));
    // Switching away from webgpu moves the weights to the host: the next backend's kernels see the trained values.
    assertClose(gpu.predictions[1], gpu.predictions[0], { rtol: 1e-5, atol: 1e-6, message: 'predictions after leaving webgpu' });
    // Ordered reductions: the same adapter and seed give the same bits.
    const again = await train('webgpu', 20);
    assert.deepEqual(again.losses, gpu.losses, 'webgpu twice: the same losses');
  } finally {
    setStaleCheck(false);
  }
});

test('webgpu: dataAsync reads back without blocking, and a write queued while it was on its way is not lost', { skip }, async () => {
  const previous = nr.getBackend();
  nr.setBackend('webgpu');
  try {
    const y = nr.tensor([1, 2, 3]).mul(2);
    assert.deepEqual(Array.from(await y.dataAsync()), [2, 4, 6]);
    // While a read is pending, a GPU kernel writes the same storage (the optimizer's in-place step):
    // the read that comes back stale is taken again, so the values are the newest, never a mix.
    const w = nr.variable(nr.tensor([1, 2, 3]));
    const sgd = new nr.optimizers.SGD({ learningRate: 0.01 });
    sgd.applyGradients([[nr.tensor([1, 1, 1]), w]]);
    const pending = w.dataAsync();
    sgd.applyGradients([[nr.tensor([10, 10, 10]), w]]);
    assertClose(Array.from(await pending), [0.89, 1.89, 2.89], { rtol: 1e-6, atol: 1e-6, message: 'after both steps' });
  } finally {
    nr.setBackend(previous);
  }
});

test('webgpu: the stale-mirror check shows a read that skips the sync', { skip }, () => {
  setStaleCheck(true);
  try {
    withWebgpu(() => {
      const y = nr.tensor([1, 2, 3]).add(nr.tensor([1, 1, 1]));
      assert.ok(Number.isNaN(y._data[0]!), 'the mirror of a GPU-newer array holds NaN');
      assert.deepEqual(Array.from(y.data()), [2, 3, 4], 'data() syncs');
      assert.equal(y._data[0], 2, 'after the sync the mirror is current');
    });
  } finally {
    setStaleCheck(false);
  }
});

test('webgpu: GPU bytes in use stay flat over 200 training steps, with no dispose', { skip }, async () => {
  const previous = nr.getBackend();
  nr.setBackend('webgpu');
  try {
    nr.setSeed(2);
    const m = new nr.Sequential([
      nr.Input({ shape: [8] }),
      new nr.layers.Dense({ units: 16, activation: 'relu' }),
      new nr.layers.Dense({ units: 1 }),
    ]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const x = nr.randn([32, 8]);
    const y = x.sum(1, true);
    // What the garbage collector would free at some point, freed now: then every buffer still in use is one
    // that something can reach, and a leak (a buffer outliving its array) shows as growth.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collected = async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
      return nr.memory().webgpu!.bytesInUse;
    };
    const used: number[] = [];
    for (let s = 1; s <= 200; s++) {
      await m.trainOnBatch(x, y);
      if (s % 20 === 0) used.push(await collected());
    }
    const warm = used[0]!;
    assert.ok(warm > 0, 'the weights live on the GPU');
    assert.ok(Math.max(...used) <= warm, `GPU bytes in use after collection, every 20 steps: ${used.join(', ')}`);
    const first = (await m.trainOnBatch(x, y)).loss!;
    assert.ok(Number.isFinite(first) && first < 0.5 * Number(x.sum(1).square().mean().item()), `it trained: mse ${first}`);
  } finally {
    nr.setBackend(previous);
  }
});

test('webgpu: a missing module is a ConfigError naming it, with the setup hint', () => {
  const script =
    "import('./src/index.ts').then((nr) => { try { nr.setBackend('webgpu'); } catch (e) { console.log(e.name + ': ' + e.message); } })";
  const run = spawnSync(process.execPath, [...TS_NODE, '-e', script], {
    env: { ...process.env, NEURONA_WEBGPU_MODULE: '/nonexistent/webgpu/index.js' },
    encoding: 'utf8',
  });
  assert.match(run.stdout, /ConfigError: webgpu: no WebGPU device: cannot load file:\/\/\/nonexistent\/webgpu\/index\.js/);
  assert.match(run.stdout, /VK_ICD_FILENAMES/);
});

test('webgpu: `await nr.ready({ webgpu: true })` in Node starts the backend and the process goes on', { skip }, () => {
  // Nothing but the pending start kept the process alive: Node left the top-level await unsettled (exit 13).
  const script =
    "const nr = await import('./src/index.ts'); console.log(await nr.ready({ webgpu: true }), nr.matmul(nr.ones([2, 3]), nr.ones([3, 2])).toArray().join('/'))";
  const run = spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), 'webgpu 3,3/3,3');
});

/** What ran as shaders (kernel names) and what fell back to js (kernel names) while `body` ran. */
function activityOf<T>(body: () => T): { value: T; gpu: Set<string>; fallback: Set<string> } {
  const gpu = new Map(webgpuActivity().gpu);
  const fallback = new Map(webgpuActivity().fallback);
  const value = body();
  const grown = (now: Map<string, number>, before: Map<string, number>) =>
    new Set([...now].filter(([key, n]) => n > (before.get(key) ?? 0)).map(([key]) => key.split(':')[0]!));
  return { value, gpu: grown(webgpuActivity().gpu, gpu), fallback: grown(webgpuActivity().fallback, fallback) };
}

test('webgpu: comparisons, logical ops, where, casts, argmax/argmin, oneHot and the sparse product run as shaders, bit for bit as js', {
  skip,
}, () => {
  // Edge values: NaN and infinities, -0, halves, and floats beyond int32 (an Int32Array store wraps them modulo 2^32).
  const F = [-3e9, -2147483648, -2147483649, 2147483647.5, 4294967296, 1e30, -1e30, -0, 0, 0.5, -0.5, 1.5, -7.9, Number.NaN];
  F.push(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 16777217, 3, 3);
  const run = (backend: string) => {
    nr.setBackend(backend);
    try {
      nr.setSeed(1);
      const x = nr.tensor(F);
      const y = nr.tensor(F.map((v, i) => (i % 3 === 0 ? v : i % 3 === 1 ? Number.NaN : 3)));
      // 2^24 + 1 and 2^25 + 3 round to float32 (ties to even); 9 elements: bool words with a ragged end.
      const ints = nr.tensor([5, -7, 2147483647, -2147483648, 16777217, 16777219, 0, 33554435, 3], undefined, 'int32');
      const fives = nr.full([9], 5, 'int32');
      const m = nr.randn([5, 7]);
      const results: Record<string, nr.Tensor> = {
        equal: x.equal(y),
        notEqual: x.notEqual(y),
        less: x.less(y),
        lessEqual: x.lessEqual(y),
        greater: x.greater(y),
        greaterEqual: x.greaterEqual(y),
        equalInt: ints.equal(fives),
        lessInt: ints.less(fives),
        broadcast: m.greater(nr.tensor([[0.1, 0, -0.1, 0.2, 0, 0, 1]])),
        and: m.greater(0).logicalAnd(m.less(0.5)),
        not: x.logicalNot(),
        notBool: m.greater(0).logicalNot(),
        or: m.greater(1).logicalOr(m.less(-1)),
        where: nr.where(m.greater(0), m, nr.tensor(-1)),
        toInt: x.cast('int32'),
        toBool: x.cast('bool'),
        intToFloat: ints.cast('float32'),
        intToBool: ints.cast('bool'),
        boolToFloat: m.greater(0).cast('float32'),
        boolToInt: m.greater(0).cast('int32'),
        argmax: m.argmax(1),
        argmin: m.argmin(0),
        // Subnormals keep their order (an adapter may flush them in float comparisons).
        tinyLess: nr.tensor([1e-45, -1e-45, 1.17e-38, 0, -0, 1e-45, 1e-40]).less(nr.tensor([0, 0, 0, 1e-45, 1e-45, 2e-45, 1e-40])),
        tinyEqual: nr.tensor([1e-45, -1e-45, 0, -0, 1e-40]).equal(nr.tensor([0, 0, -0, 0, 1e-40])),
        tinyMaximum: nr.maximum(nr.tensor([1e-45, -1e-45, 0, Number.NaN, 1, -0]), nr.tensor([0, 0, -1e-45, 1, Number.NaN, 0])),
        tinyMinimum: nr.minimum(nr.tensor([1e-45, -1e-45, 0, Number.NaN, 1, -0]), nr.tensor([0, 0, -1e-45, 1, Number.NaN, 0])),
        tinyArgmax: nr
          .tensor([
            [0, 1e-45, 0],
            [-1e-45, -0, -2e-45],
          ])
          .argmax(1),
        // The same storage in and out: a copy is read (WebGPU rejects a buffer bound twice when one binding writes).
        assignSelf: (() => {
          const v = new nr.Variable(m.slice([0, 0], [1, 7]));
          v.assign(v);
          return v.add(0);
        })(),
        argmaxNaN: nr
          .tensor([
            [1, Number.NaN, 3],
            [2, 5, Number.NaN],
          ])
          .argmax(1),
        oneHot: nr.oneHot(m.argmax(1), 7),
        accuracy: m
          .argmax(1)
          .equal(nr.tensor([1, 2, 3, 4, 5], undefined, 'int32'))
          .cast('float32')
          .mean(),
        // int32 through the layout shaders (label batches): transpose, slice, pad, concat, gather.
        intLayout: nr
          .concat(
            [
              ints.reshape([3, 3]).transpose(),
              ints
                .reshape([3, 3])
                .slice([1, 0], [2, 3])
                .pad(
                  [
                    [0, 1],
                    [0, 0],
                  ],
                  -9.7,
                ),
            ],
            0,
          )
          .gather(nr.tensor([4, 0, 4, 2], undefined, 'int32')),
        sparse: nr.sparseMatmul(
          { shape: [3, 5], rowPtr: new Int32Array([0, 2, 2, 5]), colIdx: new Int32Array([0, 4, 1, 2, 4]), values: nr.randn([5]) },
          m.slice([0, 0], [5, 4]),
        ),
      };
      return Object.fromEntries(Object.entries(results).map(([key, t]) => [key, Array.from(t.data() as ArrayLike<number>)]));
    } finally {
      nr.setBackend('js');
    }
  };
  const js = run('js');
  const { value: gpu, gpu: ran, fallback } = activityOf(() => run('webgpu'));
  for (const kernel of ['compare', 'logicalNot', 'where', 'cast', 'argReduce', 'oneHot', 'sparseMatmul', 'remap', 'concat', 'gather']) {
    assert.ok(ran.has(kernel), `${kernel} ran as a shader`);
  }
  const typed = [
    'binary',
    'unary',
    'where',
    'cast',
    'argReduce',
    'oneHot',
    'sparseMatmul',
    'transpose',
    'slice',
    'pad',
    'concat',
    'gather',
  ];
  for (const kernel of typed) assert.ok(!fallback.has(kernel), `${kernel} fell back`);
  for (const key of Object.keys(js)) {
    // The sparse product's sums may round differently (fma); everything else is exact.
    if (key === 'sparse') assertClose(gpu[key]!, js[key]!, { rtol: 1e-6, atol: 1e-6, message: key });
    else assert.deepEqual(gpu[key], js[key], key);
  }
});

test('webgpu: log, log1p, expm1, softplus, elu and sign run as shaders within 3 ulp of float64 (normal floats)', { skip }, () => {
  // Logs of tiny and huge numbers, values around 1 (log1p's cancellation) and negatives (NaN); WGSL may
  // flush subnormals, so inputs and results below float32's normal range are left out of the ulp count.
  const values = [0, -0, 1, -1, 2, 0.5, 1e-30, 1e30, 3.4e38, Number.POSITIVE_INFINITY, -1e-7, 1e-7, 0.9999999, 1.0000001, 6e-8];
  for (let i = 0; i < 1500; i++) values.push(Math.exp(((i * 7919) % 1500) / 25 - 30) * (i % 4 === 0 ? -1 : 1));
  for (let i = 0; i < 500; i++) values.push(1 + (((i * 104729) % 500) - 250) * 4e-6);
  const x32 = Float32Array.from(values);
  const reference: Record<string, (v: number) => number> = {
    log: Math.log,
    log1p: Math.log1p,
    expm1: Math.expm1,
    softplus: (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
    elu: (v) => (v > 0 ? v : Math.expm1(v)),
    sign: Math.sign,
  };
  const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(Math.fround(v)))) - 23);
  const {
    value: results,
    gpu: ran,
    fallback,
  } = activityOf(() =>
    withWebgpu(() => {
      const x = nr.tensor(x32);
      const ops: Record<string, nr.Tensor> = { log: x.log(), log1p: x.log1p(), expm1: x.expm1(), softplus: nr.softplus(x) };
      Object.assign(ops, { elu: nr.elu(x), sign: x.sign() });
      return Object.fromEntries(Object.entries(ops).map(([op, t]) => [op, Float32Array.from(t.data() as Float32Array)]));
    }),
  );
  assert.ok(ran.has('unary') && !fallback.has('unary'), 'every op ran as a shader');
  // Subnormal inputs: the log's mantissa is normalised with integer operations, sign reads the bits.
  const tiny = withWebgpu(() => [nr.tensor([1e-40, 1e-45]).log(), nr.tensor([1e-45, -1e-45, -0]).sign()].map((t) => Array.from(t.data())));
  assertClose(tiny[0]!, [Math.log(Math.fround(1e-40)), Math.log(Math.fround(1e-45))], { rtol: 2e-7, message: 'log of subnormals' });
  assert.deepEqual(tiny[1], [1, -1, -0], 'sign of subnormals and -0');
  for (const [op, got] of Object.entries(results)) {
    let worst = 0;
    x32.forEach((v, i) => {
      const want = Math.fround(reference[op]!(v));
      if (!Number.isFinite(want) || want === 0 || Math.abs(v) < 1.2e-38 || Math.abs(want) < 1.2e-38) {
        assert.ok(Object.is(got[i], want) || Math.abs(got[i]! - want) < 1.2e-38, `${op}(${v}) = ${got[i]}, not ${want}`);
      } else worst = Math.max(worst, Math.abs(got[i]! - want) / ulp(want));
    });
    assert.ok(worst <= 3, `${op}: ${worst.toFixed(2)} ulp`);
  }
});

test('webgpu: the recurrent op runs on the GPU (its cells inside it, its reshuffles) with the values and gradients of js', {
  skip,
}, () => {
  for (const cell of ['lstm', 'gru', 'simpleRnn'] as const) {
    const gates = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
    const run = (backend: string) => {
      nr.setBackend(backend);
      try {
        nr.setSeed(3);
        const x = nr.randn([3, 5, 4]);
        const w = nr.randn([4, gates * 6]).mul(0.3);
        const u = nr.randn([6, gates * 6]).mul(0.3);
        const b = nr.randn(cell === 'gru' ? [2, gates * 6] : [gates * 6]).mul(0.1);
        const h0 = nr.randn([3, 6]);
        const initialState = cell === 'lstm' ? [h0, nr.randn([3, 6])] : [h0];
        const mask = nr
          .tensor([
            [1, 1, 0, 1, 1],
            [1, 1, 1, 1, 1],
            [0, 1, 1, 1, 0],
          ])
          .greater(0);
        const f = (...args: nr.Tensor[]) => {
          const [xs, ws, us, bs, ...state] = args as [nr.Tensor, nr.Tensor, nr.Tensor, nr.Tensor, ...nr.Tensor[]];
          const { sequence, states } = nr.recurrent(cell, xs, ws, us, bs, { mask, goBackwards: true, initialState: state });
          return sequence.square().sum().add(states[0]!.sum());
        };
        const before = webgpuActivity().reads;
        const { value, grads } = nr.valueAndGrad(f)(x, w, u, b, ...initialState);
        const reads = webgpuActivity().reads - before;
        return { values: [value, ...grads].map((t) => Array.from(t.data() as Float32Array)), reads };
      } finally {
        nr.setBackend('js');
      }
    };
    const js = run('js').values;
    const { value: result, gpu: ran, fallback } = activityOf(() => run('webgpu'));
    const gpu = result.values;
    // One readback in the forward and backward passes: the mask, which the op turns into step flags on the host.
    assert.equal(result.reads, 1, `${cell}: readbacks during the op`);
    for (const kernel of [`${cell}Cell`, `${cell}CellBackward`]) assert.ok(ran.has(kernel), `${kernel} ran as a shader`);
    // The inputs' random fills aside, nothing ran on js: the reshuffles to and from time-major are shaders too.
    assert.deepEqual(
      [...fallback].filter((kernel) => kernel !== 'fillNormal'),
      [],
      'kernels that fell back',
    );
    gpu.forEach((v, i) => assertClose(v, js[i]!, { rtol: 1e-4, atol: 1e-5, message: `${cell}: value or gradient ${i}` }));
  }
});

test("webgpu: the LSTM, GRU and SimpleRNN cell shaders give js's values, called on device arrays", { skip }, () => {
  // The cells alone, on whole device arrays; the test above reaches them through the recurrent op.
  const B = 3;
  const U = 5;
  nr.setSeed(4);
  const values = (shape: number[]) => Array.from(nr.randn(shape).data());
  const data = {
    xw4: values([B, 4 * U]),
    hu4: values([B, 4 * U]),
    b4: values([4 * U]),
    xw3: values([B, 3 * U]),
    hu3: values([B, 3 * U]),
    b3: values([3 * U]),
    xw1: values([B, U]),
    hu1: values([B, U]),
    b1: values([U]),
    state: values([B, U]),
    carry: values([B, U]),
    dc: values([B, U]),
  };
  const run = (backend: string) => {
    nr.setBackend(backend);
    try {
      // Arrays allocated by ops while the backend is active: device arrays on webgpu.
      const a = (v: number[]) => nr.tensor(v).mul(1)._data as Float32Array;
      const z = (n: number) => nr.zeros([n])._data as Float32Array;
      const mask = a([1, 0, 1]);
      const k = kernels();
      const [lg, lc, lh, lz, ldc, lcarry] = [z(B * 4 * U), z(B * U), z(B * U), z(B * 4 * U), a(data.dc), a(data.carry)];
      k.lstmCell(a(data.xw4), a(data.hu4), a(data.b4), a(data.state), a(data.state), mask, lg, lc, lh, U);
      k.lstmCellBackward(lg, lc, a(data.state), mask, a(data.carry), null, lcarry, ldc, lz, U);
      const [gg, gh, gzx, gzh, gcarry] = [z(B * 4 * U), z(B * U), z(B * 3 * U), z(B * 3 * U), a(data.carry)];
      k.gruCell(a(data.xw3), a(data.hu3), a(data.b3), null, a(data.state), mask, gg, gh, U);
      k.gruCellBackward(gg, a(data.state), mask, a(data.carry), null, gcarry, gzx, gzh, U);
      const [sh, sz, scarry] = [z(B * U), z(B * U), a(data.carry)];
      k.simpleRnnCell(a(data.xw1), a(data.hu1), a(data.b1), a(data.state), null, sh, U);
      k.simpleRnnCellBackward(sh, mask, null, a(data.carry), scarry, sz, U);
      return [lg, lc, lh, lz, ldc, lcarry, gg, gh, gzx, gzh, gcarry, sh, sz, scarry];
    } finally {
      // Leaving webgpu reads every device array back to its host copy.
      nr.setBackend('js');
    }
  };
  const js = run('js');
  const before = new Map(webgpuActivity().gpu);
  const gpu = run('webgpu');
  const ran = [...webgpuActivity().gpu].filter(([key, n]) => n > (before.get(key) ?? 0)).map(([key]) => key.split(':')[0]);
  for (const cell of ['lstmCell', 'lstmCellBackward', 'gruCell', 'gruCellBackward', 'simpleRnnCell', 'simpleRnnCellBackward']) {
    assert.ok(ran.includes(cell), `${cell} ran on the GPU (ran: ${ran.join(', ')})`);
  }
  gpu.forEach((v, i) => assertClose(Array.from(v), Array.from(js[i]!), { rtol: 1e-5, atol: 1e-6, message: `array ${i}` }));
});

test('webgpu: gelu and its gradient, both forms, run as shaders and match js', { skip }, () => {
  const values = [-12, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.5, 1, 3, 12, Number.NaN, Number.NEGATIVE_INFINITY];
  const run = (backend: string, approximate: boolean) => {
    const previous = nr.getBackend();
    nr.setBackend(backend);
    try {
      const x = nr.tensor(values);
      const [y, g] = [nr.gelu(x, approximate), nr.grad((t: nr.Tensor) => nr.gelu(t, approximate).sum())(x)[0]!];
      return [Float32Array.from(y.data() as Float32Array), Float32Array.from(g.data() as Float32Array)];
    } finally {
      nr.setBackend(previous);
    }
  };
  for (const approximate of [false, true]) {
    const before = new Map(webgpuActivity().gpu);
    const [y, g] = run('webgpu', approximate);
    const ran = [...webgpuActivity().gpu].filter(([key, n]) => n > (before.get(key) ?? 0)).map(([key]) => key);
    assert.ok(ran.includes(`gelu:${approximate}`) && ran.includes(`geluBackward:${approximate}`), `ran: ${ran.join(', ')}`);
    const [yJs, gJs] = run('js', approximate);
    assertClose(y!, yJs!, { rtol: 1e-6, atol: 1e-30, message: `gelu approximate=${approximate}` });
    assertClose(g!, gJs!, { rtol: 1e-6, atol: 1e-30, message: `gelu slope approximate=${approximate}` });
  }
});
