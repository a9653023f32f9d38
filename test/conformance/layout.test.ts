import { assert, includeWebgpu, nr } from '../helpers.js';
import {
  TestRandom,
  assertConforms,
  assertExact,
  conformance,
  pickTensor,
  randomTensor,
  sizeOf,
  stridesOf,
  unravel,
  valuesOf,
} from './harness.js';

includeWebgpu();

/*
 * Conformance of the data-movement kernels (transpose, slice, concat, pad, gather, scatterAdd,
 * oneHot) through the public ops. They do no arithmetic, so results must match exactly.
 */

function transposeReference(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]!);
  const strides = stridesOf(shape);
  return Array.from({ length: sizeOf(shape) }, (_, i) => {
    const index = unravel(i, outShape);
    let src = 0;
    index.forEach((v, axis) => {
      src += v * strides[perm[axis]!]!;
    });
    return data[src]!;
  });
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  }
  return out;
}

conformance('transpose: rank 2 through the blocked path (larger than 32x32) and odd sizes', () => {
  const rng = new TestRandom(61);
  for (const shape of [
    [1, 1],
    [1, 33],
    [33, 1],
    [3, 7],
    [32, 32],
    [33, 31],
    [67, 45],
    [130, 257],
  ]) {
    const x = randomTensor(rng, shape);
    assertExact(nr.transpose(x), transposeReference(valuesOf(x), shape, [1, 0]), 'float32', `transpose ${shape}`, [shape[1]!, shape[0]!]);
  }
  const ints = pickTensor(rng, [40, 37], [-9, 0, 4, 123456], 'int32');
  assertExact(nr.transpose(ints), transposeReference(valuesOf(ints), [40, 37], [1, 0]), 'int32', 'transpose int32', [37, 40]);
  const bools = pickTensor(rng, [35, 3], [0, 1], 'bool');
  assertExact(nr.transpose(bools), transposeReference(valuesOf(bools), [35, 3], [1, 0]), 'bool', 'transpose bool', [3, 35]);
});

conformance('transpose: every permutation of rank 3 and rank 4', () => {
  const rng = new TestRandom(62);
  for (const shape of [
    [3, 1, 7],
    [2, 3, 4, 5],
    [3, 1, 5, 2],
  ]) {
    const x = randomTensor(rng, shape);
    for (const perm of permutations(shape.length)) {
      assertExact(
        nr.transpose(x, perm),
        transposeReference(valuesOf(x), shape, perm),
        'float32',
        `transpose ${JSON.stringify(shape)} by ${JSON.stringify(perm)}`,
        perm.map((p) => shape[p]!),
      );
    }
  }
  const x = randomTensor(rng, [5, 1, 7, 3]);
  assertExact(nr.transpose(x, 0, 2), transposeReference(valuesOf(x), [5, 1, 7, 3], [2, 1, 0, 3]), 'float32', 'swap axes 0, 2');
  // The gradient of a transpose is the inverse transpose.
  x.requiresGrad = true;
  const dy = randomTensor(rng, [3, 5, 7, 1]);
  nr.transpose(x, [3, 0, 2, 1]).backward(dy);
  assertExact(x.grad!, transposeReference(valuesOf(dy), [3, 5, 7, 1], [1, 3, 2, 0]), 'float32', 'transpose gradient', [5, 1, 7, 3]);
});

function sliceReference(data: ArrayLike<number>, shape: readonly number[], begin: readonly number[], size: readonly number[]): number[] {
  const strides = stridesOf(shape);
  return Array.from({ length: sizeOf(size) }, (_, i) => {
    const index = unravel(i, size);
    return data[index.reduce((s, v, axis) => s + (v + begin[axis]!) * strides[axis]!, 0)]!;
  });
}

