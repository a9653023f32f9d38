/*
 * The bad-input catalogue: each row is a mistake a user can make, the NeuronaError subclass it must
 * raise, and a pattern the message must match, naming the culprit (the op, layer, argument, file or
 * option) and, for sizes, the size and the limit. No row may let a TypeError or RangeError escape.
 * CLI rows run the command in-process and check its exit status and one-line stderr.
 */
import { after, before, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from './helpers.js';
import { decodeSafetensors } from '../src/io/safetensors.js';
import { crc32, decodePng, encodePng } from '../src/io/png.js';
import { encodeIdx, parseIdx } from '../src/io/idx.js';
import { main } from '../src/cli/commands.js';

type ErrorClass = typeof nr.ShapeError | typeof nr.ConfigError | typeof nr.DTypeError | typeof nr.FormatError | typeof nr.NumericsError;

interface Row {
  what: string;
  run: () => unknown;
  error: ErrorClass;
  message: RegExp;
}

const ones = (shape: number[]) => nr.ones(shape);
const withNaN = (shape: number[], at: number, value = Number.NaN) => {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5);
  data[at] = value;
  return nr.tensor(data, shape);
};

/** A compiled 4 -> 3 classifier (sparse labels) and one with two inputs. */
function classifier(loss: nr.losses.LossName = 'sparse_categorical_crossentropy'): nr.Sequential {
  nr.setSeed(1);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
  model.compile({ optimizer: 'sgd', loss });
  return model;
}
function twoInputs(): nr.Model {
  const a = nr.Input({ shape: [2] });
  const b = nr.Input({ shape: [2] });
  const out = new nr.layers.Dense({ units: 1 }).apply(new nr.layers.Concatenate().apply([a, b]) as never) as never;
  return new nr.Model([a, b], out);
}
const fitQuiet = (model: nr.Model, x: nr.Tensor | nr.Tensor[], y: nr.Tensor, options: nr.FitOptions = {}) =>
  model.fit(x, y, { verbose: 0, ...options });
const labels = nr.tensor([0, 1, 2, 1], undefined, 'int32');

