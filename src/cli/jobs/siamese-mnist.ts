/*
 * A Siamese network on MNIST: one CNN encoder applied to both images of a pair (a functional model
 * with two inputs sharing the encoder), the Euclidean distance of the two embeddings, and the
 * contrastive loss. It trains on digits 0-4 only. Prints the verification accuracy on unseen test
 * pairs of 0-4 at the distance threshold chosen on validation pairs, the ROC AUC, the same on pairs
 * of the never-seen digits 5-9, and one-shot accuracy on 5-9: one training image of each digit is
 * the support set, and each test image of 5-9 takes the digit of its nearest support embedding.
 * Writes embedding.png, the test embeddings projected to 2-D (PCA), coloured by digit.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { Random } from '../../core/index.js';
import { saveSvg } from '../../vis/raster.js';
import { program } from './example.js';
import { epochLines } from './sequence-output.js';

/** The images of the given digits, scaled to [0, 1] as [n, 28, 28, 1], and their labels. */
function digits(x: nr.Tensor, y: nr.Tensor, keep: (d: number) => boolean, limit = Number.POSITIVE_INFINITY) {
  const labels = y.data();
  const idx: number[] = [];
  for (let i = 0; i < labels.length && idx.length < limit; i++) if (keep(Number(labels[i]))) idx.push(i);
  const index = nr.tensor(Int32Array.from(idx), [idx.length], 'int32');
  return { x: nr.gather(x, index).cast('float32').div(255).reshape([-1, 28, 28, 1]), y: nr.gather(y, index).cast('int32') };
}

function encoder(filters: number, embedding: number): nr.Model {
  return new nr.Sequential([
    nr.Input({ shape: [28, 28, 1] }),
    new nr.layers.Conv2D({ filters, kernelSize: 3, activation: 'relu' }),
    new nr.layers.MaxPooling2D(2),
    new nr.layers.Conv2D({ filters: 2 * filters, kernelSize: 3, activation: 'relu' }),
    new nr.layers.MaxPooling2D(2),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 64, activation: 'relu' }),
    new nr.layers.Dense({ units: embedding }),
  ]);
}

/** Distances of each pair (a [n, d], b [n, d]) as plain numbers. */
const pairDistances = (a: nr.Tensor, b: nr.Tensor) => Array.from(new nr.layers.L2Distance().apply([a, b]).data(), Number);