conformance('slice: boxes of every rank, -1 sizes and negative begins', () => {
  const rng = new TestRandom(63);
  const cases: [number[], number[], number[]][] = [
    [[1031], [17], [33]],
    [
      [5, 7, 9],
      [1, 2, 3],
      [3, 4, 5],
    ],
    [
      [5, 7, 9],
      [0, 0, 8],
      [5, 7, 1],
    ],
    [
      [5, 7, 9],
      [4, 6, 0],
      [1, 1, 9],
    ],
    [
      [2, 3, 4, 5],
      [1, 0, 1, 2],
      [1, 3, 2, 3],
    ],
    [
      [3, 33],
      [0, 32],
      [3, 1],
    ],
    [
      [6, 4],
      [2, 1],
      [0, 3],
    ],
    // Whole trailing axes: one copy (leading axis only), runs of 28 and of 4 elements.
    [
      [6, 4, 5, 3],
      [2, 0, 0, 0],
      [3, 4, 5, 3],
    ],
    [
      [3, 5, 4, 7],
      [1, 1, 0, 0],
      [2, 3, 4, 7],
    ],
    [
      [4, 3, 2],
      [1, 1, 0],
      [2, 2, 2],
    ],
  ];
  for (const [shape, begin, size] of cases) {
    const x = randomTensor(rng, shape);
    assertExact(
      nr.slice(x, begin, size),
      sliceReference(valuesOf(x), shape, begin, size),
      'float32',
      `slice ${JSON.stringify(shape)} at ${JSON.stringify(begin)} size ${JSON.stringify(size)}`,
      size,
    );
  }
  const x = randomTensor(rng, [5, 7, 9]);
  assertExact(
    nr.slice(x, [1, -3], [-1, 2]),
    sliceReference(valuesOf(x), [5, 7, 9], [1, 4, 0], [4, 2, 9]),
    'float32',
    'slice with -1 size and negative begin',
    [4, 2, 9],
  );
  const ints = pickTensor(rng, [4, 9], [1, 2, 3, -4], 'int32');
  assertExact(nr.slice(ints, [1, 2], [2, 5]), sliceReference(valuesOf(ints), [4, 9], [1, 2], [2, 5]), 'int32', 'slice int32');
});

function padReference(
  data: ArrayLike<number>,
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
  value: number,
): { data: number[]; shape: number[] } {
  const outShape = shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const strides = stridesOf(shape);
  const out = Array.from({ length: sizeOf(outShape) }, (_, i) => {
    const index = unravel(i, outShape).map((v, axis) => v - paddings[axis]![0]);
    if (index.some((v, axis) => v < 0 || v >= shape[axis]!)) return value;
    return data[index.reduce((s, v, axis) => s + v * strides[axis]!, 0)]!;
  });
  return { data: out, shape: outShape };
}

conformance('pad: constant padding on every axis, odd sizes and empty inputs', () => {
  const rng = new TestRandom(64);
  const cases: [number[], [number, number][], number][] = [
    [[1031], [[3, 17]], 0],
    [
      [3, 4, 5],
      [
        [1, 2],
        [0, 3],
        [2, 0],
      ],
      7.5,
    ],
    [
      [2, 3, 1, 5],
      [
        [0, 0],
        [1, 1],
        [3, 0],
        [0, 2],
      ],
      -1,
    ],
    [
      [0, 3],
      [
        [1, 1],
        [2, 0],
      ],
      4,
    ],
    [
      [33, 1],
      [
        [0, 0],
        [0, 0],
      ],
      9,
    ],
  ];
  for (const [shape, paddings, value] of cases) {
    const x = randomTensor(rng, shape);
    const ref = padReference(valuesOf(x), shape, paddings, value);
    assertExact(nr.pad(x, paddings, value), ref.data, 'float32', `pad ${JSON.stringify(shape)} by ${JSON.stringify(paddings)}`, ref.shape);
  }
  const ints = pickTensor(rng, [3, 7], [5, 6], 'int32');
  const ref = padReference(
    valuesOf(ints),
    [3, 7],
    [
      [2, 1],
      [1, 4],
    ],
    -1,
  );
  assertExact(
    nr.pad(
      ints,
      [
        [2, 1],
        [1, 4],
      ],
      -1,
    ),
    ref.data,
    'int32',
    'pad int32',
    ref.shape,
  );
});

