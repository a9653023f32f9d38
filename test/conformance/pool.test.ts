import { assert, includeWebgpu, nr } from '../helpers.js';
import { kernels } from '../../src/backend/index.js';
import { TestRandom, assertConforms, assertExact, conformance, pickTensor, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of pool2d and pool2dBackward through nr.maxPool2d / nr.avgPool2d and their gradients,
 * against direct float64 loops. Padded taps are skipped (a max ignores them, an average divides by
 * the taps inside the image); max routes each gradient to the first maximum of its window, which the
 * tie cases (inputs drawn from a few values) pin down.
 */

interface Case {
  name: string;
  batch: number;
  size: [number, number];
  channels: number;
  pool: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  /** PyTorch's ceil_mode ('valid' only): a last window past the edge is kept, its outside taps skipped. */
  ceilMode?: boolean;
}

function axisGeometry(n: number, k: number, s: number, padding: 'valid' | 'same', ceilMode = false): { out: number; before: number } {
  if (ceilMode) {
    const out = Math.ceil((n - k) / s) + 1;
    return { out: (out - 1) * s >= n ? out - 1 : out, before: 0 };
  }
  if (padding === 'valid') return { out: Math.floor((n - k) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + k - n, 0) / 2) };
}

function poolReference(c: Case, op: 'max' | 'avg', x: number[], dy: number[]): { out: number[]; dx: number[]; shape: number[] } {
  const [h, w] = c.size;
  const rows = axisGeometry(h, c.pool[0], c.strides[0], c.padding, c.ceilMode);
  const cols = axisGeometry(w, c.pool[1], c.strides[1], c.padding, c.ceilMode);
  const out: number[] = [];
  const dx = new Array<number>(x.length).fill(0);
  for (let b = 0; b < c.batch; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        for (let ch = 0; ch < c.channels; ch++) {
          const taps: number[] = [];
          for (let ky = 0; ky < c.pool[0]; ky++) {
            for (let kx = 0; kx < c.pool[1]; kx++) {
              const iy = oy * c.strides[0] - rows.before + ky;
              const ix = ox * c.strides[1] - cols.before + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) taps.push(((b * h + iy) * w + ix) * c.channels + ch);
            }
          }
          const g = dy[out.length]!;
          if (op === 'max') {
            let best = taps[0]!;
            for (const t of taps) if (x[t]! > x[best]!) best = t;
            out.push(x[best]!);
            dx[best] += g;
          } else {
            out.push(taps.reduce((s, t) => s + x[t]!, 0) / taps.length);
            for (const t of taps) dx[t] += g / taps.length;
          }
        }
      }
    }
  }
  return { out, dx, shape: [c.batch, rows.out, cols.out, c.channels] };
}

