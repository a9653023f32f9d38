import { assert, includeWebgpu, nr } from '../helpers.js';
import { kernels, kernelProvider } from '../../src/backend/index.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the six convolution kernels (conv2d, its two backprops, and the depthwise three, plus
 * the fused conv2dBiasActivation at the end)
 * through nr.conv2d / nr.depthwiseConv2d / nr.conv2dTranspose and their gradients. The reference is
 * one direct float64 loop over every (output pixel, tap) pair that computes the forward value and
 * both gradients together, with TensorFlow's padding rule written out again here. The backprop
 * kernels are reached as the gradients of sum(conv(x, w) * dy), which are exactly dx and dw.
 */

interface Case {
  name: string;
  batch: number;
  size: [number, number];
  inChannels: number;
  /** Filters for conv2d; depth multiplier for depthwise. */
  outChannels: number;
  kernel: [number, number];
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
}

/** Output size and leading padding of one axis, TensorFlow's rule. */
function axisGeometry(n: number, k: number, s: number, d: number, padding: 'valid' | 'same'): { out: number; before: number } {
  const effective = (k - 1) * d + 1;
  if (padding === 'valid') return { out: Math.floor((n - effective) / s) + 1, before: 0 };
  const out = Math.ceil(n / s);
  return { out, before: Math.floor(Math.max((out - 1) * s + effective - n, 0) / 2) };
}

interface Reference {
  out: Float64Array;
  dx: Float64Array;
  dw: Float64Array;
  outShape: number[];
}

/**
 * Forward and gradients of a conv (depthwise when `depthwise`), from x [b, h, w, c], filter
 * [kh, kw, c, o] (o = multiplier when depthwise) and dy shaped like the output.
 */