/** A PNG (1x1 gray) whose IHDR is patched to declare width x height, holding `raw` as image data. */
function declaredPng(width: number, height: number, raw = new Uint8Array(2), depth = 8, colorType = 0): Uint8Array {
  const png = encodePng({ width: 1, height: 1, channels: 1, pixels: new Uint8Array(1) }).slice();
  const view = new DataView(png.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  png[24] = depth;
  png[25] = colorType;
  view.setUint32(29, crc32(png, 12, 29));
  const idat = deflateSync(raw);
  const chunk = new Uint8Array(12 + idat.length);
  const cv = new DataView(chunk.buffer);
  cv.setUint32(0, idat.length);
  chunk.set([0x49, 0x44, 0x41, 0x54], 4);
  chunk.set(idat, 8);
  cv.setUint32(8 + idat.length, crc32(chunk, 4, 8 + idat.length));
  const idatStart = 33;
  const idatEnd = idatStart + 12 + view.getUint32(idatStart);
  return Buffer.concat([png.subarray(0, idatStart), chunk, png.subarray(idatEnd)]);
}

const st = (header: string, data = new Uint8Array(0)) => {
  const json = Buffer.from(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

const rows: Row[] = [
  // Tensors: sizes are checked before allocation, and state the size and the limit.
  {
    what: 'zeros([1e6, 1e6])',
    run: () => nr.zeros([1e6, 1e6]),
    error: nr.ShapeError,
    message: new RegExp(
      String.raw`^zeros: shape \[1000000, 1000000\] holds 1,000,000,000,000 elements \(4\.00 TB as float32\), ` +
        'more than the limit of 2,147,483,647 elements per tensor',
    ),
  },
  {
    what: 'ones([1e5, 1e5])',
    run: () => nr.ones([1e5, 1e5]),
    error: nr.ShapeError,
    message: /^ones: shape \[100000, 100000\] holds 10,000,000,000 elements.*limit of 2,147,483,647/,
  },
  {
    what: 'full of 1e12 elements',
    run: () => nr.full([1e6, 1e6], 3),
    error: nr.ShapeError,
    message: /^full: shape \[1000000, 1000000\].*limit/,
  },
  {
    what: 'randn of 1e12 elements',
    run: () => nr.randn([1e6, 1e6]),
    error: nr.ShapeError,
    message: /^randn: shape \[1000000, 1000000\].*limit/,
  },
  {
    what: 'randu of 1e12 elements',
    run: () => nr.randu([1e6, 1e6]),
    error: nr.ShapeError,
    message: /^randu: shape \[1000000, 1000000\].*limit/,
  },
  { what: 'eye(1e6)', run: () => nr.eye(1e6), error: nr.ShapeError, message: /^eye: shape \[1000000, 1000000\].*limit/ },
  {
    what: 'int32 zeros of 3e9 elements',
    run: () => nr.zeros([3e9], 'int32'),
    error: nr.ShapeError,
    message: /zeros: shape \[3000000000\] holds 3,000,000,000 elements \(12\.0 GB as int32\)/,
  },
  {
    what: 'arange(0, 1e12)',
    run: () => nr.arange(0, 1e12),
    error: nr.ShapeError,
    message: /^arange\(0, 1000000000000, 1\) holds 1,000,000,000,000 elements.*limit/,
  },
  {
    what: 'a lowered limit',
    run: () => {
      nr.setMaxTensorElements(10);
      try {
        return nr.zeros([4, 4]);
      } finally {
        nr.setMaxTensorElements(2 ** 31 - 1);
      }
    },
    error: nr.ShapeError,
    message: /zeros: shape \[4, 4\] holds 16 elements .* limit of 10 elements per tensor; .*nr\.setMaxTensorElements/,
  },
  {
    what: 'setMaxTensorElements(0)',
    run: () => nr.setMaxTensorElements(0),
    error: nr.ConfigError,
    message: /setMaxTensorElements: expected a positive integer, got 0/,
  },
  {
    what: 'setMaxTensorElements(1.5)',
    run: () => nr.setMaxTensorElements(1.5),
    error: nr.ConfigError,
    message: /setMaxTensorElements: .* got 1\.5/,
  },
  {
    what: "zeros('abc')",
    run: () => nr.zeros('abc' as never),
    error: nr.ShapeError,
    message: /^zeros: shape must be an array of non-negative integers \(e\.g\. \[2, 3\]\), got "abc"/,
  },
  { what: 'ones(5)', run: () => nr.ones(5 as never), error: nr.ShapeError, message: /^ones: shape must be an array .* got 5$/ },
  { what: 'zeros(null)', run: () => nr.zeros(null as never), error: nr.ShapeError, message: /^zeros: shape must be an array .* got null/ },
  { what: 'randn({})', run: () => nr.randn({} as never), error: nr.ShapeError, message: /^randn: shape must be an array .* got \{\}$/ },
  {
    what: 'zeros with a negative dimension',
    run: () => nr.zeros([2, -1]),
    error: nr.ShapeError,
    message: /zeros: shape \[2, -1\] must hold non-negative integers/,
  },
  { what: 'zeros with a fractional dimension', run: () => nr.zeros([2.5]), error: nr.ShapeError, message: /zeros: shape \[2\.5\]/ },
  {
    what: "full([2], 'x')",
    run: () => nr.full([2], 'x' as never),
    error: nr.ConfigError,
    message: /^full: the fill value must be a number, got "x"/,
  },
  {
    what: 'full([2], null)',
    run: () => nr.full([2], null as never),
    error: nr.ConfigError,
    message: /^full: the fill value must be a number, got null/,
  },
  {
    what: 'full([2], {})',
    run: () => nr.full([2], {} as never),
    error: nr.ConfigError,
    message: /^full: the fill value must be a number, got \{\}$/,
  },
  {
    what: "full with dtype 'float16'",
    run: () => nr.full([2], 1, 'float16' as never),
    error: nr.ConfigError,
    message: /full: unknown dtype "float16"/,
  },
  {
    what: 'a megabyte-long fill value keeps the message short',
    run: () => nr.full([2], 'x'.repeat(1e6) as never),
    error: nr.ConfigError,
    message: /^full: the fill value must be a number, got "x{60}\.\.\."$/,
  },
  // Ops
  {
    what: 'add broadcasting to 1e10 elements',
    run: () => ones([1e5, 1]).add(ones([1, 1e5])),
    error: nr.ShapeError,
    message: /^add: the result of shape \[100000, 100000\] holds 10,000,000,000 elements.*limit/,
  },
  {
    what: 'mul broadcasting to 1e10 elements',
    run: () => ones([1e5, 1]).mul(ones([1, 1e5])),
    error: nr.ShapeError,
    message: /^mul: the result of shape \[100000, 100000\]/,
  },
  {
    what: 'greater broadcasting to 1e10 elements',
    run: () => ones([1e5, 1]).greater(ones([1, 1e5])),
    error: nr.ShapeError,
    message: /^greater: the result of shape \[100000, 100000\] holds .* as bool/,
  },
  {
    what: 'matmul of an outer product with 1e10 elements',
    run: () => ones([1e5, 1]).matmul(ones([1, 1e5])),
    error: nr.ShapeError,
    message: /^matmul: the result of shape \[100000, 100000\]/,
  },
  {
    what: 'where broadcasting to 1e10 elements',
    run: () => nr.where(nr.ones([1e5, 1]).greater(0), ones([1, 1e5]), 0),
    error: nr.ShapeError,
    message: /^where: the result of shape \[100000, 100000\]/,
  },
  {
    what: 'oneHot index equal to depth',
    run: () => nr.oneHot(nr.tensor([0, 3], undefined, 'int32'), 3),
    error: nr.ShapeError,
    message: /^oneHot: index 3 \(at flat position 1\) is out of range for depth 3 \(valid: 0\.\.2\)/,
  },
  {
    what: 'oneHot negative index',
    run: () => nr.oneHot([2, -1], 3),
    error: nr.ShapeError,
    message: /^oneHot: index -1 \(at flat position 1\) is out of range for depth 3/,
  },
  {
    what: 'oneHot of 1e6 x 1e5',
    run: () => nr.oneHot(nr.zeros([1e6], 'int32'), 1e5),
    error: nr.ShapeError,
    message: /^oneHot: the result of shape \[1000000, 100000\] holds 100,000,000,000 elements/,
  },
  {
    what: 'oneHot depth 0',
    run: () => nr.oneHot([0], 0),
    error: nr.ConfigError,
    message: /oneHot: depth must be a positive integer, got 0/,
  },
  {
    what: 'oneHot fractional index',
    run: () => nr.oneHot([0.5], 2),
    error: nr.DTypeError,
    message: /oneHot: indices must be integers, got 0\.5/,
  },
  {
    what: 'gather index out of range',
    run: () => nr.gather(ones([3, 2]), [5]),
    error: nr.ShapeError,
    message: /gather: index 5 is out of range for axis 0 of \[3, 2\]/,
  },
  // Losses
  {
    what: 'sparse crossentropy with label 1.5',
    run: () => nr.losses.sparseCategoricalCrossentropy(nr.tensor([1.5]), nr.tensor([[0.1, 0.8, 0.1]])),
    error: nr.ConfigError,
    message: /^sparseCategoricalCrossentropy: labels must be integers \(class indices\), got 1\.5 at flat index 0/,
  },
  {
    what: 'sparse crossentropy with label NaN',
    run: () =>
      nr.losses.sparseCategoricalCrossentropy(
        nr.tensor([0, Number.NaN]),
        nr.tensor([
          [0.5, 0.5],
          [0.5, 0.5],
        ]),
      ),
    error: nr.ConfigError,
    message: /labels must be integers \(class indices\), got NaN at flat index 1/,
  },
  {
    what: 'sparse crossentropy with label 3 of 3 classes',
    run: () => nr.losses.sparseCategoricalCrossentropy(nr.tensor([3]), nr.tensor([[0.1, 0.8, 0.1]])),
    error: nr.ConfigError,
    message: /label 3 \(at flat index 0\) is outside \[0, 3\)/,
  },
  // Layers: weights are sized before they are created
  {
    what: 'Dense with 1e11 weights',
    run: () => new nr.layers.Dense({ units: 1e6, name: 'huge' }).apply(nr.zeros([1, 1e5])),
    error: nr.ShapeError,
    message: new RegExp(
      String.raw`^Dense "huge" \(input shape \[1, 100000\]\): weight "kernel" of shape \[100000, 1000000\] ` +
        String.raw`holds 100,000,000,000 elements \(400 GB as float32\), more than the limit of 2,147,483,647`,
    ),
  },
  {
    what: 'Dense with 1e11 weights in a model',
    run: () => new nr.Sequential([new nr.layers.Dense({ units: 1e6, inputShape: [1e5], name: 'wide' })]),
    error: nr.ShapeError,
    message: /Dense "wide".*weight "kernel" of shape \[100000, 1000000\].*limit/,
  },
  {
    what: 'Conv2D with 3e9 weights',
    run: () => new nr.layers.Conv2D({ filters: 100000, kernelSize: 100, name: 'conv_huge' }).apply(nr.zeros([1, 100, 100, 3])),
    error: nr.ShapeError,
    message: /Conv2D "conv_huge".*weight "kernel" of shape \[100, 100, 3, 100000\] holds 3,000,000,000 elements/,
  },
  // Compile
  {
    what: 'compile without optimizer',
    run: () => classifier().compile({ loss: 'mse' } as never),
    error: nr.ConfigError,
    message: /compile: option "optimizer" is required/,
  },
  {
    // Keras accepts compile without a loss (the model may add its own); training with nothing to minimise is the error.
    what: 'training a model compiled without loss that adds none',
    run: () => {
      const model = classifier();
      model.compile({ optimizer: 'sgd' });
      model.trainOnBatch(nr.ones([2, 4]), nr.tensor([0, 1], [2], 'int32'));
    },
    error: nr.ConfigError,
    message: /a loss to minimise: compile was given no loss and the model added none.*pass loss to compile/s,
  },
  {
    what: 'compile with a NaN loss weight',
    run: () => classifier().compile({ optimizer: 'sgd', loss: 'mse', lossWeights: [Number.NaN] }),
    error: nr.ConfigError,
    message: /lossWeights for output .* must be a finite number, got NaN/,
  },
  // fit / evaluate: NaN and Infinity in the data, class weights
  {
    what: 'fit with NaN in x',
    run: () => fitQuiet(classifier(), withNaN([4, 4], 6), labels),
    error: nr.NumericsError,
    message: /^fit: x holds NaN at index \[1, 2\] \(sample 1\) of shape \[4, 4\]/,
  },
  {
    what: 'fit with Infinity in x',
    run: () => fitQuiet(classifier(), withNaN([4, 4], 15, Infinity), labels),
    error: nr.NumericsError,
    message: /^fit: x holds Infinity at index \[3, 3\] \(sample 3\)/,
  },
  {
    what: 'fit with NaN in one-hot y',
    run: () => fitQuiet(classifier('categorical_crossentropy'), ones([4, 4]), withNaN([4, 3], 7)),
    error: nr.NumericsError,
    message: /^fit: y holds NaN at index \[2, 1\] \(sample 2\) of shape \[4, 3\]/,
  },
  {
    what: 'fit with -Infinity in y',
    run: () => fitQuiet(classifier('mse'), ones([4, 4]), withNaN([4, 3], 0, -Infinity)),
    error: nr.NumericsError,
    message: /^fit: y holds -Infinity at index \[0, 0\]/,
  },
  {
    what: 'fit with NaN in the second input',
    run: () => {
      const m = twoInputs();
      m.compile({ optimizer: 'sgd', loss: 'mse' });
      return fitQuiet(m, [ones([3, 2]), withNaN([3, 2], 5)], ones([3, 1]));
    },
    error: nr.NumericsError,
    message: /^fit: x\[1\] holds NaN at index \[2, 1\]/,
  },
  {
    what: 'fit with NaN in validation x',
    run: () =>
      fitQuiet(classifier(), ones([4, 4]), labels, { validationData: [withNaN([2, 4], 1), nr.tensor([0, 1], undefined, 'int32')] }),
    error: nr.NumericsError,
    message: /^fit: validationData x holds NaN at index \[0, 1\]/,
  },
  {
    what: 'fit with NaN in validation y',
    run: () => fitQuiet(classifier('mse'), ones([4, 4]), ones([4, 3]), { validationData: [ones([2, 4]), withNaN([2, 3], 4)] }),
    error: nr.NumericsError,
    message: /^fit: validationData y holds NaN at index \[1, 1\]/,
  },
  {
    what: 'fit with NaN in sampleWeight',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { sampleWeight: withNaN([4], 2) }),
    error: nr.NumericsError,
    message: /^fit: sampleWeight holds NaN at index \[2\]/,
  },
  {
    what: 'evaluate with NaN in x',
    run: () => classifier().evaluate(withNaN([4, 4], 9), labels, { verbose: 0 }),
    error: nr.NumericsError,
    message: /^evaluate: x holds NaN at index \[2, 1\] \(sample 2\)/,
  },
  {
    what: 'evaluate with Infinity in y',
    run: () => classifier('mse').evaluate(ones([4, 4]), withNaN([4, 3], 11, Infinity), { verbose: 0 }),
    error: nr.NumericsError,
    message: /^evaluate: y holds Infinity at index \[3, 2\]/,
  },
  {
    what: 'fit with labels 0.5 (sparse)',
    run: () => fitQuiet(classifier(), ones([4, 4]), nr.tensor([0, 0.5, 1, 2])),
    error: nr.ConfigError,
    message: /labels must be integers \(class indices\), got 0\.5/,
  },
  {
    what: 'classWeight NaN',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { 0: Number.NaN, 1: 1, 2: 1 } }),
    error: nr.ConfigError,
    message: /^fit: classWeight\[0\] is NaN; class weights must be finite numbers >= 0/,
  },
  {
    what: 'classWeight negative',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { 0: 1, 1: -1, 2: 1 } }),
    error: nr.ConfigError,
    message: /^fit: classWeight\[1\] is -1; class weights must be finite numbers >= 0/,
  },
  {
    what: 'classWeight Infinity',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { 0: 1, 1: 1, 2: Infinity } }),
    error: nr.ConfigError,
    message: /^fit: classWeight\[2\] is Infinity/,
  },
  {
    what: 'classWeight a string',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { 0: '2' as never, 1: 1, 2: 1 } }),
    error: nr.ConfigError,
    message: /^fit: classWeight\[0\] is "2"/,
  },
  {
    what: 'classWeight key that is not a class index',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { a: 1 } as never }),
    error: nr.ConfigError,
    message: /^fit: classWeight key "a" is not a class index/,
  },
  {
    what: 'classWeight missing a class',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { classWeight: { 0: 1, 1: 1 } }),
    error: nr.ConfigError,
    message: /classWeight has no entry for class 2 \(sample 2\)/,
  },
  {
    what: 'trainOnBatch classWeight NaN',
    run: () => classifier().trainOnBatch(ones([4, 4]), labels, { classWeight: { 0: 1, 1: Number.NaN, 2: 1 } }),
    error: nr.ConfigError,
    message: /classWeight\[1\] is NaN/,
  },
  {
    what: 'fit not compiled',
    run: () =>
      new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2], name: 'plain' })], { name: 'uncompiled' }).fit(
        ones([2, 2]),
        ones([2, 1]),
        { verbose: 0 },
      ),
    error: nr.ConfigError,
    message: /fit: the model "uncompiled" is not compiled/,
  },
  {
    what: 'fit epochs 0',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { epochs: 0 }),
    error: nr.ConfigError,
    message: /fit: epochs must be an integer >= 1, got 0/,
  },
  {
    what: 'fit validationSplit 1.5',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { validationSplit: 1.5 }),
    error: nr.ConfigError,
    message: /validationSplit must be a number in \[0, 1\), got 1\.5/,
  },
  // Saving outside directories (docs/saving.md, "Saving in the browser and in memory")
  {
    what: 'loadModel of bytes that are not a model container',
    run: () => nr.loadModel(new TextEncoder().encode('<!doctype html>')),
    error: nr.FormatError,
    message: /^model bytes: is not a neurona model container \(a zip holding model\.json and model\.safetensors\)/,
  },
  {
    what: 'loadModel with an unknown scheme',
    run: () => nr.loadModel('gs://bucket/model/'),
    error: nr.ConfigError,
    message: /^loadModel: unknown scheme in "gs:\/\/bucket\/model\/"; the schemes here are indexeddb:\/\/, http:\/\/ and https:\/\//,
  },
  {
    what: 'model.save to an http URL',
    run: () => classifier().save('https://example.org/m/'),
    error: nr.ConfigError,
    message: /^model\.save: cannot save to https:\/\/example\.org\/m\/: http\(s\) URLs are for loading/,
  },
  {
    what: 'setQuiet with a string',
    run: () => nr.setQuiet('1' as never),
    error: nr.ConfigError,
    message: /^setQuiet: expected true or false, got "1"/,
  },
  // Other frameworks' formats (docs/interop.md, "TensorFlow.js layers format" and "Keras .keras archives")
  {
    what: 'fromKeras of bytes that are not a zip',
    run: () => nr.interop.fromKeras(new TextEncoder().encode('not a zip')),
    error: nr.FormatError,
    message: /^fromKeras: is not a readable zip archive \(a \.keras file is a zip\)/,
  },
  {
    what: 'fromTfjs of a TF.js graph model',
    run: () => nr.interop.fromTfjs({ modelJson: { format: 'graph-model', modelTopology: {} } as never, weightData: new Uint8Array() }),
    error: nr.FormatError,
    message: /^fromTfjs: format must be "layers-model", got "graph-model"; graph models are not supported/,
  },
  {
    what: 'toTfjs of a layer TF.js has no class for',
    run: () => nr.interop.toTfjs(new nr.Sequential([nr.Input({ shape: [2] }), new nr.layers.GaussianNoise(0.1, { name: 'jitter' })])),
    error: nr.FormatError,
    message: /^export to TF\.js: layer "jitter" \(GaussianNoise\): the layer class has no TF\.js counterpart here/,
  },
  // Loaders: safetensors
  {
    what: 'safetensors: too many tensors, counted before the JSON is parsed',
    run: () => decodeSafetensors(st('{"a":{},"b":{},"c":{} trailing garbage}'), 'w.safetensors', { maxTensors: 2 }),
    error: nr.FormatError,
    message: /^w\.safetensors: invalid safetensors file: 3 tensors exceed the limit of 2 \(counted before parsing the JSON header/,
  },
  {
    what: 'safetensors: __metadata__ is not counted as a tensor',
    run: () => decodeSafetensors(st('{"__metadata__":{},"a":{},"b":{},"c":{}} x'), 'm.safetensors', { maxTensors: 2 }),
    error: nr.FormatError,
    message: /m\.safetensors: .*3 tensors exceed the limit of 2/,
  },
  {
    what: 'safetensors: header length above the limit',
    run: () => decodeSafetensors(st('{}'), 'h.safetensors', { maxHeaderBytes: 1 }),
    error: nr.FormatError,
    message: /h\.safetensors: invalid safetensors file: header length 2 exceeds the limit of 1 bytes/,
  },
  {
    what: 'safetensors: truncated',
    run: () => decodeSafetensors(new Uint8Array(5), 't.safetensors'),
    error: nr.FormatError,
    message: /t\.safetensors: .*5 bytes/,
  },
  {
    what: 'safetensors: a shape larger than the buffer',
    run: () =>
      decodeSafetensors(st('{"w":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4]}}', new Uint8Array(4)), 's.safetensors'),
    error: nr.FormatError,
    message: /tensor "w" \(F32, shape \[1000000, 1000000\]\) needs more bytes than the whole 4-byte data buffer/,
  },
  // Loaders: PNG
  {
    what: 'PNG above the pixel limit',
    run: () => decodePng(declaredPng(100000, 100000), 'huge.png'),
    error: nr.FormatError,
    message: /^huge\.png: the image is 100000 x 100000 = 10,000,000,000 pixels, more than the limit of 67,108,864/,
  },
  {
    what: 'PNG above a lowered pixel limit',
    run: () => decodePng(declaredPng(10, 10, new Uint8Array(110)), 'ten.png', { maxPixels: 99 }),
    error: nr.FormatError,
    message: /^ten\.png: the image is 10 x 10 = 100 pixels, more than the limit of 99/,
  },
  {
    what: 'PNG decompression bomb',
    run: () => decodePng(declaredPng(1, 1, new Uint8Array(8 << 20)), 'bomb.png'),
    error: nr.FormatError,
    message: /^bomb\.png: image data inflates to more than the 2 bytes/,
  },
  {
    what: 'PNG with too little image data',
    run: () => decodePng(declaredPng(4, 4, new Uint8Array(3)), 'short.png'),
    error: nr.FormatError,
    message: /^short\.png: image data inflates to 3 bytes, the header's size and pixel format need 20/,
  },
  {
    what: 'PNG with a depth the color type does not allow',
    run: () => decodePng(declaredPng(1, 1, new Uint8Array(2), 4, 2), 'rgb4.png'),
    error: nr.FormatError,
    message: /^rgb4\.png: invalid pixel format: bit depth 4, color type 2/,
  },
  {
    what: 'PNG palette image without PLTE',
    run: () => decodePng(declaredPng(1, 1, new Uint8Array(2), 8, 3), 'pal.png'),
    error: nr.FormatError,
    message: /^pal\.png: a palette image \(color type 3\) without a PLTE chunk/,
  },
  {
    what: 'PNG with an unknown filter type',
    run: () => decodePng(declaredPng(1, 1, new Uint8Array([7, 0])), 'filter.png'),
    error: nr.FormatError,
    message: /^filter\.png: cannot decode the image data \(Unsupported filter: 7\)/,
  },
  {
    what: 'PNG maxPixels 0',
    run: () => decodePng(declaredPng(1, 1), 'x.png', { maxPixels: 0 }),
    error: nr.ConfigError,
    message: /decodePng: maxPixels must be a positive integer, got 0/,
  },
  {
    what: 'PNG given null',
    run: () => decodePng(null as never, 'x.png'),
    error: nr.ConfigError,
    message: /decodePng: expected the file's bytes as a Uint8Array, got null/,
  },
  {
    what: 'PNG with a corrupt CRC',
    run: () => {
      const p = declaredPng(1, 1).slice();
      p[30]! ^= 1;
      return decodePng(p, 'crc.png');
    },
    error: nr.FormatError,
    message: /crc\.png: CRC mismatch in chunk IHDR/,
  },
  {
    what: 'not a PNG',
    run: () => decodePng(Buffer.from('GIF89a....'), 'cat.gif'),
    error: nr.FormatError,
    message: /cat\.gif: not a PNG file/,
  },
  // Loaders: IDX
  {
    what: 'IDX with a bad magic number',
    run: () => parseIdx(new Uint8Array([1, 2, 8, 1, 0, 0, 0, 0]), 'labels.idx'),
    error: nr.FormatError,
    message: /labels\.idx: not an IDX file: magic number 0x01020801/,
  },
  {
    what: 'IDX shorter than its dimensions',
    run: () => parseIdx(encodeIdx(new Uint8Array(4), [4]).subarray(0, 10), 'cut.idx'),
    error: nr.FormatError,
    message: /cut\.idx: IDX dimensions \[4\] need more than 2 bytes of uint8 data/,
  },
  {
    what: 'IDX with huge dimensions',
    run: () => parseIdx(new Uint8Array([0, 0, 8, 3, 0x7f, 255, 255, 255, 0x7f, 255, 255, 255, 0x7f, 255, 255, 255]), 'huge.idx'),
    error: nr.FormatError,
    message: /huge\.idx: IDX dimensions \[2147483647, \.\.\.\] need more than 0 bytes/,
  },
  // Layers, models and options: what students type must work or fail loudly, naming class and key.
  {
    what: 'LSTM stateful',
    run: () => new nr.layers.LSTM({ units: 4, stateful: true, name: 'lstm_s' }),
    error: nr.ConfigError,
    message: /^LSTM "lstm_s": stateful: true is not supported; pass the final states .* as initialState/,
  },
  {
    what: 'LSTM fed a 2-D input',
    run: () => new nr.layers.LSTM({ units: 4, name: 'lstm_2d' }).apply(nr.ones([2, 3])),
    error: nr.ShapeError,
    message: /LSTM "lstm_2d".*expected input of rank 3 \[batch, time, features\], got \[2, 3\]/,
  },
  {
    what: 'GRU initialState with two states',
    run: () =>
      new nr.layers.GRU({ units: 2, name: 'gru_s' }).apply(nr.ones([1, 3, 2]), { initialState: [nr.ones([1, 2]), nr.ones([1, 2])] }),
    error: nr.ConfigError,
    message: /GRU "gru_s".*initialState must be a list of 1 tensor \[batch, 2\], got 2/,
  },
  {
    what: 'recurrent op with a kernel of the wrong width',
    run: () => nr.recurrent('lstm', nr.ones([1, 3, 2]), nr.ones([2, 6]), nr.ones([2, 8]), null),
    error: nr.ShapeError,
    message: /^recurrent \(lstm\): the kernel must be \[2, 8\] for the input \[1, 3, 2\] and 2 units, got \[2, 6\]/,
  },
  {
    what: 'Bidirectional around a Dense layer',
    run: () => new nr.layers.Bidirectional(new nr.layers.Dense(2) as never, { name: 'bi_d' }),
    error: nr.ConfigError,
    message: /^Bidirectional "bi_d": layer must be a SimpleRNN, LSTM or GRU layer/,
  },
  {
    what: 'Dense unknown option with a near key',
    run: () => new nr.layers.Dense({ unitz: 4, name: 'd1' } as never),
    error: nr.ConfigError,
    message: /^Dense "d1": unknown option 'unitz'; did you mean 'units'\?/,
  },
  {
    what: 'Dense snake_case key misspelt',
    run: () => new nr.layers.Dense({ units: 4, kernel_initialiser: 'zeros' } as never),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": unknown option 'kernel_initialiser'; did you mean 'kernel_initializer'\?/,
  },
  {
    what: 'Dense both spellings of one key',
    run: () => new nr.layers.Dense({ units: 4, useBias: true, use_bias: false } as never),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": option 'useBias' is given twice, as 'useBias' and as 'use_bias'/,
  },
  {
    what: 'Dense useBias not a boolean',
    run: () => new nr.layers.Dense({ units: 4, useBias: 'no' } as never),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": useBias must be a boolean \(true or false\), got "no"/,
  },
  {
    what: 'Dense units not a number',
    run: () => new nr.layers.Dense({ units: 'abc' } as never),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": units must be a positive integer, got "abc"/,
  },
  {
    what: 'Dense inputShape with -1',
    run: () => new nr.layers.Dense({ units: 4, inputShape: [-1] }),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": inputShape must be an array of positive integers .*got \[-1\]/,
  },
  {
    what: 'Dense activation a number',
    run: () => new nr.layers.Dense({ units: 4, activation: 3 } as never),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": activation must be a name \(string\), a function or an object, got 3/,
  },
  {
    what: 'Dense too many positional arguments',
    run: () => new (nr.layers.Dense as unknown as new (...a: unknown[]) => unknown)(8, 'relu', 'x'),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": takes at most 2 positional arguments \(units, activation\) before its options object, got 3 arguments/,
  },
  {
    what: 'Dense units positional and in the object',
    run: () => new (nr.layers.Dense as unknown as new (...a: unknown[]) => unknown)(8, { units: 4 }),
    error: nr.ConfigError,
    message: /units is given both as argument 1 and in the options object/,
  },
  {
    what: 'Dense Keras option neurona lacks',
    run: () => new nr.layers.Dense({ units: 4, kernel_constraint: 'max_norm' } as never),
    error: nr.ConfigError,
    message: /option 'kernel_constraint' \(Keras's\) is not supported by neurona: weight constraints/,
  },
  {
    what: 'Dense inputDim and inputShape together',
    run: () => new nr.layers.Dense({ units: 4, inputDim: 3, inputShape: [3] }),
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": give inputShape or inputDim, not both/,
  },
  {
    what: 'Conv2D pool_size is not its option',
    run: () => new nr.layers.Conv2D(8, 3, { pool_size: 2 } as never),
    error: nr.ConfigError,
    message: /Conv2D "conv2d(_\d+)?": unknown option 'pool_size'/,
  },
  {
    what: 'Conv2D options not an object',
    run: () => new (nr.layers.Conv2D as unknown as new (...a: unknown[]) => unknown)(8, 3, 'same'),
    error: nr.ConfigError,
    message: /Conv2D "conv2d(_\d+)?": takes at most 2 positional arguments \(filters, kernelSize\)/,
  },
  {
    what: 'MaxPooling2D kernel_size is not its option',
    run: () => new nr.layers.MaxPooling2D({ kernel_size: 2 } as never),
    error: nr.ConfigError,
    message: /MaxPooling2D "max_pooling2d(_\d+)?": unknown option 'kernel_size'/,
  },
  {
    what: 'Conv1D given images',
    run: () => new nr.layers.Conv1D(4, 3, { name: 'c1' }).apply(ones([1, 8, 8, 3])),
    error: nr.ShapeError,
    message: /Conv1D "c1".*expected input of rank 3 \[batch, steps, channels\].*use the 2-D layer, or TimeDistributed/,
  },
  {
    what: 'Conv1D filters not divisible by groups',
    run: () => new nr.layers.Conv1D(6, 3, { groups: 4, name: 'c1' }),
    error: nr.ConfigError,
    message: /Conv1D "c1": filters \(6\) must be divisible by groups \(4\)/,
  },
  {
    what: "MaxPooling1D with Conv1D's 'causal' padding",
    run: () => new nr.layers.MaxPooling1D({ padding: 'causal' as never, name: 'p1' }),
    error: nr.ConfigError,
    message: /MaxPooling1D "p1": padding must be 'valid', 'same', got "causal"/,
  },
  {
    what: 'TimeDistributed given a layer name',
    run: () => new nr.layers.TimeDistributed('dense' as never, { name: 'td' }),
    error: nr.ConfigError,
    message: /TimeDistributed "td": layer must be a layer instance, got "dense"/,
  },
  {
    what: 'Masking a vector',
    run: () => new nr.layers.Masking({ name: 'm' }).apply(ones([4])),
    error: nr.ShapeError,
    message: /Masking "m".*expected input of rank 2 or more/,
  },
  {
    what: 'RandomFlip unknown mode',
    run: () => new nr.layers.RandomFlip('sideways' as never),
    error: nr.ConfigError,
    message:
      /RandomFlip "random_flip(_\d+)?": mode \(argument 1\) must be 'horizontal', 'vertical' or 'horizontal_and_vertical', got "sideways"/,
  },
  {
    what: 'Dropout rate a string',
    run: () => new nr.layers.Dropout('half' as never),
    error: nr.ConfigError,
    message: /Dropout "dropout(_\d+)?": rate must be a number in \[0, 1\), got "half"/,
  },
  {
    what: 'BatchNormalization momentum a string',
    run: () => new nr.layers.BatchNormalization({ momentum: 'high' } as never),
    error: nr.ConfigError,
    message: /BatchNormalization "batch_normalization(_\d+)?": momentum must be a finite number, got "high"/,
  },
  {
    what: 'layerNorm gamma of the wrong shape',
    run: () => nr.layerNorm(ones([2, 3, 4]), ones([3]), null),
    error: nr.ShapeError,
    message: /layerNorm: gamma must have shape \[4\], got \[3\]/,
  },
  {
    what: 'LayerNormalization over the batch axis',
    run: () => new nr.layers.LayerNormalization({ axis: 0, name: 'ln' }).apply(ones([2, 3])),
    error: nr.ShapeError,
    message: /LayerNormalization "ln".*axis 0 is out of range/,
  },
  {
    what: 'Embedding index outside the vocabulary',
    run: () => new nr.layers.Embedding({ inputDim: 5, outputDim: 2, name: 'emb' }).apply(nr.tensor([[1, 5]], undefined, 'int32')),
    error: nr.ShapeError,
    message: /Embedding "emb".*index 5 \(at flat position 1\).*valid indices: 0\.\.4/,
  },
  {
    what: 'Embedding given fractional indices',
    run: () => new nr.layers.Embedding({ inputDim: 5, outputDim: 2, name: 'emb' }).apply(nr.tensor([[0.5]])),
    error: nr.DTypeError,
    message: /Embedding "emb".*indices must be integers, got 0\.5/,
  },
  {
    what: 'TokenAndPositionEmbedding given a sequence longer than sequenceLength',
    run: () =>
      new nr.layers.TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 2, embeddingDim: 2, name: 'tpe' }).apply(
        nr.tensor([[1, 2, 3]], undefined, 'int32'),
      ),
    error: nr.ShapeError,
    message: /TokenAndPositionEmbedding "tpe".*at most sequenceLength 2 positions, got 3/,
  },
  {
    what: 'layer name empty',
    run: () => new nr.layers.Dense({ units: 2, name: '' }),
    error: nr.ConfigError,
    message: /^Dense: name must be a non-empty string, got ""/,
  },
  {
    what: 'layer trainable set to a string',
    run: () => {
      new nr.layers.Dense(2).trainable = 'no' as never;
    },
    error: nr.ConfigError,
    message: /Dense "dense(_\d+)?": trainable must be true or false, got "no"/,
  },
  { what: 'Input shape missing', run: () => nr.Input({} as never), error: nr.ConfigError, message: /Input: shape is required/ },
  {
    what: 'Input unknown option',
    run: () => nr.Input([4], { batch_shap: [1, 4] } as never),
    error: nr.ConfigError,
    message: /Input: unknown option 'batch_shap'; did you mean 'batch_shape'\?/,
  },
  {
    what: 'Input shape and batchShape together',
    run: () => nr.Input([4], { batch_shape: [1, 4] } as never),
    error: nr.ConfigError,
    message: /Input: give shape or batchShape, not both/,
  },
  {
    what: 'Sequential unknown option',
    run: () => new nr.Sequential([], { nmae: 'x' } as never),
    error: nr.ConfigError,
    message: /Sequential: unknown option 'nmae'; did you mean 'name'\?/,
  },
  {
    what: 'compile unknown option',
    run: () => classifier().compile({ optimizer: 'adam', loss: 'mse', metric: ['accuracy'] } as never),
    error: nr.ConfigError,
    message: /compile: unknown option 'metric'; did you mean 'metrics'\?/,
  },
  {
    what: 'fit unknown option',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { batch_sizes: 2 } as never),
    error: nr.ConfigError,
    message: /fit: unknown option 'batch_sizes'; did you mean 'batch_size'\?/,
  },
  {
    what: 'fit shuffle not a boolean',
    run: () => fitQuiet(classifier(), ones([4, 4]), labels, { shuffle: 'yes' } as never),
    error: nr.ConfigError,
    message: /fit: shuffle must be a boolean/,
  },
  {
    what: 'evaluate unknown option',
    run: () => classifier().evaluate(ones([4, 4]), labels, { epochs: 2 } as never),
    error: nr.ConfigError,
    message: /evaluate: unknown option 'epochs'/,
  },
  {
    what: 'predict verbose 1',
    run: () => classifier().predict(ones([4, 4]), { verbose: 1 } as never),
    error: nr.ConfigError,
    message: /predict: verbose: predict prints no progress bar in neurona/,
  },
  {
    what: 'Adam Keras 2 lr',
    run: () => new nr.optimizers.Adam({ lr: 0.1 } as never),
    error: nr.ConfigError,
    message: /Adam: option 'lr' \(Keras's\) is not supported by neurona: it is Keras 2's name of the learning rate; write learningRate/,
  },
  {
    what: 'SGD unknown option',
    run: () => new nr.optimizers.SGD({ momentun: 0.9 } as never),
    error: nr.ConfigError,
    message: /SGD: unknown option 'momentun'; did you mean 'momentum'\?/,
  },
  {
    what: 'EarlyStopping unknown option',
    run: () => new nr.callbacks.EarlyStopping({ patiense: 3 } as never),
    error: nr.ConfigError,
    message: /EarlyStopping: unknown option 'patiense'; did you mean 'patience'\?/,
  },
  {
    what: 'BinaryCrossentropy fromLogits a string',
    run: () => new nr.losses.BinaryCrossentropy({ fromLogits: 'true' } as never),
    error: nr.ConfigError,
    message: /BinaryCrossentropy: fromLogits must be a boolean/,
  },
  {
    what: 'Perceptron unknown option',
    run: () => new nr.Perceptron({ max_iters: 10 } as never),
    error: nr.ConfigError,
    message: /Perceptron: unknown option 'max_iters'; did you mean 'max_iter'\?/,
  },
  {
    what: 'Perceptron nJobs 0',
    run: () => new nr.Perceptron({ nJobs: 0 }),
    error: nr.ConfigError,
    message: /Perceptron: nJobs must be null, -1 \(all cores\) or an integer >= 1, got 0/,
  },
  {
    what: 'trainTestSplit testSize too large',
    run: () => nr.trainTestSplit(ones([4, 2]), { testSize: 4 }),
    error: nr.ConfigError,
    message: /trainTestSplit: testSize=4 should be a fraction in \(0, 1\) or a count in \[1, 3\]/,
  },
  // Attention: operands, masks and the layers' inputs.
  {
    what: 'scaledDotProductAttention with keys of another depth',
    run: () => nr.scaledDotProductAttention(ones([2, 3, 4]), ones([2, 5, 3]), ones([2, 5, 4])),
    error: nr.ShapeError,
    message: /^scaledDotProductAttention: query \[\.\.\., Tq, d\].*got query \[2, 3, 4\], key \[2, 5, 3\], value \[2, 5, 4\]/,
  },
  {
    what: 'scaledDotProductAttention mask that does not broadcast',
    run: () => nr.scaledDotProductAttention(ones([2, 3, 4]), ones([2, 3, 4]), ones([2, 3, 4]), { mask: ones([3, 2]) }),
    error: nr.ShapeError,
    message: /^scaledDotProductAttention: a mask that broadcasts to the scores' shape \[2, 3, 3\].*got \[3, 2\]/,
  },
  {
    what: 'MultiHeadAttention attentionAxes other than the time axis',
    run: () => new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4, attentionAxes: [1, 2], name: 'mha' }),
    error: nr.ConfigError,
    message: /^MultiHeadAttention "mha": attentionAxes must be null \(or 1 \/ -2, the same\)/,
  },
  {
    what: 'MultiHeadAttention applied to one tensor',
    run: () => new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4, name: 'mha' }).apply(ones([1, 3, 4])),
    error: nr.ConfigError,
    message: /MultiHeadAttention "mha".*takes a list \[query, value\] or \[query, value, key\], got one input/,
  },
  {
    what: 'Attention mask that is not a list',
    run: () => new nr.layers.Attention({ name: 'att' }).apply([ones([1, 2, 3]), ones([1, 4, 3])], { mask: ones([1, 2]) }),
    error: nr.ConfigError,
    message: /Attention "att".*mask must be a list \[queryMask, valueMask\]/,
  },
  // Siamese networks and metric learning.
  {
    what: 'contrastive loss given class labels instead of same/different',
    run: () => new nr.losses.ContrastiveLoss().call(nr.tensor([[3], [1]]), ones([2, 1])),
    error: nr.ConfigError,
    message: /contrastive: yTrue must be 1 for a similar pair and 0 for a dissimilar one, got 3 at flat index 0/,
  },
  {
    what: 'batch-hard triplet loss with one label per embedding missing',
    run: () => new nr.losses.BatchHardTripletLoss().call(nr.tensor([0, 1]), ones([3, 4])),
    error: nr.ShapeError,
    message: /BatchHardTripletLoss.*got yTrue \[2\] and yPred \[3, 4\]/,
  },
  {
    what: 'L2Distance of embeddings of two shapes',
    run: () => new nr.layers.L2Distance({ name: 'dist' }).apply([ones([2, 8]), ones([2, 4])]),
    error: nr.ShapeError,
    message: /L2Distance "dist" \(input shapes \[2, 8\], \[2, 4\]\): both embeddings must have one shape/,
  },
  {
    what: 'makePairs on a set of one class',
    run: () => nr.data.makePairs(ones([4, 2]), [7, 7, 7, 7]),
    error: nr.ConfigError,
    message: /makePairs: labels must hold at least 2 classes, got 1/,
  },
  {
    what: 'rocAuc of labels of one class',
    run: () => nr.metrics.rocAuc([1, 1, 1], [0.2, 0.5, 0.9]),
    error: nr.ConfigError,
    message: /rocAuc: yTrue must hold both classes .*3 positive and 0 negative/,
  },
  // Generative layers and ops (docs/generative.md).
  {
    what: 'groupNorm with groups not dividing the channels',
    run: () => nr.groupNorm(ones([2, 4, 6]), 4, null, null),
    error: nr.ConfigError,
    message: /^groupNorm: groups must be a positive integer dividing the 6 channels of axis 2, got 4/,
  },
  {
    what: 'GroupNormalization (default 32 groups) on 16 channels',
    run: () => new nr.layers.GroupNormalization({ name: 'gn' }).apply(ones([1, 2, 2, 16])),
    error: nr.ShapeError,
    message: /"gn".*the 16 channels of axis 3 must be a known multiple of groups = 32/,
  },
  {
    what: 'MaskedConv2D without maskType',
    run: () => new nr.layers.MaskedConv2D({ filters: 2, kernelSize: 3 } as nr.layers.MaskedConv2DOptions),
    error: nr.ConfigError,
    message: /MaskedConv2D ".*": maskType must be 'A' or 'B', got undefined/,
  },
  {
    what: 'saving a Lambda with an anonymous function',
    run: () => new nr.layers.Lambda((x: nr.Tensor) => x).getConfig(),
    error: nr.ConfigError,
    message: /Lambda ".*": cannot save an anonymous function.*registerLambda/,
  },
  {
    what: 'klDivergence of an unsupported pair',
    run: () => nr.distributions.klDivergence(new nr.distributions.Bernoulli({ probs: 0.5 }), new nr.distributions.Normal(0, 1)),
    error: nr.ConfigError,
    message: /^distributions\.klDivergence: .*got Bernoulli and Normal/,
  },
  {
    what: 'Normal with a negative scale',
    run: () => new nr.distributions.Normal(0, -1),
    error: nr.ConfigError,
    message: /^distributions\.Normal: scale must be positive, got -1/,
  },
  {
    what: 'random.uniform with maxval <= minval',
    run: () => nr.random.uniform([2], { minval: 2, maxval: 1 }),
    error: nr.ConfigError,
    message: /^random\.uniform: maxval must be greater than minval 2, got 1/,
  },
  // Graphs: the edge, the value and the shapes are named.
  {
    what: 'Graph.fromEdges with an edge outside the node range',
    run: () =>
      nr.graph.Graph.fromEdges(
        [
          [0, 1],
          [3, 4],
        ],
        { numNodes: 4 },
      ),
    error: nr.ShapeError,
    message: /^Graph\.fromEdges: node indices must be integers in \[0, 4\), got edge 1 \[3, 4\] has target 4; raise numNodes to at least 5/,
  },
  {
    what: 'Graph.fromEdges with a fractional index',
    run: () => nr.graph.Graph.fromEdges([Float64Array.of(0, 2.5), Float64Array.of(1, 0)], { numNodes: 4 }),
    error: nr.ShapeError,
    message: /^Graph\.fromEdges: .*got edge 1 \[2\.5, 0\] has source 2\.5/,
  },
  {
    what: 'Graph features with the wrong node count',
    run: () => nr.graph.Graph.fromEdges([[0, 1]], { numNodes: 3, x: ones([4, 2]) }),
    error: nr.ShapeError,
    message: /^Graph\.x: \[numNodes, features\] with numNodes = 3, got \[4, 2\]/,
  },
  {
    what: 'GCNConv on a graph without self-loops',
    run: () => new nr.layers.GCNConv({ units: 2, name: 'gcn' }).apply([ones([3, 2]), nr.graph.Graph.fromEdges([[0, 1]], { numNodes: 3 })]),
    error: nr.ConfigError,
    message:
      /^GCNConv "gcn" \(input shape \[3, 2\]\): a graph with a self-loop on every node.*got 3 node\(s\) without one: 0, 1, 2; call graph\.addSelfLoops\(\)/,
  },
  {
    what: 'GATConv features for another graph',
    run: () =>
      new nr.layers.GATConv({ units: 2, name: 'gat' }).apply([ones([5, 2]), nr.graph.Graph.fromEdges([[0, 1]], { selfLoops: true })]),
    error: nr.ShapeError,
    message: /^GATConv "gat": node features \[numNodes, features\] with numNodes = 2 \(the graph's\), got \[5, 2\]/,
  },
  {
    what: 'sparseMatmul with a column outside the matrix',
    run: () =>
      nr.sparseMatmul({ shape: [2, 2], rowPtr: Int32Array.of(0, 1, 2), colIdx: Int32Array.of(0, 2), values: nr.ones([2]) }, ones([2, 3])),
    error: nr.ShapeError,
    message: /^sparseMatmul: column indices in \[0, 2\), got colIdx\[1\] = 2/,
  },
  {
    what: 'sparseMatmul with a dense operand of the wrong height',
    run: () => nr.sparseMatmul(nr.graph.Graph.fromEdges([[0, 1]]).adjacency(), ones([3, 3])),
    error: nr.ShapeError,
    message: /^sparseMatmul: a dense operand \[2, k\] for a sparse matrix \[2, 2\], got \[3, 3\]/,
  },
  {
    what: 'a citation file naming an unknown paper',
    run: () => nr.graph.parseCitationGraph('a 1 x\nb 0 y\n', 'a c\n'),
    error: nr.FormatError,
    message: /^parseCitationGraph: cites line 1: papers listed in the content file, got unknown paper "c"/,
  },
];

