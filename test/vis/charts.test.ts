/*
 * The charts are rendered to pixels (Vega -> SVG -> resvg) and the pixels are checked against the
 * data: where the training curve runs, which confusion cell is darkest, which side of a boundary has
 * which class colour, where the optimizer paths end.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import * as vis from '../../src/vis/index.js';
import { decodePng } from '../../src/io/png.js';
import {
  colorDistance,
  countPixels,
  hexToRgb,
  luminance,
  meanRowInColumn,
  median,
  near,
  pixelAt,
  regions,
  svgSize,
  withDir,
  type Rgb,
} from './pixels.js';

test("learning curves: the training line passes through each epoch's loss; validation is dashed", async () => {
  const loss = [2.0, 1.2, 0.8, 0.55, 0.45, 0.4];
  const valLoss = [2.1, 1.5, 1.2, 1.1, 1.15, 1.2];
  const width = 250;
  const height = 150;
  const svg = await vis.renderLearningCurves({ loss, val_loss: valLoss }, { width, height });
  const image = await vis.svgToImage(svg);
  assert.deepEqual([image.width, image.height], svgSize(svg), "the PNG has the SVG's size");
  assert.ok(image.width > width && image.height > height, 'axes and legend add to the plot area');

  const [train] = regions(image, near(vis.TRAIN_COLOR));
  assert.ok(train, 'the training colour appears');
  // The x scale is [1, epochs] over the plot width, so the line spans the whole width.
  assert.ok(Math.abs(train.x1 - train.x0 - width) <= 2, `line spans ${train.x1 - train.x0} px, plot is ${width} px`);
  // Rows where the line crosses each epoch's column must be an affine function of the loss (the y
  // scale), with higher losses higher up: fit it on the first and last epochs, check the others.
  const column = (epoch: number) => Math.round(train.x0 + ((epoch - 1) / (loss.length - 1)) * (train.x1 - train.x0));
  const rows = loss.map((_, i) => meanRowInColumn(train, image.width, Math.min(train.x1 - 1, Math.max(train.x0 + 1, column(i + 1)))));
  const slope = (rows.at(-1)! - rows[0]!) / (loss.at(-1)! - loss[0]!);
  assert.ok(slope < 0, 'a lower loss is drawn lower');
  loss.forEach((value, i) => {
    const expected = rows[0]! + slope * (value - loss[0]!);
    assert.ok(
      Math.abs(rows[i]! - expected) <= 2.5,
      `epoch ${i + 1}: the line is at row ${rows[i]!.toFixed(1)}, the data says ${expected.toFixed(1)}`,
    );
  });
  // The y scale of the panel covers both curves, so the line's vertical extent matches the data.
  const yRange = (loss[0]! - loss.at(-1)!) * Math.abs(slope);
  assert.ok(Math.abs(train.y1 - train.y0 - yRange) <= 4, `vertical extent ${train.y1 - train.y0} vs ${yRange.toFixed(1)}`);

  // Validation: the orange line is broken into dashes, so it is several regions across its columns.
  const dashes = regions(image, near(vis.VALIDATION_COLOR)).filter((r) => r.pixels.length >= 4 && r.y1 < train.y1 + 40);
  assert.ok(dashes.length >= 6, `only ${dashes.length} validation dashes`);
});

test('learning curves: one epoch is a whole point in the middle of an axis that reads 1 alone', async () => {
  const width = 200;
  const height = 100;
  // The two-epoch chart shares the y range [0.5, 0.6], so its plot area sits where the one-epoch chart's does.
  const lineImage = await vis.svgToImage(await vis.renderLearningCurves({ loss: [0.5, 0.6] }, { width, height }));
  const [line] = regions(lineImage, near(vis.TRAIN_COLOR));
  assert.ok(line && Math.abs(line.x1 - line.x0 - width) <= 2, 'with two epochs the line runs from epoch 1 to 2 across the plot');

  const svg = await vis.renderLearningCurves({ loss: [0.5], val_loss: [0.6] }, { width, height });
  assert.ok(svg.includes('>1<') && !svg.includes('>2<'), 'the x axis has the one epoch there was, and no epoch 2');
  const image = await vis.svgToImage(svg);
  // The legend's symbols are below the plot; the dots are the regions inside it.
  const inPlot = (r: { y1: number }) => r.y1 < line.y1 + 10;
  const [train] = regions(image, near(vis.TRAIN_COLOR)).filter(inPlot);
  const [validation] = regions(image, near(vis.VALIDATION_COLOR)).filter(inPlot);
  assert.ok(train && validation, 'both splits are drawn');
  for (const [name, dot] of [
    ['training', train],
    ['validation', validation],
  ] as const) {
    const [w, h] = [dot.x1 - dot.x0 + 1, dot.y1 - dot.y0 + 1];
    assert.ok(w >= 6 && h >= 6 && Math.abs(w - h) <= 1, `the ${name} point is a whole dot, not cut by the axis (${w} x ${h} px)`);
    const centre = (dot.x0 + dot.x1) / 2;
    const middle = (line.x0 + line.x1) / 2;
    assert.ok(Math.abs(centre - middle) <= 2, `the ${name} point is at x ${centre}, the plot's middle is ${middle}`);
  }
  assert.ok(validation.y1 < train.y0, 'the higher validation loss is drawn above the training loss');
});

test('learning curves with pointsPerEpoch: points at fractions of an epoch, on an axis that still reads in epochs', async () => {
  const loss = [2, 1.6, 1.3, 1.1, 1, 0.9, 0.85, 0.8];
  const spec = vis.learningCurvesSpec({ loss, val_loss: loss.map((v) => v + 0.1) }, { pointsPerEpoch: 4 });
  const rows = (spec.data as { values: { split: string; epoch: number; value: number }[] }).values;
  assert.deepEqual(
    rows.filter((r) => r.split === 'train').map((r) => r.epoch),
    [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2],
  );
  const x = (spec.spec as { encoding: { x: { scale: { domain: number[] } } } }).encoding.x;
  assert.deepEqual(x.scale.domain, [0.25, 2], 'from the first point to the end of epoch 2');
  const svg = await vis.renderVegaLite(spec);
  assert.ok(svg.includes('>0.4<') && svg.includes('>2<') && !svg.includes('>2.2<'), 'ticks at fractions of an epoch, none past 2');
  for (const bad of [0, 1.5]) {
    assert.throws(() => vis.learningCurvesSpec({ loss }, { pointsPerEpoch: bad }), /pointsPerEpoch must be a positive integer, got/);
  }
});

test('learning curves: one panel per quantity, with metrics from a real History', async () => {
  nr.setSeed(3);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, activation: 'sigmoid', inputShape: [2] })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.5 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  const x = nr.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ]);
  const y = nr.tensor([[0], [1], [1], [1]]);
  const xVal = nr.tensor([
    [0.1, 0.9],
    [0.9, 0.1],
    [0.2, 0.1],
  ]);
  const yVal = nr.tensor([[1], [1], [0]]);
  const history = await model.fit(x, y, { epochs: 3, verbose: 0, validationData: [xVal, yVal] });
  assert.deepEqual(Object.keys(history.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  const svg = await vis.renderLearningCurves(history, { width: 120, height: 80 });
  for (const title of ['>loss<', '>accuracy<', '>train<', '>validation<']) assert.ok(svg.includes(title), `the SVG has the text ${title}`);
  const image = await vis.svgToImage(svg);
  // Two panels side by side, each with its training line across most of the panel's 120 pixels.
  const train = regions(image, near(vis.TRAIN_COLOR)).filter((r) => r.pixels.length > 10);
  const middle = image.width / 2;
  const span = (list: typeof train) => Math.max(...list.map((r) => r.x1)) - Math.min(...list.map((r) => r.x0));
  assert.ok(span(train.filter((r) => r.x1 < middle)) > 100, 'a training line in the left panel');
  assert.ok(span(train.filter((r) => r.x0 > middle)) > 100, 'a training line in the right panel');
  // Text is drawn with the shipped font: dark pixels under the plot (the axis title "epoch").
  assert.ok(
    countPixels(image, (rgb) => luminance(rgb) < 90, {
      x0: 0,
      y0: Math.max(...train.map((r) => r.y1)),
      x1: image.width - 1,
      y1: image.height - 1,
    }) > 50,
  );
});

test('confusion matrix: the cell with the largest count is the darkest, lighter as counts fall', async () => {
  const matrix = [
    [5, 1, 0],
    [2, 30, 3],
    [0, 4, 12],
  ];
  const svg = await vis.renderConfusionMatrix(nr.tensor(matrix, undefined, 'int32'), {
    classNames: ['cat', 'dog', 'bird'],
    width: 150,
    height: 150,
  });
  for (const name of ['cat', 'dog', 'bird']) assert.ok(svg.includes(`>${name}<`), `class name ${name} labels the axes`);
  const image = await vis.svgToImage(svg);
  // The heatmap is the largest blue area (the legend's gradient is a separate, smaller one).
  const bluish = (rgb: Rgb) => rgb[2] - rgb[0] > 20;
  const [heatmap] = regions(image, bluish);
  assert.ok(
    Math.abs(heatmap!.x1 - heatmap!.x0 + 1 - 150) <= 2 && Math.abs(heatmap!.y1 - heatmap!.y0 + 1 - 150) <= 2,
    'the heatmap fills the plot area',
  );
  const cell = (heatmap!.x1 - heatmap!.x0 + 1) / 3;
  const shade: number[][] = matrix.map((row, i) =>
    row.map((_, j) => {
      const values: number[] = [];
      for (let y = Math.ceil(heatmap!.y0 + i * cell + 2); y < heatmap!.y0 + (i + 1) * cell - 2; y++) {
        for (let x = Math.ceil(heatmap!.x0 + j * cell + 2); x < heatmap!.x0 + (j + 1) * cell - 2; x++) {
          const rgb = pixelAt(image, x, y);
          if (bluish(rgb)) values.push(luminance(rgb)); // skip the count's text
        }
      }
      return median(values);
    }),
  );
  const cells = matrix.flatMap((row, i) => row.map((count, j) => ({ count, shade: shade[i]![j]! })));
  const darkest = cells.reduce((a, b) => (b.shade < a.shade ? b : a));
  assert.equal(darkest.count, 30);
  for (const a of cells) {
    for (const b of cells)
      if (a.count > b.count)
        assert.ok(
          a.shade < b.shade,
          `count ${a.count} (lum ${a.shade.toFixed(0)}) must be darker than ${b.count} (lum ${b.shade.toFixed(0)})`,
        );
  }
  // The largest cell's count is written in white on it.
  const white = countPixels(image, (rgb) => luminance(rgb) > 200, {
    x0: Math.ceil(heatmap!.x0 + cell),
    y0: Math.ceil(heatmap!.y0 + cell),
    x1: Math.floor(heatmap!.x0 + 2 * cell),
    y1: Math.floor(heatmap!.y0 + 2 * cell),
  });
  assert.ok(white > 10, `${white} white text pixels in the darkest cell`);
});

test('decision boundary: each side of a known linear boundary has its class colour', async () => {
  nr.setSeed(7);
  const x = nr.randu([40, 2], { low: -1, high: 1 });
  // Class 1 where x0 + 2 x1 > 0.5.
  const rule = (a: number, b: number) => (a + 2 * b > 0.5 ? 1 : 0);
  const y = (x.toArray() as number[][]).map(([a, b]) => rule(a!, b!));
  const classifier = (p: nr.Tensor) => {
    const rows = p.toArray() as number[][];
    return nr.tensor(
      rows.map(([a, b]) => rule(a!, b!)),
      [rows.length],
      'int32',
    );
  };
  const options = { width: 200, height: 200, resolution: 50, margin: 0.1 };
  const svg = await vis.renderDecisionBoundary(classifier, x, y, options);
  const image = await vis.svgToImage(svg);
  const region0 = hexToRgb(vis.regionColor(0));
  const region1 = hexToRgb(vis.regionColor(1));
  const isRegion = (rgb: Rgb) => colorDistance(rgb, region0) <= 3 || colorDistance(rgb, region1) <= 3;
  // The plot area is the box around the region colours; the grid's extent maps onto it.
  const all = regions(image, isRegion);
  const box = {
    x0: Math.min(...all.map((r) => r.x0)),
    x1: Math.max(...all.map((r) => r.x1)),
    y0: Math.min(...all.map((r) => r.y0)),
    y1: Math.max(...all.map((r) => r.y1)),
  };
  assert.ok(Math.abs(box.x1 - box.x0 + 1 - 200) <= 2 && Math.abs(box.y1 - box.y0 + 1 - 200) <= 2, `plot area ${JSON.stringify(box)}`);
  const { extent } = vis.decisionGrid(classifier, x, options);
  let checked = 0;
  for (let u = 0.05; u < 1; u += 0.05) {
    for (let v = 0.05; v < 1; v += 0.05) {
      const a = extent[0] + u * (extent[1] - extent[0]);
      const b = extent[2] + v * (extent[3] - extent[2]);
      if (Math.abs(a + 2 * b - 0.5) < 0.15) continue; // too close to the boundary for a grid of 50
      const rgb = pixelAt(image, box.x0 + u * (box.x1 - box.x0), box.y1 - v * (box.y1 - box.y0));
      if (!isRegion(rgb)) continue; // a data point is drawn here
      const expected = rule(a, b) === 1 ? region1 : region0;
      assert.ok(
        colorDistance(rgb, expected) <= 3,
        `at (${a.toFixed(2)}, ${b.toFixed(2)}) the region is ${rgb}, expected class ${rule(a, b)}'s ${expected}`,
      );
      checked++;
    }
  }
  assert.ok(checked > 250, `only ${checked} background samples checked`);
  // The points are drawn in their class's full colour.
  assert.ok(countPixels(image, near(vis.PALETTE[0]!, 10)) > 20 && countPixels(image, near(vis.PALETTE[1]!, 10)) > 20);
});

test('decision boundary of a fitted Perceptron and of a model with softmax outputs', async () => {
  const x = nr.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
    [0.2, 0.1],
    [0.9, 0.8],
  ]);
  const labels = [-1, -1, -1, 1, -1, 1]; // AND with labels -1 / 1
  const perceptron = new nr.Perceptron({ randomState: 0, maxIter: 100 }).fit(x, labels);
  const grid = vis.decisionGrid(perceptron, x, { resolution: 10 });
  const predicted = perceptron.predict(x);
  assert.deepEqual(predicted, labels, 'the perceptron separates AND');
  // Corners of the grid: (low, low) is class -1 (index 0), (high, high) is class 1 (index 1).
  assert.equal(grid.classes[0], 0);
  assert.equal(grid.classes[99], 1);
  const svg = await vis.renderDecisionBoundary(perceptron, x, labels, { resolution: 10, width: 100, height: 100 });
  assert.ok(svg.includes('>-1<') && svg.includes('>1<'), "the legend names the perceptron's labels");
  // Softmax scores [n, 2] are reduced with argmax; one sigmoid column with a 0.5 threshold.
  const softmax = (p: nr.Tensor) => nr.concat([p.slice([0, 0], [-1, 1]).neg(), p.slice([0, 0], [-1, 1])], 1).softmax(-1);
  assert.deepEqual(
    Array.from(
      vis.predictClasses(
        softmax,
        nr.tensor([
          [-1, 0],
          [1, 0],
        ]),
      ),
    ),
    [0, 1],
  );
  const sigmoid = (p: nr.Tensor) => p.slice([0, 0], [-1, 1]).sigmoid();
  assert.deepEqual(
    Array.from(
      vis.predictClasses(
        sigmoid,
        nr.tensor([
          [-1, 0],
          [1, 0],
        ]),
      ),
    ),
    [0, 1],
  );
  assert.throws(() => vis.decisionGrid(sigmoid, nr.zeros([3, 3])), nr.ShapeError);
});

test('optimizer paths: Adam reaches the Rosenbrock minimum, and its path is drawn there', async () => {
  const [sgd, adam] = vis.optimizerPaths('rosenbrock', { optimizers: ['sgd', 'adam'], steps: 1500 });
  assert.equal(adam!.points.length, 1501);
  assert.deepEqual(adam!.points[0], [-1.5, 2]);
  const [ax, ay] = adam!.points.at(-1)!;
  assert.ok(Math.hypot(ax - 1, ay - 1) < 0.05, `Adam ends at (${ax}, ${ay})`);
  assert.ok(adam!.values.at(-1)! < 1e-3, `f = ${adam!.values.at(-1)}`);
  // The values are f at the points: Rosenbrock's closed form.
  adam!.points.forEach(([px, py], i) => {
    if (i % 100 === 0) assert.ok(Math.abs(adam!.values[i]! - ((1 - px) ** 2 + 100 * (py - px * px) ** 2)) <= 1e-4 * (1 + adam!.values[i]!));
  });
  assert.ok(sgd!.values.at(-1)! < sgd!.values[0]!, 'SGD descends');

  const svg = await vis.renderOptimizerPaths('rosenbrock', { optimizers: ['sgd', 'adam'], steps: 1500, width: 200 });
  const image = await vis.svgToImage(svg);
  // The shaded background is gray (r = g = b, 140..250, lighter than the axes' #888); its bounding box
  // is the plot area, [-2, 2] x [-1, 3].
  const background = regions(image, (rgb) => rgb[0] === rgb[1] && rgb[1] === rgb[2] && rgb[0] >= 139 && rgb[0] <= 250)[0]!;
  assert.ok(Math.abs(background.x1 - background.x0 + 1 - 200) <= 2 && Math.abs(background.y1 - background.y0 + 1 - 200) <= 2);
  const toPixel = (px: number, py: number): [number, number] => [
    background.x0 + ((px + 2) / 4) * (background.x1 - background.x0),
    background.y1 - ((py + 1) / 4) * (background.y1 - background.y0),
  ];
  const adamColor = near(vis.PALETTE[1]!, 30);
  const [mx, my] = toPixel(1, 1);
  const close = countPixels(image, (rgb, x, y) => Math.hypot(x - mx, y - my) < 12 && adamColor(rgb));
  assert.ok(close >= 5, `${close} Adam-coloured pixels near the minimum's pixel (${mx.toFixed(0)}, ${my.toFixed(0)})`);
  // And Adam's colour appears near the start as well: one continuous path.
  const [sx, sy] = toPixel(-1.5, 2);
  assert.ok(countPixels(image, (rgb, x, y) => Math.hypot(x - sx, y - sy) < 12 && adamColor(rgb)) >= 5);
  // Far from the valley (top right corner) there is no path.
  const [cx, cy] = toPixel(1.8, 2.8);
  assert.equal(
    countPixels(image, (rgb, x, y) => Math.hypot(x - cx, y - cy) < 10 && adamColor(rgb)),
    0,
  );
});

test('optimizer paths on the saddle and Beale; custom optimizers and bad names', () => {
  const [sgd] = vis.optimizerPaths('saddle', { optimizers: ['sgd'], steps: 10, start: [1, 0.5] });
  // x^2 - y^2 with lr 0.01: x shrinks by 0.98 per step, y grows by 1.02 (closed form).
  const [x10, y10] = sgd!.points[10]!;
  assert.ok(Math.abs(x10 - 0.98 ** 10) < 1e-5 && Math.abs(y10 - 0.5 * 1.02 ** 10) < 1e-5, `(${x10}, ${y10})`);
  const [custom] = vis.optimizerPaths('beale', {
    optimizers: [{ name: 'mine', optimizer: () => new nr.optimizers.SGD({ learningRate: 0.001 }) }],
    steps: 5,
  });
  assert.equal(custom!.name, 'mine');
  assert.ok(custom!.values[5]! < custom!.values[0]!);
  assert.throws(() => vis.optimizerPaths('himmelblau'), nr.ConfigError);
  assert.throws(() => vis.optimizerPaths('beale', { optimizers: ['lbfgs'] }), nr.ConfigError);
});

test('learning-rate effect: too small barely moves, good converges, too large diverges; three colours drawn', async () => {
  const runs = vis.learningRateEffect();
  assert.deepEqual(
    runs.map((r) => r.rate),
    [0.005, 0.5, 1.1],
  );
  // Plain gradient descent on the same least-squares problem, in float64, as the reference.
  const xs = Array.from({ length: 32 }, (_, i) => -1 + (2 * i) / 31);
  const ys = xs.map((v) => 2 * v - 1 + 0.2 * Math.sin(7 * v));
  for (const run of runs) {
    let w = 0;
    let b = 0;
    for (let epoch = 0; epoch <= 30; epoch++) {
      const residuals = xs.map((v, i) => w * v + b - ys[i]!);
      const loss = residuals.reduce((s, r) => s + r * r, 0) / 32;
      assert.ok(
        Math.abs(run.losses[epoch]! - loss) <= 1e-4 * loss + 1e-6,
        `lr ${run.rate} epoch ${epoch}: ${run.losses[epoch]} vs ${loss}`,
      );
      w -= (run.rate * residuals.reduce((s, r, i) => s + 2 * r * xs[i]!, 0)) / 32;
      b -= (run.rate * residuals.reduce((s, r) => s + 2 * r, 0)) / 32;
    }
  }
  const [small, good, large] = runs as [vis.LearningRateRun, vis.LearningRateRun, vis.LearningRateRun];
  assert.ok(small.losses.at(-1)! > 0.3 * small.losses[0]!, 'too small: still most of the way to go');
  assert.ok(good.losses.at(-1)! < 0.02 * good.losses[0]!, 'good: converged');
  assert.ok(large.losses.at(-1)! > 100 * large.losses[0]!, 'too large: diverged');

  const svg = await vis.renderLearningRateEffect({ width: 200, height: 120 });
  assert.ok(svg.includes('too large') && svg.includes('too small'));
  const image = await vis.svgToImage(svg);
  const lines = [0, 1, 2].map((i) => regions(image, near(vis.PALETTE[i]!, 20)).filter((r) => r.x1 - r.x0 > 150)[0]);
  lines.forEach((line, i) => assert.ok(line, `curve ${i} (${vis.PALETTE[i]}) is drawn across the plot`));
  // At the last step, the diverging curve (red) is highest and the good one (orange) lowest.
  const end = (line: (typeof lines)[0]) => meanRowInColumn(line!, image.width, line!.x1 - 1);
  assert.ok(end(lines[2]) < end(lines[0]) && end(lines[0]) < end(lines[1]), `rows at the end: ${lines.map(end).map((r) => r.toFixed(0))}`);
});

test('save functions write .png (rasterised) or .svg by the extension, and reject others', async () => {
  await withDir(async (dir) => {
    const history = { loss: [1, 0.5, 0.25] };
    const svg = await vis.saveLearningCurves(history, join(dir, 'nested', 'curves.svg'), { width: 100, height: 60 });
    assert.equal(readFileSync(join(dir, 'nested', 'curves.svg'), 'utf8'), svg);
    await vis.saveLearningCurves(history, join(dir, 'curves.png'), { width: 100, height: 60, scale: 2 });
    const png = decodePng(readFileSync(join(dir, 'curves.png')), 'curves.png');
    const [w, h] = svgSize(svg);
    assert.deepEqual([png.width, png.height], [w * 2, h * 2]);
    await vis.saveConfusionMatrix(
      [
        [1, 0],
        [0, 1],
      ],
      join(dir, 'cm.png'),
    );
    await vis.saveDecisionBoundary(
      (p: nr.Tensor) => p.slice([0, 0], [-1, 1]).reshape([-1]),
      nr.tensor([
        [-1, 0],
        [1, 1],
      ]),
      [0, 1],
      join(dir, 'db.png'),
      { resolution: 8 },
    );
    await vis.saveOptimizerPaths('saddle', join(dir, 'saddle.png'), { steps: 20, resolution: 20 });
    await vis.saveLearningRateEffect(join(dir, 'lr.svg'), { epochs: 5 });
    for (const name of ['cm.png', 'db.png', 'saddle.png']) assert.ok(decodePng(readFileSync(join(dir, name)), name).width > 100);
    await assert.rejects(vis.saveLearningCurves(history, join(dir, 'curves.jpg')), nr.ConfigError);
  });
});

test('bad chart inputs are NeuronaErrors that say what to change', async () => {
  await assert.rejects(vis.renderLearningCurves({}), /history is empty/);
  await assert.rejects(vis.renderLearningCurves({ loss: [1] }, { quantities: ['accuracy'] }), /no "accuracy"/);
  await assert.rejects(
    vis.renderLearningCurves({ loss: [1] }, { quantities: [] }),
    /quantities must name at least one quantity, got \[\]$/,
  );
  await assert.rejects(
    vis.renderLearningCurves({ loss: [1, 'x'] } as never),
    /history\["loss"\] must be an array of numbers \(one per epoch\), got \[1,"x"\]$/,
  );
  await assert.rejects(vis.renderConfusionMatrix([[1, 2], [3]]), nr.ShapeError);
  await assert.rejects(
    vis.renderConfusionMatrix(
      [
        [1, 2],
        [3, 4],
      ],
      { classNames: ['a'] },
    ),
    /2 x 2/,
  );
  await assert.rejects(
    vis.renderConfusionMatrix([
      [1, -2],
      [3, 4],
    ]),
    nr.ConfigError,
  );
  assert.throws(() => vis.learningRateEffect({ rates: [0] }), nr.ConfigError);
});