function convReference(c: Case, x: ArrayLike<number>, f: ArrayLike<number>, dy: ArrayLike<number> | null, depthwise: boolean): Reference {
  const [h, w] = c.size;
  const rows = axisGeometry(h, c.kernel[0], c.strides[0], c.dilation[0], c.padding);
  const cols = axisGeometry(w, c.kernel[1], c.strides[1], c.dilation[1], c.padding);
  const ci = c.inChannels;
  const fo = c.outChannels;
  const co = depthwise ? ci * fo : fo;
  const out = new Float64Array(c.batch * rows.out * cols.out * co);
  const dx = new Float64Array(c.batch * h * w * ci);
  const dw = new Float64Array(c.kernel[0] * c.kernel[1] * ci * fo);
  for (let b = 0; b < c.batch; b++) {
    for (let oy = 0; oy < rows.out; oy++) {
      for (let ox = 0; ox < cols.out; ox++) {
        const o0 = ((b * rows.out + oy) * cols.out + ox) * co;
        for (let ky = 0; ky < c.kernel[0]; ky++) {
          for (let kx = 0; kx < c.kernel[1]; kx++) {
            const iy = oy * c.strides[0] - rows.before + ky * c.dilation[0];
            const ix = ox * c.strides[1] - cols.before + kx * c.dilation[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const x0 = ((b * h + iy) * w + ix) * ci;
            const f0 = (ky * c.kernel[1] + kx) * ci * fo;
            for (let cc = 0; cc < ci; cc++) {
              for (let m = 0; m < fo; m++) {
                const oc = depthwise ? cc * fo + m : m;
                const fi = f0 + cc * fo + m;
                out[o0 + oc] += x[x0 + cc]! * f[fi]!;
                if (dy) {
                  dx[x0 + cc] += dy[o0 + oc]! * f[fi]!;
                  dw[fi] += x[x0 + cc]! * dy[o0 + oc]!;
                }
              }
            }
          }
        }
      }
    }
  }
  return { out, dx, dw, outShape: [c.batch, rows.out, cols.out, co] };
}

const CASES: Case[] = [
  {
    name: 'valid 3x3 stride 1',
    batch: 2,
    size: [7, 9],
    inChannels: 3,
    outChannels: 5,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: 'same 3x3 stride 1',
    batch: 1,
    size: [6, 5],
    inChannels: 5,
    outChannels: 7,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'same 2x2 stride 2 (asymmetric padding)',
    batch: 3,
    size: [7, 6],
    inChannels: 3,
    outChannels: 2,
    kernel: [2, 2],
    strides: [2, 2],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'same 4x3 strides [2, 3]',
    batch: 2,
    size: [9, 10],
    inChannels: 6,
    outChannels: 3,
    kernel: [4, 3],
    strides: [2, 3],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'valid 2x3 stride 2 (rows left over)',
    batch: 2,
    size: [8, 9],
    inChannels: 1,
    outChannels: 9,
    kernel: [2, 3],
    strides: [2, 2],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: 'same 3x3 dilation 2',
    batch: 2,
    size: [8, 7],
    inChannels: 3,
    outChannels: 4,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [2, 2],
    padding: 'same',
  },
  {
    name: 'valid 2x2 dilation [2, 3]',
    batch: 1,
    size: [6, 9],
    inChannels: 2,
    outChannels: 3,
    kernel: [2, 2],
    strides: [1, 1],
    dilation: [2, 3],
    padding: 'valid',
  },
  {
    name: '1x1 stride 1 (no im2col)',
    batch: 3,
    size: [5, 4],
    inChannels: 7,
    outChannels: 5,
    kernel: [1, 1],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: '1x1 stride 2',
    batch: 2,
    size: [5, 6],
    inChannels: 3,
    outChannels: 4,
    kernel: [1, 1],
    strides: [2, 2],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'kernel as large as the image',
    batch: 2,
    size: [5, 5],
    inChannels: 2,
    outChannels: 3,
    kernel: [5, 5],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
];

/** Big enough that im2col runs in two chunks and the GEMM's k (5*5*16 = 400) spans two KC blocks. */
const LARGE: Case = {
  name: 'LeNet-sized, im2col in chunks',
  batch: 48,
  size: [28, 28],
  inChannels: 16,
  outChannels: 12,
  kernel: [5, 5],
  strides: [1, 1],
  dilation: [1, 1],
  padding: 'same',
};

function run(c: Case, seed: number, depthwise: boolean): void {
  const rng = new TestRandom(seed);
  const x = randomTensor(rng, [c.batch, ...c.size, c.inChannels]);
  const w = randomTensor(rng, [...c.kernel, c.inChannels, c.outChannels]);
  const options = { strides: c.strides, padding: c.padding, dilationRate: c.dilation };
  const op = depthwise ? nr.depthwiseConv2d : nr.conv2d;
  const probe = nr.noGrad(() => op(x, w, options));
  const dy = randomTensor(rng, [...probe.shape]);
  const ref = convReference(c, valuesOf(x), valuesOf(w), valuesOf(dy), depthwise);
  const taps = c.kernel[0] * c.kernel[1];
  const label = `${depthwise ? 'depthwiseConv2d' : 'conv2d'} ${c.name}`;
  assertConforms(probe, ref.out, taps * (depthwise ? 1 : c.inChannels), `${label}: forward`, ref.outShape);
  const [dx, dw] = nr.grad((a, b) => op(a, b, options).mul(dy).sum())(x, w);
  const pixels = c.batch * ref.outShape[1]! * ref.outShape[2]!;
  assertConforms(dx!, ref.dx, taps * c.outChannels, `${label}: backprop input`, x.shape);
  assertConforms(dw!, ref.dw, pixels, `${label}: backprop filter`, w.shape);
}

CASES.forEach((c, i) => {
  conformance(`conv2d, conv2dBackpropInput, conv2dBackpropFilter: ${c.name}`, () => run(c, 7100 + i, false));
  conformance(`depthwiseConv2d and its backprops: ${c.name}`, () => run(c, 7200 + i, true));
});

conformance(`conv2d and backprops: ${LARGE.name}`, () => run(LARGE, 7300, false));

/*
 * Depthwise with multiplier 1 and channels in whole vector registers on native (blocks of 4, 2 and 1
 * vectors, then a tail by the loops through memory): the forward pass and the input gradient keep
 * each pixel's sums in registers, the input gradient gathered from the output pixels over each input.
 */
// [batch, size, channels, kernel, strides, dilation, padding], multiplier 1.
const DEPTHWISE: [number, [number, number], number, number, [number, number], number, 'same' | 'valid'][] = [
  [1, [6, 7], 100, 3, [1, 1], 1, 'same'], // blocks of 4 and 2 vectors with AVX-512
  [2, [9, 10], 70, 3, [2, 2], 1, 'same'],
  [1, [11, 9], 40, 3, [1, 1], 2, 'valid'],
  [2, [7, 8], 20, 5, [1, 2], 1, 'same'],
];
DEPTHWISE.forEach(([batch, size, channels, k, strides, d, padding], i) => {
  const name = `${channels} channels, ${padding} ${k}x${k} strides [${strides}] dilation ${d}`;
  const c: Case = { name, batch, size, inChannels: channels, outChannels: 1, kernel: [k, k], strides, dilation: [d, d], padding };
  conformance(`depthwiseConv2d and its backprops, multiplier 1: ${name}`, () => run(c, 7400 + i, true));
});

/*
 * Shapes that cut the pixels into several im2col chunks on native (about 64K floats of the im2col
 * matrix each: 171 taps give chunks of a few hundred pixels, a 1x1 filter chunks of about 13,000),
 * with a chunk boundary inside an image, filters wider than one register tile and not a multiple
 * of it, taps in more than one k slice, and a pointwise conv that runs without im2col.
 */
const CHUNKED: Case[] = [
  {
    name: 'chunks across images, 37 filters, strides [2, 1]',
    batch: 5,
    size: [13, 11],
    inChannels: 19,
    outChannels: 37,
    kernel: [3, 3],
    strides: [2, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'chunks across images, 35 filters, dilation [1, 2]',
    batch: 3,
    size: [12, 11],
    inChannels: 19,
    outChannels: 35,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 2],
    padding: 'same',
  },
  {
    // Native packs the filter once per call here (two KC slices of taps, several register tiles of
    // filters, the last one ragged) and the pixels come in chunks of up to MC with a ragged last one.
    name: '3x3 same over 40 channels (360 taps), 70 filters, 646 pixels',
    batch: 2,
    size: [17, 19],
    inChannels: 40,
    outChannels: 70,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '1x1 over 18,000 pixels (two chunks, no im2col)',
    batch: 6,
    size: [60, 50],
    inChannels: 5,
    outChannels: 33,
    kernel: [1, 1],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
];
CHUNKED.forEach((c, i) => conformance(`conv2d and backprops: ${c.name}`, () => run(c, 7600 + i, false)));

/*
 * First layers: 1 to 4 input channels and 16 or 32 filters, with output rows at least 16 pixels wide.
 * On native these run the direct convolution (native/kernels/conv_impl.h) instead of im2col + GEMM:
 * padding, strides, dilation, a row width that leaves a ragged run of pixels, and the tallest filter
 * the direct path takes.
 */
const FIRST_LAYERS: Case[] = [
  {
    name: 'LeNet conv1: 5x5, 1 channel, 16 filters',
    batch: 3,
    size: [20, 21],
    inChannels: 1,
    outChannels: 16,
    kernel: [5, 5],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: 'CIFAR conv1: 3x3 same, 3 channels, 32 filters',
    batch: 2,
    size: [14, 30],
    inChannels: 3,
    outChannels: 32,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '7x7 stride 2 same, 3 channels, 16 filters',
    batch: 2,
    size: [19, 37],
    inChannels: 3,
    outChannels: 16,
    kernel: [7, 7],
    strides: [2, 2],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '3x5 dilation [2, 1], 4 channels, 32 filters',
    batch: 1,
    size: [11, 40],
    inChannels: 4,
    outChannels: 32,
    kernel: [3, 5],
    strides: [1, 1],
    dilation: [2, 1],
    padding: 'same',
  },
];
FIRST_LAYERS.forEach((c, i) => conformance(`conv2d and backprops: ${c.name}`, () => run(c, 7800 + i, false)));

/*
 * The direct kernels beyond first layers (native/kernels/conv_impl.h): any input channels with the
 * filters in whole vectors (16 on AVX-512, 8 on AVX2). More than 256 taps (two KC slices), rows
 * narrower than half a run (runs across rows and images, for one vector of filters and for two),
 * rows of exactly half a run (two rows a run, also across images: LeNet conv3's 7-wide rows with two
 * vectors on AVX-512, 8-wide rows with one), rows of half a run to a run (one run per row) and wider
 * ones (near-equal runs inside a row),
 * a filter bank done in a pass of two vectors and one of one, strides, and the input gradient of
 * stride-1 convolutions computed as a convolution of dy ('same' and 'valid').
 */
const UNEVEN_RUNS: Case = {
  name: '2x1 valid strides [1, 2], 1 channel, 16 filters, 2-wide rows across 9 images',
  batch: 9,
  size: [3, 3],
  inChannels: 1,
  outChannels: 16,
  kernel: [2, 1],
  strides: [1, 2],
  dilation: [1, 1],
  padding: 'valid',
};

const DIRECT: Case[] = [
  {
    name: 'LeNet conv3: 5x5 same, 32 channels, 64 filters, 7-wide rows',
    batch: 3,
    size: [7, 7],
    inChannels: 32,
    outChannels: 64,
    kernel: [5, 5],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: 'LeNet conv2: 5x5 same, 16 channels, 32 filters, 15-wide rows',
    batch: 2,
    size: [14, 15],
    inChannels: 16,
    outChannels: 32,
    kernel: [5, 5],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '5x5 valid, 32 channels, 16 filters',
    batch: 2,
    size: [12, 9],
    inChannels: 32,
    outChannels: 16,
    kernel: [5, 5],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: '3x3 valid, 20 channels, 48 filters',
    batch: 2,
    size: [9, 13],
    inChannels: 20,
    outChannels: 48,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    // One-row images: a run of consecutive pixels crosses images while staying in row 0, so it is not
    // evenly spaced (the image's padding lies between).
    name: '1x3 same over one-row images, 4 channels, 16 filters (runs across images)',
    batch: 7,
    size: [1, 3],
    inChannels: 4,
    outChannels: 16,
    kernel: [1, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    // The filter gradient takes four filter vectors a block on AVX-512: blocks at filters 0 and 64.
    name: '3x3 same, 8 channels, 128 filters (filter gradient in blocks of four vectors)',
    batch: 2,
    size: [6, 7],
    inChannels: 8,
    outChannels: 128,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '3x3 same stride 2, 32 channels, 64 filters',
    batch: 2,
    size: [10, 11],
    inChannels: 32,
    outChannels: 64,
    kernel: [3, 3],
    strides: [2, 2],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '3x3 same, 16 channels, 32 filters, 5-wide rows (two vectors, runs across rows and images)',
    batch: 3,
    size: [4, 5],
    inChannels: 16,
    outChannels: 32,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  // Runs across rows and images whose end points are step apart but whose middle pixels are not
  // (origins 0, 2, 3, 5, 9, ...): each window must be addressed on its own.
  UNEVEN_RUNS,
  {
    name: '1x1 strides [2, 3], 1 channel, 32 filters, 1-wide rows across 9 images',
    batch: 9,
    size: [3, 2],
    inChannels: 1,
    outChannels: 32,
    kernel: [1, 1],
    strides: [2, 3],
    dilation: [1, 1],
    padding: 'valid',
  },
  { ...UNEVEN_RUNS, name: '2x1 valid strides [1, 2], 1 channel, 16 filters, 3-wide rows across 3 images', batch: 3, size: [4, 5] },
  {
    name: '3x3 same, 16 channels, 16 filters, 8-wide rows (two rows a run for one vector of filters)',
    batch: 3,
    size: [7, 8],
    inChannels: 16,
    outChannels: 16,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  // Winograd F(2x2, 3x3) on AVX-512: stride 1, whole vectors of channels in and out, even output sizes.
  {
    name: '3x3 same, 32 channels, 64 filters, 16x16 (Winograd; its input gradient too)',
    batch: 3,
    size: [16, 16],
    inChannels: 32,
    outChannels: 64,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '3x3 valid, 48 channels, 16 filters, 10x14 (Winograd, three vectors of channels)',
    batch: 2,
    size: [10, 14],
    inChannels: 48,
    outChannels: 16,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
  {
    name: '3x3 same, 16 channels, 48 filters, 20x36 (Winograd in chunks of tile rows, one image)',
    batch: 1,
    size: [20, 36],
    inChannels: 16,
    outChannels: 48,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'same',
  },
  {
    name: '3x3 same dilation 2, 16 channels, 16 filters',
    batch: 2,
    size: [11, 12],
    inChannels: 16,
    outChannels: 16,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [2, 2],
    padding: 'same',
  },
];
DIRECT.forEach((c, i) => conformance(`conv2d and backprops: ${c.name}`, () => run(c, 7900 + i, false)));
conformance('depthwiseConv2d and its backprops: 300 channels, multiplier 3, stride 2', () => {
  run(
    {
      name: '300 channels',
      batch: 2,
      size: [7, 6],
      inChannels: 300,
      outChannels: 3,
      kernel: [3, 3],
      strides: [2, 2],
      dilation: [1, 1],
      padding: 'same',
    },
    7700,
    true,
  );
});

conformance('depthwiseConv2d: depth multiplier 1 (the fast path)', () => {
  run(
    {
      name: 'multiplier 1',
      batch: 2,
      size: [6, 7],
      inChannels: 5,
      outChannels: 1,
      kernel: [3, 2],
      strides: [2, 1],
      dilation: [1, 1],
      padding: 'same',
    },
    7400,
    true,
  );
});

/*
 * conv2dTranspose runs conv2dBackpropInput forwards (and conv2d / conv2dBackpropFilter backwards):
 * its output is the reference's dx with x in the place of dy, and its gradients are the reference's
 * forward value (for x) and dw (with the roles of input and gradient swapped).
 */
conformance('conv2dTranspose: conv2dBackpropInput as the forward pass, stride 2, same and valid', () => {
  const rng = new TestRandom(7500);
  const transposeCases: { c: Case; outputPadding?: [number, number] }[] = [
    {
      c: {
        name: 'same 3x3 s2',
        batch: 2,
        size: [10, 8],
        inChannels: 3,
        outChannels: 5,
        kernel: [3, 3],
        strides: [2, 2],
        dilation: [1, 1],
        padding: 'same',
      },
    },
    {
      c: {
        name: 'valid 2x3 s2 outputPadding [1, 0]',
        batch: 1,
        size: [9, 7],
        inChannels: 4,
        outChannels: 2,
        kernel: [2, 3],
        strides: [2, 2],
        dilation: [1, 1],
        padding: 'valid',
      },
      outputPadding: [1, 0],
    },
    {
      c: {
        name: 'valid 3x3 s2',
        batch: 2,
        size: [9, 7],
        inChannels: 2,
        outChannels: 3,
        kernel: [3, 3],
        strides: [2, 2],
        dilation: [1, 1],
        padding: 'valid',
      },
    },
    {
      c: {
        name: 'same 3x3 dilation 2',
        batch: 1,
        size: [6, 7],
        inChannels: 3,
        outChannels: 2,
        kernel: [3, 3],
        strides: [1, 1],
        dilation: [2, 2],
        padding: 'same',
      },
    },
    {
      c: {
        name: 'same 4x4 s2 outputPadding 1',
        batch: 2,
        size: [7, 9],
        inChannels: 2,
        outChannels: 3,
        kernel: [4, 4],
        strides: [2, 2],
        dilation: [1, 1],
        padding: 'same',
      },
      outputPadding: [1, 1],
    },
  ];
  for (const { c, outputPadding } of transposeCases) {
    // c describes the forward conv from the transposed output (size c.size) back to x.
    const rows = axisGeometry(c.size[0], c.kernel[0], c.strides[0], c.dilation[0], c.padding);
    const cols = axisGeometry(c.size[1], c.kernel[1], c.strides[1], c.dilation[1], c.padding);
    const x = randomTensor(rng, [c.batch, rows.out, cols.out, c.outChannels]);
    const w = randomTensor(rng, [...c.kernel, c.inChannels, c.outChannels]);
    const options = { strides: c.strides, padding: c.padding, dilationRate: c.dilation, outputPadding };
    const y = nr.conv2dTranspose(x, w, options);
    const dy = randomTensor(rng, [...y.shape]);
    const ref = convReference(c, valuesOf(dy), valuesOf(w), valuesOf(x), false);
    const taps = c.kernel[0] * c.kernel[1];
    assertConforms(y, ref.dx, taps * c.outChannels, `conv2dTranspose ${c.name}: forward`, [c.batch, ...c.size, c.inChannels]);
    const [dx, dw] = nr.grad((a, b) => nr.conv2dTranspose(a, b, options).mul(dy).sum())(x, w);
    assertConforms(dx!, ref.out, taps * c.inChannels, `conv2dTranspose ${c.name}: gradient of x`, x.shape);
    assertConforms(dw!, ref.dw, c.batch * rows.out * cols.out, `conv2dTranspose ${c.name}: gradient of the filter`, w.shape);
  }
});

/*
 * conv2dBiasActivation: nr.conv2d with a bias and an activation, whose forward pass runs the fused
 * kernel where the active backend provides it together with conv2d (and conv2d, add and the
 * activation otherwise), and whose single backward node gives dx, dFilter and dBias. The reference
 * finishes the float64 convolution as the kernels round: the sum rounded to float32, plus the bias,
 * then the activation; the gradient through the activation is taken at the op's own output (relu's
 * mask, sigmoid's y(1 - y), tanh's 1 - y^2), so a sum that lands within rounding of zero cannot flip
 * the reference's relu mask.
 */
const ACTIVATIONS: Record<nr.LinearActivation, { f: (v: number) => number; derivative: (y: number) => number }> = {
  linear: { f: (v) => v, derivative: () => 1 },
  relu: { f: (v) => (v < 0 ? 0 : v), derivative: (y) => (y > 0 ? 1 : 0) },
  sigmoid: { f: (v) => 1 / (1 + Math.exp(-v)), derivative: (y) => y * (1 - y) },
  tanh: { f: Math.tanh, derivative: (y) => 1 - y * y },
};

const FUSED_CASES: Case[] = [
  CASES[0]!,
  CASES[2]!,
  CASES[7]!,
  FIRST_LAYERS[0]!,
  FIRST_LAYERS[1]!,
  CHUNKED[0]!,
  CHUNKED[2]!,
  {
    name: '1 pixel, 2 filters (below the native elementwise size)',
    batch: 1,
    size: [3, 3],
    inChannels: 2,
    outChannels: 2,
    kernel: [3, 3],
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  },
];

FUSED_CASES.forEach((c, i) => {
  conformance(`conv2dBiasActivation (nr.conv2d with bias and activation, and the kernel): ${c.name}`, () => {
    const rng = new TestRandom(7900 + i);
    const x = randomTensor(rng, [c.batch, ...c.size, c.inChannels]);
    const w = randomTensor(rng, [...c.kernel, c.inChannels, c.outChannels]);
    const bias = randomTensor(rng, [c.outChannels]);
    const geometryOptions = { strides: c.strides, padding: c.padding, dilationRate: c.dilation };
    const plain = convReference(c, valuesOf(x), valuesOf(w), null, false);
    const taps = c.kernel[0] * c.kernel[1] * c.inChannels;
    const pixels = plain.out.length / c.outChannels;
    const dy = randomTensor(rng, plain.outShape);
    const dyValues = valuesOf(dy);
    for (const activation of Object.keys(ACTIVATIONS) as nr.LinearActivation[]) {
      for (const b of [bias, null]) {
        const label = `${c.name} ${activation} bias=${b !== null}`;
        const options = { ...geometryOptions, bias: b, activation };
        const biasValues = b ? valuesOf(b) : null;
        const expected = Array.from(plain.out, (v, j) =>
          ACTIVATIONS[activation].f(Math.fround(v) + (biasValues ? biasValues[j % c.outChannels]! : 0)),
        );
        const y = nr.conv2d(x, w, options);
        assertConforms(y, expected, taps, `${label}: forward`, plain.outShape);
        if (kernelProvider('conv2dBiasActivation') === kernelProvider('conv2d')) {
          const out = new Float32Array(plain.out.length);
          const g = {
            batch: c.batch,
            inHeight: c.size[0],
            inWidth: c.size[1],
            inChannels: c.inChannels,
            outHeight: plain.outShape[1]!,
            outWidth: plain.outShape[2]!,
            outChannels: c.outChannels,
            filterHeight: c.kernel[0],
            filterWidth: c.kernel[1],
            strideHeight: c.strides[0],
            strideWidth: c.strides[1],
            dilationHeight: c.dilation[0],
            dilationWidth: c.dilation[1],
            padTop: axisGeometry(c.size[0], c.kernel[0], c.strides[0], c.dilation[0], c.padding).before,
            padLeft: axisGeometry(c.size[1], c.kernel[1], c.strides[1], c.dilation[1], c.padding).before,
          };
          kernels().conv2dBiasActivation(
            x.data() as Float32Array,
            w.data() as Float32Array,
            b && (b.data() as Float32Array),
            out,
            g,
            activation,
          );
          assertConforms(nr.tensor(out, plain.outShape), expected, taps, `${label}: kernel`);
        }
        // The gradients of sum(y * dy): dz = dy * activation'(y), then the plain conv's backprops and the bias's sum.
        const yValues = valuesOf(y);
        const dz = dyValues.map((v, j) => v * ACTIVATIONS[activation].derivative(yValues[j]!));
        const ref = convReference(c, valuesOf(x), valuesOf(w), dz, false);
        const dBias = new Float64Array(c.outChannels);
        dz.forEach((v, j) => {
          dBias[j % c.outChannels] += v;
        });
        const grads = b
          ? nr.grad((xv, wv, bv) =>
              nr
                .conv2d(xv, wv, { ...geometryOptions, bias: bv, activation })
                .mul(dy)
                .sum(),
            )(x, w, b)
          : nr.grad((xv, wv) => nr.conv2d(xv, wv, options).mul(dy).sum())(x, w);
        assertConforms(grads[0]!, ref.dx, c.kernel[0] * c.kernel[1] * c.outChannels, `${label}: gradient of x`, x.shape);
        assertConforms(grads[1]!, ref.dw, pixels, `${label}: gradient of the filter`, w.shape);
        if (b) assertConforms(grads[2]!, dBias, pixels, `${label}: gradient of the bias`, b.shape);
      }
    }
  });
});

conformance('conv2dBiasActivation: a NaN in the input stays NaN through bias and relu, nowhere else', () => {
  // 32 filters (whole vectors: the direct kernels and their epilogue); the NaN at pixel (2, 2) reaches
  // the outputs whose 3x3 windows hold it, rows and columns 1-3.
  const rng = new TestRandom(7990);
  const values = valuesOf(randomTensor(rng, [1, 5, 5, 3]));
  values[(2 * 5 + 2) * 3] = Number.NaN;
  const x = nr.tensor(values, [1, 5, 5, 3]);
  const w = randomTensor(rng, [3, 3, 3, 32]);
  const bias = randomTensor(rng, [32]);
  for (const activation of ['relu', 'linear'] as const) {
    const y = valuesOf(nr.conv2d(x, w, { padding: 'same', bias, activation }));
    for (let p = 0; p < 25; p++) {
      const [row, col] = [Math.floor(p / 5), p % 5];
      const touched = row >= 1 && row <= 3 && col >= 1 && col <= 3;
      for (let c = 0; c < 32; c++) {
        const v = y[p * 32 + c]!;
        assert.equal(Number.isNaN(v), touched, `${activation}: output (${row}, ${col}) channel ${c} is ${v}`);
        if (!touched && activation === 'relu') assert.ok(v >= 0, `relu output ${v}`);
      }
    }
  }
});