/** CLI rows: arguments, exit status, and the one stderr line's pattern (it starts with "neurona: "). */
let modelDir = '';
let work = '';
const cliRows: [string, () => string[], number, RegExp][] = [
  [
    'inspect with an extra argument',
    () => ['inspect', modelDir, 'summary'],
    2,
    /inspect needs one model directory or \.safetensors file, got an extra argument 'summary'/,
  ],
  [
    'summary with an extra argument',
    () => ['summary', modelDir, 'more'],
    2,
    /summary needs one model directory, got an extra argument 'more'/,
  ],
  [
    'predict --max-pixels 0',
    () => ['predict', modelDir, 'a.png', '--max-pixels', '0'],
    2,
    /option --max-pixels needs a positive integer, got '0'/,
  ],
  [
    'predict a PNG above the pixel limit',
    () => ['predict', modelDir, join(work, 'huge.png')],
    1,
    /huge\.png: the image is 100000 x 100000 = 10,000,000,000 pixels, more than the limit of 67,108,864/,
  ],
  [
    'predict a PNG above --max-pixels',
    () => ['predict', modelDir, join(work, 'ok.png'), '--max-pixels', '15'],
    1,
    /ok\.png: the image is 4 x 4 = 16 pixels, more than the limit of 15/,
  ],
  ['predict a 16-bit PNG that is truncated', () => ['predict', modelDir, join(work, 'cut.png')], 1, /cut\.png: truncated/],
  ['inspect a missing path', () => ['inspect', join(work, 'nothing-here')], 1, /inspect: .*nothing-here does not exist/],
  ['an unknown command', () => ['frobnicate'], 2, /unknown command 'frobnicate'/],
];

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'neurona-bad-input-'));
  modelDir = join(work, 'model');
  nr.setSeed(3);
  const model = new nr.Sequential([
    new nr.layers.Flatten({ inputShape: [4, 4] }),
    new nr.layers.Dense({ units: 3, activation: 'softmax' }),
  ]);
  await model.save(modelDir);
  writeFileSync(join(work, 'huge.png'), declaredPng(100000, 100000));
  writeFileSync(join(work, 'ok.png'), encodePng({ width: 4, height: 4, channels: 1, pixels: new Uint8Array(16).fill(200) }));
  writeFileSync(join(work, 'cut.png'), readFileSync('test/fixtures/png/gray-16.png').subarray(0, 60));
  mkdirSync(join(work, 'empty'));
});
after(() => rmSync(work, { recursive: true, force: true }));