/** The first two principal axes of rows [n, d] (power iteration with deflation) and the projection [n, 2]. */
function project2d(e: nr.Tensor): number[][] {
  const centred = e.sub(e.mean(0, true));
  const d = e.shape[1]!;
  const cov = Array.from(centred.matmul(centred, { transposeA: true }).data(), Number);
  const axes: number[][] = [];
  for (let k = 0; k < Math.min(2, d); k++) {
    let v = Array.from({ length: d }, (_, i) => 1 + i / d);
    for (let it = 0; it < 200; it++) {
      const w = v.map((_, i) => v.reduce((s, vj, j) => s + cov[i * d + j]! * vj, 0));
      for (const u of axes) {
        const dot = w.reduce((s, wi, i) => s + wi * u[i]!, 0);
        for (let i = 0; i < d; i++) w[i]! -= dot * u[i]!;
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((wi) => wi / norm);
    }
    axes.push(v);
  }
  const rows = Array.from(centred.data(), Number);
  return Array.from({ length: e.shape[0]! }, (_, r) => axes.map((u) => u.reduce((s, ui, i) => s + ui * rows[r * d + i]!, 0)));
}

export const siameseMnist = program({
  description: 'a Siamese CNN on MNIST pairs (contrastive loss): verification accuracy and ROC AUC, one-shot digits 5-9, embedding PNG',
  flags: {
    pairs: { kind: 'positive', default: 30000, help: 'training pairs (half same-digit) drawn from digits 0-4' },
    valPairs: { kind: 'positive', default: 2000, help: 'validation pairs, to choose the distance threshold' },
    testPairs: { kind: 'positive', default: 10000, help: 'test pairs of unseen test images (each of 0-4 and 5-9)' },
    limit: { kind: 'count', default: 0, help: 'use only the first N training and N/6 test images (0: all)' },
    epochs: { kind: 'positive', default: 4, help: 'epochs' },
    batchSize: { kind: 'positive', default: 128, help: 'pairs per batch' },
    filters: { kind: 'positive', default: 16, help: 'filters of the first convolution (the second has twice as many)' },
    embedding: { kind: 'positive', default: 16, help: 'dimension of the embedding' },
    trials: { kind: 'positive', default: 20, help: 'one-shot support sets drawn (the accuracy is their mean)' },
    out: { kind: 'text', default: 'out/siamese-mnist', help: 'directory for embedding.png' },
  },
  async run({ pairs, valPairs, testPairs, limit, epochs, batchSize, filters, embedding, trials, out }, print) {
    nr.setSeed(20);
    const { train, test } = await nr.datasets.mnist.loadData();
    const trainLimit = limit || Number.POSITIVE_INFINITY;
    const testLimit = limit ? Math.max(50, Math.floor(limit / 6)) : Number.POSITIVE_INFINITY;
    const seen = (d: number) => d < 5;
    const unseen = (d: number) => d >= 5;
    const known = digits(train[0], train[1], seen, trainLimit);
    // The last sixth of the training images of 0-4 is kept apart for the validation pairs.
    const cut = Math.floor((known.x.shape[0]! * 5) / 6);
    const fitPart = { x: known.x.slice(0, cut), y: known.y.slice(0, cut) };
    const valPart = { x: known.x.slice(cut), y: known.y.slice(cut) };
    const testSeen = digits(test[0], test[1], seen, testLimit);
    const testUnseen = digits(test[0], test[1], unseen, testLimit);
    print(`digits 0-4: ${fitPart.x.shape[0]} training and ${valPart.x.shape[0]} validation images, ${testSeen.x.shape[0]} test images`);
    print(`digits 5-9 (never trained on): ${testUnseen.x.shape[0]} test images`);

    const enc = encoder(filters, embedding);
    const left = nr.Input({ shape: [28, 28, 1], name: 'left' });
    const right = nr.Input({ shape: [28, 28, 1], name: 'right' });
    const distance = new nr.layers.L2Distance().apply([enc.apply(left), enc.apply(right)]);
    const siamese = new nr.Model({ inputs: [left, right], outputs: distance, name: 'siamese' });
    siamese.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }), loss: new nr.losses.ContrastiveLoss({ margin: 1 }) });
    const trainPairs = nr.data.makePairs(fitPart.x, fitPart.y, { numPairs: pairs, seed: 1 });
    const start = performance.now();
    await siamese.fit([trainPairs.a, trainPairs.b], trainPairs.same, {
      epochs,
      batchSize,
      verbose: 0,
      callbacks: [epochLines(epochs, print)],
    });
    print(`trained on ${pairs} pairs for ${epochs} epochs in ${((performance.now() - start) / 1000).toFixed(1)} s`);

    // Scores are negated distances: the metrics call a higher score "same".
    const scores = (set: { x: nr.Tensor; y: nr.Tensor }, n: number, seed: number) => {
      const p = nr.data.makePairs(set.x, set.y, { numPairs: n, seed });
      const d = pairDistances(enc.predict(p.a, { batchSize: 256 }) as nr.Tensor, enc.predict(p.b, { batchSize: 256 }) as nr.Tensor);
      return { same: Array.from(p.same.data(), Number), score: d.map((v) => -v) };
    };
    const val = scores(valPart, valPairs, 2);
    const { threshold } = nr.metrics.bestThresholdAccuracy(val.same, val.score);
    print(`distance threshold chosen on ${valPairs} validation pairs: ${(-threshold).toFixed(4)}`);
    for (const [name, set, seed] of [
      ['0-4 (trained digits, unseen images)', testSeen, 3],
      ['5-9 (unseen digits)', testUnseen, 4],
    ] as const) {
      const t = scores(set, testPairs, seed);
      const correct = t.same.filter((s, i) => (t.score[i]! >= threshold ? 1 : 0) === s).length;
      const auc = nr.metrics.rocAuc(t.same, t.score);
      print(`test pairs of ${name}: verification accuracy ${(correct / testPairs).toFixed(4)}, ROC AUC ${auc.toFixed(4)}`);
    }

    // One-shot: a support set of one training image per digit 5-9, drawn `trials` times.
    const queries = enc.predict(testUnseen.x, { batchSize: 256 }) as nr.Tensor;
    const queryLabels = Array.from(testUnseen.y.data(), Number);
    const pool = digits(train[0], train[1], unseen, trainLimit);
    const poolLabels = Array.from(pool.y.data(), Number);
    const byDigit = [5, 6, 7, 8, 9].map((digit) => poolLabels.flatMap((l, i) => (l === digit ? [i] : [])));
    const random = new Random(5);
    let total = 0;
    for (let t = 0; t < trials; t++) {
      const chosen = byDigit.map((members) => members[random.nextInt(members.length)]!);
      const support = enc.predict(nr.gather(pool.x, nr.tensor(Int32Array.from(chosen), [5], 'int32'))) as nr.Tensor;
      // Squared distances of every query to every support embedding: |q|^2 - 2 q.s + |s|^2.
      const d2 = queries
        .square()
        .sum(-1, true)
        .sub(queries.matmul(support, { transposeB: true }).mul(2))
        .add(support.square().sum(-1).reshape([1, 5]));
      const nearest = d2.argmin(-1).data();
      total += queryLabels.filter((l, i) => l === 5 + Number(nearest[i])).length / queryLabels.length;
    }
    const setup = `1 support image each, ${queryLabels.length} queries, mean of ${trials} support sets`;
    print(`one-shot accuracy on digits 5-9 (${setup}): ${(total / trials).toFixed(4)}`);

    // The embedding of up to 2000 test images of all ten digits, projected to its two principal axes.
    const shown = digits(test[0], test[1], () => true, Math.min(2000, testLimit * 2));
    const points = project2d(enc.predict(shown.x, { batchSize: 256 }) as nr.Tensor);
    const shownLabels = shown.y.data();
    const values = points.map(([x, y], i) => ({
      x,
      y,
      digit: String(shownLabels[i]),
      trained: Number(shownLabels[i]) < 5 ? '0-4' : '5-9',
    }));
    const spec = {
      title: 'test embeddings (PCA to 2-D); filled: trained digits 0-4, hollow: unseen 5-9',
      width: 520,
      height: 420,
      data: { values },
      mark: { type: 'point', size: 14, opacity: 0.7 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'first principal axis' },
        y: { field: 'y', type: 'quantitative', title: 'second principal axis' },
        color: { field: 'digit', type: 'nominal', title: 'digit', scale: { scheme: 'category10' } },
        fill: {
          condition: { test: "datum.trained === '0-4'", field: 'digit', type: 'nominal', scale: { scheme: 'category10' } },
          value: null,
        },
      },
    };
    const path = join(out, 'embedding.png');
    await saveSvg('siamese-mnist', await nr.vis.renderVegaLite(spec), path, { scale: 2 });
    print(`wrote ${path}`);
  },
});