conformance('concat: along every axis, many inputs of odd lengths, int32 and bool', () => {
  const rng = new TestRandom(65);
  const base = [2, 3, 4];
  for (let axis = 0; axis < 3; axis++) {
    const lengths = [1, 5, 2, 0, 3];
    const parts = lengths.map((len) =>
      randomTensor(
        rng,
        base.map((d, i) => (i === axis ? len : d)),
      ),
    );
    const outShape = base.map((d, i) => (i === axis ? lengths.reduce((s, v) => s + v, 0) : d));
    const expected = Array.from({ length: sizeOf(outShape) }, (_, i) => {
      const index = unravel(i, outShape);
      let k = 0;
      let at = index[axis]!;
      while (at >= lengths[k]!) {
        at -= lengths[k]!;
        k++;
      }
      const part = parts[k]!;
      const local = [...index];
      local[axis] = at;
      return valuesOf(part)[local.reduce((s, v, ax) => s + v * stridesOf(part.shape)[ax]!, 0)]!;
    });
    assertExact(nr.concat(parts, axis), expected, 'float32', `concat axis ${axis}`, outShape);
  }
  const a = pickTensor(rng, [1031], [1, 2], 'int32');
  const b = pickTensor(rng, [17], [3, 4], 'int32');
  assertExact(nr.concat([a, b]), [...valuesOf(a), ...valuesOf(b)], 'int32', 'concat int32 1-D');
  const p = pickTensor(rng, [3, 1], [0, 1], 'bool');
  const q = pickTensor(rng, [3, 2], [0, 1], 'bool');
  const pv = valuesOf(p);
  const qv = valuesOf(q);
  assertExact(
    nr.concat([p, q], 1),
    [0, 1, 2].flatMap((r) => [pv[r]!, qv[2 * r]!, qv[2 * r + 1]!]),
    'bool',
    'concat bool',
    [3, 3],
  );
});

function gatherReference(
  data: ArrayLike<number>,
  shape: readonly number[],
  indices: readonly number[],
  indexShape: readonly number[],
  axis: number,
): { data: number[]; shape: number[] } {
  const outShape = [...shape.slice(0, axis), ...indexShape, ...shape.slice(axis + 1)];
  const strides = stridesOf(shape);
  const out = Array.from({ length: sizeOf(outShape) }, (_, i) => {
    const index = unravel(i, outShape);
    const before = index.slice(0, axis);
    const inIndex = index.slice(axis, axis + indexShape.length);
    const after = index.slice(axis + indexShape.length);
    const j = indices[inIndex.reduce((s, v, k) => s * indexShape[k]! + v, 0)]!;
    const src = [...before, j, ...after];
    return data[src.reduce((s, v, ax) => s + v * strides[ax]!, 0)]!;
  });
  return { data: out, shape: outShape };
}

conformance('gather: along each axis, with repeated indices and index tensors of rank 0 to 2', () => {
  const rng = new TestRandom(66);
  const x = randomTensor(rng, [5, 7, 3]);
  const cases: [number[], number[], number][] = [
    [[4, 0, 4, 2], [4], 0],
    [[1, 4, 4, 0], [2, 2], 1],
    [[2, 0, 2, 1, 1, 2, 0], [7], 2],
    [[6], [], 1],
    [[0], [1], -1],
  ];
  for (const [indices, indexShape, axis] of cases) {
    const a = axis < 0 ? axis + 3 : axis;
    const idx = nr.tensor(indices, indexShape, 'int32');
    const ref = gatherReference(valuesOf(x), x.shape, indices, indexShape, a);
    assertExact(nr.gather(x, idx, axis), ref.data, 'float32', `gather ${JSON.stringify(indices)} axis ${axis}`, ref.shape);
  }
  // Rows of 16 floats and more: the native backend copies them whole (one memcpy per row), here with
  // several outer blocks and repeated rows.
  const wide = randomTensor(rng, [3, 9, 40]);
  for (const [indices, axis] of [
    [[8, 0, 8, 3, 5], 1],
    [[2, 0, 1, 2], 0],
  ] as [number[], number][]) {
    const ref = gatherReference(valuesOf(wide), wide.shape, indices, [indices.length], axis);
    assertExact(
      nr.gather(wide, nr.tensor(indices, [indices.length], 'int32'), axis),
      ref.data,
      'float32',
      `gather wide rows axis ${axis}`,
      ref.shape,
    );
  }
  const table = pickTensor(rng, [1031, 3], [7, 8, 9], 'int32');
  const rows = Array.from({ length: 33 }, (_, i) => (i * 97) % 1031);
  const ref = gatherReference(valuesOf(table), table.shape, rows, [33], 0);
  assertExact(nr.gather(table, rows, 0), ref.data, 'int32', 'gather int32 embedding rows', ref.shape);
});