for (const row of rows) {
  test(`bad input: ${row.what}`, async () => {
    let caught: unknown;
    try {
      await row.run();
    } catch (error) {
      caught = error;
    }
    assert.ok(caught !== undefined, `${row.what}: nothing was thrown`);
    assert.ok(
      !(caught instanceof TypeError) && !(caught instanceof RangeError),
      `${row.what}: a ${(caught as Error).name} escaped: ${(caught as Error).message}`,
    );
    assert.ok(
      caught instanceof row.error,
      `${row.what}: expected ${row.error.name}, got ${(caught as Error).name}: ${(caught as Error).message}`,
    );
    const message = (caught as Error).message;
    assert.match(message, row.message);
    assert.ok(message.length <= nr.MAX_ERROR_MESSAGE_LENGTH, `${row.what}: a ${message.length}-character message`);
  });
}

for (const [what, args, code, pattern] of cliRows) {
  test(`bad input (CLI): ${what}`, async () => {
    let err = '';
    const status = await main(
      args(),
      () => {},
      (s) => {
        err += s;
      },
    );
    assert.equal(status, code, err);
    assert.equal(err.trimEnd().split('\n').length, 1, `one line, got: ${err}`);
    assert.match(err, /^neurona: /);
    assert.match(err, pattern);
    assert.doesNotMatch(err, /TypeError|RangeError/);
  });
}

test('predict: one unreadable file among several is reported, the others are still predicted, exit status 1', async () => {
  let out = '';
  let err = '';
  const files = [join(work, 'ok.png'), join(work, 'cut.png'), join(work, 'missing.png'), join(work, 'ok.png')];
  const status = await main(
    ['predict', modelDir, ...files],
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  assert.equal(status, 1);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, 2, out);
  for (const line of lines) assert.match(line, new RegExp(`^${join(work, 'ok.png')}: \\d \\(`));
  const errors = err.trimEnd().split('\n');
  assert.equal(errors.length, 2, err);
  assert.match(errors[0]!, /^neurona: .*cut\.png: truncated/);
  assert.match(errors[1]!, /^neurona: cannot read image .*missing\.png \(no such file\)/);
});

test('the catalogue covers the areas it claims and lets no TypeError or RangeError through', () => {
  assert.ok(rows.length + cliRows.length >= 80, `${rows.length + cliRows.length} rows`);
  for (const row of rows) assert.ok(row.error.prototype instanceof nr.NeuronaError, row.what);
});