const CASES: Case[] = [
  { name: '2x2 valid (LeNet)', batch: 2, size: [8, 6], channels: 5, pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { name: '2x2 valid, odd size (last row dropped)', batch: 1, size: [7, 9], channels: 3, pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { name: '2x2 same, odd size (padded after)', batch: 3, size: [7, 5], channels: 2, pool: [2, 2], strides: [2, 2], padding: 'same' },
  { name: '3x3 stride 2 same (overlapping)', batch: 2, size: [9, 8], channels: 7, pool: [3, 3], strides: [2, 2], padding: 'same' },
  { name: '3x2 stride 1 same', batch: 1, size: [5, 6], channels: 3, pool: [3, 2], strides: [1, 1], padding: 'same' },
  { name: '3x3 stride [1, 2] valid', batch: 2, size: [6, 9], channels: 1, pool: [3, 3], strides: [1, 2], padding: 'valid' },
  { name: 'window = image (global)', batch: 2, size: [4, 5], channels: 6, pool: [4, 5], strides: [1, 1], padding: 'valid' },
  // More channels than native's block of 256 channels per pass.
  { name: '300 channels, 3x3 stride 2 same', batch: 2, size: [5, 4], channels: 300, pool: [3, 3], strides: [2, 2], padding: 'same' },
  // Windows that tile the image, with rows and columns no window covers, and with more channels than
  // native's block.
  {
    name: '3x3 stride 3 valid, 16 channels, rows and columns left over',
    batch: 3,
    size: [11, 10],
    channels: 16,
    pool: [3, 3],
    strides: [3, 3],
    padding: 'valid',
  },
  { name: '2x2 valid, 300 channels, odd size', batch: 2, size: [5, 7], channels: 300, pool: [2, 2], strides: [2, 2], padding: 'valid' },
  { name: '2x1 stride [2, 1] valid, 33 channels', batch: 2, size: [9, 6], channels: 33, pool: [2, 1], strides: [2, 1], padding: 'valid' },
  // ceilMode (GoogLeNet's 3x3 stride 2): partial windows at the bottom and right, skipped taps.
  {
    name: '3x3 stride 2 ceilMode, 300 channels',
    batch: 2,
    size: [8, 6],
    channels: 300,
    pool: [3, 3],
    strides: [2, 2],
    padding: 'valid',
    ceilMode: true,
  },
  {
    name: '2x2 stride 3 ceilMode (a window past the edge dropped)',
    batch: 1,
    size: [7, 6],
    channels: 3,
    pool: [2, 2],
    strides: [3, 3],
    padding: 'valid',
    ceilMode: true,
  },
];

CASES.forEach((c, i) => {
  for (const op of ['max', 'avg'] as const) {
    conformance(`pool2d and pool2dBackward (${op}): ${c.name}`, () => {
      const rng = new TestRandom(8100 + i * 2 + (op === 'max' ? 0 : 1));
      // Half the cases draw from five values, so windows hold ties.
      const x =
        i % 2 === 0
          ? randomTensor(rng, [c.batch, ...c.size, c.channels])
          : pickTensor(rng, [c.batch, ...c.size, c.channels], [-1, -0.5, 0, 0.25, 1]);
      const fn = op === 'max' ? nr.maxPool2d : nr.avgPool2d;
      const options = { poolSize: c.pool, strides: c.strides, padding: c.padding, ceilMode: c.ceilMode ?? false };
      const y = nr.noGrad(() => fn(x, options));
      const dy = randomTensor(rng, [...y.shape]);
      const ref = poolReference(c, op, valuesOf(x), valuesOf(dy));
      const window = c.pool[0] * c.pool[1];
      assertConforms(y, ref.out, op === 'max' ? 1 : window, `${op}Pool2d ${c.name}: forward`, ref.shape);
      const [dx] = nr.grad((a) => fn(a, options).mul(dy).sum())(x);
      assertConforms(dx!, ref.dx, window, `${op}Pool2d ${c.name}: backward`, x.shape);
    });
  }
});

conformance('pool2d (max): NaN propagates, -Infinity is a value', () => {
  // Windows: [1, NaN, 2, 3] (NaN after a number), [NaN, 5, 4, 6] (NaN first), all -Infinity.
  const x = nr.tensor([1, NaN, NaN, 5, -Infinity, -Infinity, 2, 3, 4, 6, -Infinity, -Infinity], [1, 2, 6, 1]);
  const y = nr.maxPool2d(x, { poolSize: 2 });
  assertExact(y, [NaN, NaN, -Infinity], 'float32', 'maxPool2d NaN and -Infinity', [1, 1, 3, 1]);
  // The gradient goes to the first NaN of a window (and to the first -Infinity of the last one).
  const [dx] = nr.grad((a) =>
    nr
      .maxPool2d(a, { poolSize: 2 })
      .mul(nr.tensor([10, 20, 30], [1, 1, 3, 1]))
      .sum(),
  )(x);
  assertExact(dx!, [0, 10, 20, 0, 30, 0, 0, 0, 0, 0, 0, 0], 'float32', 'maxPool2d gradient with NaN and -Infinity', [1, 2, 6, 1]);
});

conformance('pool2d (max): NaN, ties and -0 over 20 channels (whole vector blocks and a tail)', () => {
  // Two 2x2 windows side by side; in channel c, window 0 holds a NaN at tap c % 5 (none when 4) among
  // [3, 7, 7, 1], window 1 among [-0, 0, -0, -1] NaNs at tap c % 3 (even c) and at tap 3 (c % 4 = 0).
  // The first NaN wins, else the first maximum (7 at tap 1; -0 at tap 0, as 0 > -0 is false).
  const channels = 20;
  const taps: [number, number][] = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  const x = new Float32Array(2 * 4 * channels);
  const expectedY: number[] = [];
  const expectedDx = new Array<number>(x.length).fill(0);
  const weight = (w: number, c: number): number => 1 + c + 100 * w;
  for (let w = 0; w < 2; w++) {
    for (let c = 0; c < channels; c++) {
      const window = w === 0 ? [3, 7, 7, 1] : [-0, 0, -0, -1];
      if (w === 0 && c % 5 < 4) window[c % 5] = NaN;
      if (w === 1 && c % 2 === 0) window[c % 3] = NaN;
      if (w === 1 && c % 4 === 0) window[3] = NaN;
      let best = 0;
      for (let t = 1; t < 4; t++) {
        const v = window[t]!;
        const b = window[best]!;
        if (v > b || (Number.isNaN(v) && !Number.isNaN(b))) best = t;
      }
      for (let t = 0; t < 4; t++) x[(taps[t]![0] * 4 + 2 * w + taps[t]![1]) * channels + c] = window[t]!;
      expectedDx[(taps[best]![0] * 4 + 2 * w + taps[best]![1]) * channels + c] = weight(w, c);
      expectedY.push(window[best]!);
    }
  }
  const input = nr.tensor(x, [1, 2, 4, channels]);
  const y = nr.maxPool2d(input, { poolSize: 2 });
  assertExact(y, expectedY, 'float32', 'maxPool2d over 20 channels', [1, 1, 2, channels]);
  const got = Array.from(y.data());
  assert.ok(
    got.every((v, i) => Object.is(v, expectedY[i]) || (Number.isNaN(v) && Number.isNaN(expectedY[i]!))),
    `maxPool2d keeps the first of -0 and 0: ${got.slice(channels)}`,
  );
  const weights = nr.tensor(
    Array.from({ length: 2 * channels }, (_, i) => weight(Math.floor(i / channels), i % channels)),
    [1, 1, 2, channels],
  );
  const [dx] = nr.grad((a) => nr.maxPool2d(a, { poolSize: 2 }).mul(weights).sum())(input);
  assertExact(dx!, expectedDx, 'float32', 'maxPool2d gradient over 20 channels', [1, 2, 4, channels]);
});

conformance('pool2dBackward writes every element of dx, whatever the array held before', () => {
  // The kernel is handed a dx full of NaN: elements outside every window (the row and column that
  // 'valid' drops), in padded or overlapping windows, and in windows that tile the image must all
  // come out as they do from a zeroed array.
  const rng = new TestRandom(8300);
  for (const c of CASES) {
    const rows = axisGeometry(c.size[0], c.pool[0], c.strides[0], c.padding, c.ceilMode);
    const cols = axisGeometry(c.size[1], c.pool[1], c.strides[1], c.padding, c.ceilMode);
    const g = {
      batch: c.batch,
      inHeight: c.size[0],
      inWidth: c.size[1],
      inChannels: c.channels,
      outHeight: rows.out,
      outWidth: cols.out,
      outChannels: c.channels,
      filterHeight: c.pool[0],
      filterWidth: c.pool[1],
      strideHeight: c.strides[0],
      strideWidth: c.strides[1],
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: rows.before,
      padLeft: cols.before,
    };
    const x = new Float32Array(valuesOf(pickTensor(rng, [c.batch, ...c.size, c.channels], [-1, 0, 0.5, 1])));
    const dy = new Float32Array(valuesOf(randomTensor(rng, [c.batch, rows.out, cols.out, c.channels])));
    for (const op of ['max', 'avg'] as const) {
      const clean = new Float32Array(x.length);
      kernels().pool2dBackward(op, x, dy, clean, g);
      const dirty = new Float32Array(x.length).fill(NaN);
      kernels().pool2dBackward(op, x, dy, dirty, g);
      assert.deepEqual(Array.from(dirty), Array.from(clean), `${op} ${c.name}`);
    }
  }
});
