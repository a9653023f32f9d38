/*
 * W7, W8a, W8b: 224x224 ImageNet-size CNNs, as ../shared/bench/peers/torch/bench_torch_w7_w10.py
 * defines them:
 *   W7   ResNet50 inference (eval mode), batch 32, x ~ U[0, 1); 2 warm-up batches, 5 timed; images/s.
 *   W8a  MobileNetV2 (width 1.0, 1000 classes) training steps at batch 16 (BN batch statistics), SGD
 *        lr 0.01 momentum 0.9, softmax cross-entropy on random labels; 2 warm-up steps, 5 timed.
 *   W8b  ResNet50, the same training step.
 * Each run builds a fresh model; peak RSS is the process's maxRSS after the run (it only grows, so a
 * later run reports the largest so far, as the torch script's ru_maxrss does).
 * The networks are the Keras application graphs, built here until nr.applications lands (same layers,
 * shapes and weight counts: ResNet50 25,636,712 parameters, MobileNetV2 3,538,984).
 */
import * as nr from '../src/index.js';
import type { SymbolicTensor as Sym } from '../src/nn/layer.js';
import { median, threadsOf, type Row } from './util.js';

export const APPLICATION_WORKLOADS = ['W7', 'W8a', 'W8b'] as const;
export type ApplicationWorkload = (typeof APPLICATION_WORKLOADS)[number];

const L = nr.layers;
const BN_EPS = 1.001e-5;

/** Keras ResNet50 (v1: the stride sits on the first 1x1 convolution of a block, convolutions carry biases). */
export function resNet50(classes = 1000): nr.Model {
  const input = nr.Input({ shape: [224, 224, 3] });
  const bn = (x: Sym) => new L.BatchNormalization({ epsilon: BN_EPS }).apply(x) as Sym;
  const relu = (x: Sym) => new L.Activation('relu').apply(x) as Sym;
  const conv = (x: Sym, filters: number, size: number, strides = 1) =>
    new L.Conv2D({ filters, kernelSize: size, strides, padding: size === 1 ? 'valid' : 'same' }).apply(x) as Sym;
  const block = (x: Sym, filters: number, strides: number, shortcut: boolean) => {
    let s = x;
    if (shortcut) s = bn(conv(x, 4 * filters, 1, strides));
    let h = relu(bn(conv(x, filters, 1, strides)));
    h = relu(bn(conv(h, filters, 3)));
    h = bn(conv(h, 4 * filters, 1));
    return relu(new L.Add().apply([s, h]) as Sym);
  };
  let x = new L.ZeroPadding2D({ padding: 3 }).apply(input) as Sym;
  x = relu(bn(new L.Conv2D({ filters: 64, kernelSize: 7, strides: 2 }).apply(x) as Sym));
  x = new L.ZeroPadding2D({ padding: 1 }).apply(x) as Sym;
  x = new L.MaxPooling2D({ poolSize: 3, strides: 2 }).apply(x) as Sym;
  for (const [filters, blocks, strides] of [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ] as const) {
    for (let b = 0; b < blocks; b++) x = block(x, filters, b === 0 ? strides : 1, b === 0);
  }
  x = new L.GlobalAveragePooling2D().apply(x) as Sym;
  const output = new L.Dense({ units: classes, activation: 'softmax' }).apply(x) as Sym;
  return new nr.Model({ inputs: input, outputs: output, name: 'resnet50' });
}

/** Keras MobileNetV2, alpha 1.0: inverted residual blocks with ReLU6, BN momentum 0.999. */
export function mobileNetV2(classes = 1000): nr.Model {
  const input = nr.Input({ shape: [224, 224, 3] });
  const bn = (x: Sym) => new L.BatchNormalization({ epsilon: 1e-3, momentum: 0.999 }).apply(x) as Sym;
  const relu6 = (x: Sym) => new L.ReLU({ maxValue: 6 }).apply(x) as Sym;
  const conv1 = (x: Sym, filters: number) => new L.Conv2D({ filters, kernelSize: 1, useBias: false }).apply(x) as Sym;
  // Keras pads a stride-2 layer by (0, 1) on each side ('correct_pad' for even inputs), then 'valid'.
  const downPad = (x: Sym) =>
    new L.ZeroPadding2D({
      padding: [
        [0, 1],
        [0, 1],
      ],
    }).apply(x) as Sym;
  let x = relu6(bn(new L.Conv2D({ filters: 32, kernelSize: 3, strides: 2, useBias: false }).apply(downPad(input)) as Sym));
  let channels = 32;
  const invertedResidual = (x: Sym, filters: number, strides: number, expansion: number) => {
    let h = x;
    if (expansion !== 1) h = relu6(bn(conv1(h, channels * expansion)));
    if (strides === 2) h = downPad(h);
    h = new L.DepthwiseConv2D({ kernelSize: 3, strides, useBias: false, padding: strides === 1 ? 'same' : 'valid' }).apply(h) as Sym;
    h = bn(conv1(relu6(bn(h)), filters));
    const out = channels === filters && strides === 1 ? (new L.Add().apply([x, h]) as Sym) : h;
    channels = filters;
    return out;
  };
  for (const [expansion, filters, repeats, strides] of [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ] as const) {
    for (let r = 0; r < repeats; r++) x = invertedResidual(x, filters, r === 0 ? strides : 1, expansion);
  }
  x = relu6(bn(conv1(x, 1280)));
  x = new L.GlobalAveragePooling2D().apply(x) as Sym;
  const output = new L.Dense({ units: classes, activation: 'softmax' }).apply(x) as Sym;
  return new nr.Model({ inputs: input, outputs: output, name: 'mobilenetv2_1.00_224' });
}

const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** One row per run of W7, W8a or W8b on `backend`. */
export function applications(which: ApplicationWorkload, backend: string, runs: number): Row[] {
  nr.setBackend(backend);
  const rows: Row[] = [];
  const batch = which === 'W7' ? 32 : 16;
  nr.setSeed(0);
  const x = nr.randu([batch, 224, 224, 3]);
  const y = nr.randu([batch], { low: 0, high: 1000 }).floor().cast('int32');
  for (let run = 0; run < runs; run++) {
    nr.setSeed(run);
    const model = which === 'W8a' ? mobileNetV2() : resNet50();
    let step: () => void;
    if (which === 'W7') {
      step = () => {
        model.predict(x, { batchSize: batch }).data();
      };
    } else {
      model.compile({
        optimizer: new nr.optimizers.SGD({ learningRate: 0.01, momentum: 0.9 }),
        loss: 'sparse_categorical_crossentropy',
      });
      step = () => {
        model.trainOnBatch(x, y);
      };
    }
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      step();
      if (i >= 2) times.push((performance.now() - t0) / 1000);
    }
    const total = times.reduce((a, b) => a + b, 0);
    rows.push({
      workload: which,
      library: 'neurona',
      backend,
      threads: threadsOf(backend),
      run,
      batch,
      images_per_s: +((batch * times.length) / total).toFixed(2),
      median_step_s: +median(times).toFixed(3),
      peak_rss_mib: peakRssMiB(),
    });
  }
  return rows;
}