conformance('scatterAdd: the gradient of gather accumulates repeated indices', () => {
  const rng = new TestRandom(67);
  const cases: [number[], number[], number][] = [
    [[6, 4], [0, 2, 2, 5, 0, 0], 0],
    [[3, 5, 7], [4, 4, 4, 1, 0, 4, 2, 2, 1], 1],
    [[3, 1031], [1030, 0, 1030, 7, 7, 7, 7], 1],
    [[2, 3, 17], [16, 16, 0, 3, 16], 2],
    // Embedding gradients (rows of 16 floats or more): the native kernel, and past its threading size.
    [[40, 33], Array.from({ length: 300 }, (_, i) => (i * 7) % 40), 0],
    [[50, 96], Array.from({ length: 1000 }, (_, i) => (i * i) % 50), 0],
  ];
  for (const [shape, indices, axis] of cases) {
    const x = randomTensor(rng, shape);
    x.requiresGrad = true;
    const outShape = shape.map((d, i) => (i === axis ? indices.length : d));
    const dy = randomTensor(rng, outShape);
    nr.gather(x, nr.tensor(indices, undefined, 'int32'), axis).backward(dy);
    const expected = new Array<number>(sizeOf(shape)).fill(0);
    const strides = stridesOf(shape);
    const dyv = valuesOf(dy);
    for (let i = 0; i < dyv.length; i++) {
      const index = unravel(i, outShape);
      index[axis] = indices[index[axis]!]!;
      expected[index.reduce((s, v, ax) => s + v * strides[ax]!, 0)]! += dyv[i]!;
    }
    const repeats = Math.max(...indices.map((v) => indices.filter((w) => w === v).length));
    assertConforms(x.grad!, expected, repeats, `scatterAdd ${JSON.stringify(shape)} axis ${axis}`, shape);
  }
});

conformance('oneHot: on/off values and dtypes; out-of-range indices are a ShapeError', () => {
  assert.throws(
    () => nr.oneHot(nr.tensor([0, 2, 5, -1], undefined, 'int32'), 4),
    (e: Error) => e instanceof nr.ShapeError && /oneHot: index 5 \(at flat position 2\)/.test(e.message),
  );
  const indices = [0, 2, 3, 0, 3, 1];
  const depth = 4;
  const expected = indices.flatMap((k) => Array.from({ length: depth }, (_, j) => (j === k ? 1 : 0)));
  assertExact(nr.oneHot(nr.tensor(indices, undefined, 'int32'), depth), expected, 'float32', 'oneHot', [6, 4]);
  assertExact(
    nr.oneHot(nr.tensor(indices, undefined, 'int32'), depth, { onValue: 5, offValue: -1, dtype: 'int32' }),
    expected.map((v) => (v ? 5 : -1)),
    'int32',
    'oneHot int32 on/off',
    [6, 4],
  );
  const grid = nr.tensor(
    [
      [1, 0, 2],
      [2, 1, 0],
    ],
    undefined,
    'int32',
  );
  assertExact(
    nr.oneHot(grid, 3, { dtype: 'bool' }),
    [0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0],
    'bool',
    'oneHot rank 2',
    [2, 3, 3],
  );
  // A long index list and a depth not a multiple of the vector width.
  const long = Array.from({ length: 1031 }, (_, i) => (i * 13) % 33);
  const out = nr.oneHot(nr.tensor(long, undefined, 'int32'), 33);
  const values = valuesOf(out);
  long.forEach((k, i) => {
    const row = values.slice(i * 33, i * 33 + 33);
    const hot = k >= 0 && k < 33 ? k : -1;
    assert.deepEqual(
      row,
      Array.from({ length: 33 }, (_, j) => (j === hot ? 1 : 0)),
      `oneHot row ${i} (index ${k})`,
    );
  });
});

conformance("scatterAdd (an embedding's gradient): 1, 2 and 3 threads give the same bits", (backend) => {
  const rng = new TestRandom(9397);
  const table = randomTensor(rng, [300, 128]);
  const ids = nr.tensor(
    Array.from({ length: 64 * 16 }, () => rng.int(0, 300)),
    [64, 16],
    'int32',
  );
  const dy = randomTensor(rng, [64, 16, 128]);
  const run = () =>
    Array.from(
      nr
        .grad((t) => nr.gather(t, ids, 0).mul(dy).sum())(table)[0]!
        .data(),
    );
  const before = nr.getNumThreads();
  try {
    nr.setNumThreads(1);
    const reference = run();
    for (const n of [2, 3]) {
      nr.setNumThreads(n);
      assert.deepEqual(run(), reference, `${backend}: ${n} threads vs 1`);
    }
  } finally {
    nr.setNumThreads(before);
  }
});
