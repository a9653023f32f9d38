import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from './helpers.js';
import { Report } from '../src/vis/report.js';
import { escapeHtml, formatMetric, inlineSvg } from '../src/vis/report-page.js';
import { decodePng } from '../src/io/png.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const CLASS_NAMES = ['horizontal', 'vertical', 'diagonal'];
const SIDE = 6;

/** 6x6 gray images of three classes (a bright row, column or diagonal at a random place) plus noise. */
function bars(n: number, seed: number): [nr.Tensor, nr.Tensor] {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const x = new Float32Array(n * SIDE * SIDE);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = i % 3;
    const at = Math.floor(random() * SIDE);
    y[i] = label;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const on = label === 0 ? r === at : label === 1 ? c === at : r === c;
        x[i * SIDE * SIDE + r * SIDE + c] = Math.min(1, Math.max(0, (on ? 0.9 : 0.05) + 0.1 * (random() - 0.5)));
      }
    }
  }
  return [nr.tensor(x, [n, SIDE, SIDE]), nr.tensor(y, [n], 'int32')];
}

function buildModel(): nr.Sequential {
  const model = new nr.Sequential([
    new nr.layers.Flatten({ inputShape: [SIDE, SIDE] }),
    new nr.layers.Dense({ units: 16, activation: 'relu' }),
    new nr.layers.Dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.03 }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

interface Run {
  dir: string;
  history: nr.callbacks.History;
  model: nr.Sequential;
  /** index.html as it was after the first epoch (a live page) and at batch ends. */
  livePage: string;
  batchPages: string[];
  samples: [nr.Tensor, nr.Tensor];
  validation: [nr.Tensor, nr.Tensor];
}

async function trainWithReport(updateSeconds?: number): Promise<Run> {
  nr.setSeed(7);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-report-'));
  const train = bars(240, 1);
  const validation = bars(60, 2);
  const samples = bars(12, 3);
  const model = buildModel();
  const report = new Report({ dir, title: 'Bars <test>', samples: { x: samples[0], y: samples[1], classNames: CLASS_NAMES, count: 9 }, validationData: validation, updateSeconds, refreshSeconds: 0.3 });
  let livePage = '';
  const batchPages: string[] = [];
  // Runs after the Report (callbacks are called in order), so it reads what the Report just wrote.
  const probe = new nr.callbacks.LambdaCallback({
    onEpochEnd: (epoch) => { if (epoch === 0) livePage = readFileSync(join(dir, 'index.html'), 'utf8'); },
    onTrainBatchEnd: () => { batchPages.push(readFileSync(join(dir, 'index.html'), 'utf8')); },
  });
  const history = await model.fit(train[0], train[1], { epochs: 4, batchSize: 32, verbose: 0, validationData: validation, callbacks: [report, probe] });
  return { dir, history, model, livePage, batchPages, samples, validation };
}

/** The text of the element with `id` (first match), tags stripped. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  assert.ok(start >= 0, `the page has an element #${id}`);
  const sectionEnd = html.indexOf('</section>', start);
  return html.slice(start, sectionEnd < 0 ? undefined : sectionEnd);
}

function metricValue(html: string, table: string, metric: string): { value: number; text: string } {
  const match = new RegExp(`<tr data-metric="${metric}"><th>[^<]*</th><td class="number" data-value="([^"]+)">([^<]+)</td>`).exec(section(html, table));
  assert.ok(match, `#${table} has a row for ${metric}`);
  return { value: Number(match[1]), text: match[2]! };
}

test('Report writes a live page during training and a complete one at the end', async () => {
  const run = await trainWithReport();
  try {
    const final = readFileSync(join(run.dir, 'index.html'), 'utf8');
    const h = run.history.history;
    assert.ok(h.accuracy!.at(-1)! > 0.9, `the bars are learnable (final accuracy ${h.accuracy!.at(-1)})`);

    // During training: reload script, progress, current metrics = the first epoch's logs, curves.
    assert.match(run.livePage, /<script id="live-reload">setTimeout\(function \(\) \{ location\.reload\(\); \}, 300\);<\/script>/);
    assert.match(run.livePage, /id="status" class="running"/);
    assert.equal(metricValue(run.livePage, 'current-metrics', 'loss').value, h.loss![0]);
    assert.equal(metricValue(run.livePage, 'current-metrics', 'val_accuracy').value, h.val_accuracy![0]);
    assert.match(section(run.livePage, 'curves'), /<svg[\s\S]*<path/);
    assert.ok(!run.livePage.includes('id="final-metrics"') && !run.livePage.includes('id="summary"'));

    // At the end: no reload, final metrics exactly the History's last values, all parts present.
    assert.ok(!final.includes('<script'), 'the final page has no script');
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) {
      const { value, text } = metricValue(final, 'final-metrics', key);
      assert.equal(value, h[key]!.at(-1), key);
      assert.equal(text, formatMetric(h[key]!.at(-1)!), key);
    }
    assert.match(final, /<span id="total-time">[\d.]+ s<\/span>/);
    assert.match(section(final, 'summary'), /Total params: 643 \(2\.51 KB\)/); // 36*16+16 + 16*3+3 float32 weights
    assert.equal(section(final, 'epoch-times').match(/<tr>/g)?.length, 4);
    const curves = section(final, 'curves');
    assert.match(curves, /<svg/);
    const curvesSvg = curves.slice(curves.indexOf('<svg'));
    assert.ok(!/id="(?!curves-)/.test(curvesSvg), 'every id inside the curves SVG is prefixed');

    // Confusion matrix on the validation data, counted independently here.
    const predicted = run.model.predict(run.validation[0]).argmax(1).data();
    const truth = run.validation[1].data();
    const correct = Array.from(truth).filter((t, i) => t === predicted[i]).length;
    const confusion = section(final, 'confusion-matrix');
    assert.match(confusion, new RegExp(`Validation data: 60 examples, ${correct} classified correctly`));
    assert.match(confusion, /<svg/);
    for (const name of CLASS_NAMES) assert.ok(confusion.includes(`>${name}<`), `class name ${name} on an axis`);

    // Samples: 9 figures, true and predicted labels as the model says, misclassified ones marked.
    const figures = [...section(final, 'samples').matchAll(/<figure class="(right|wrong)" data-true="([^"]*)" data-predicted="([^"]*)"><img src="data:image\/png;base64,([^"]+)"/g)];
    assert.equal(figures.length, 9);
    const samplePredicted = run.model.predict(run.samples[0].slice(0, 9)).argmax(1).data();
    const sampleTruth = run.samples[1].data();
    const pixels = run.samples[0].data();
    figures.forEach(([, mark, trueLabel, predictedLabel, base64], i) => {
      assert.equal(trueLabel, CLASS_NAMES[sampleTruth[i]!]);
      assert.equal(predictedLabel, CLASS_NAMES[samplePredicted[i]!]);
      assert.equal(mark, trueLabel === predictedLabel ? 'right' : 'wrong');
      const png = decodePng(new Uint8Array(Buffer.from(base64!, 'base64')));
      assert.deepEqual([png.width, png.height, png.channels], [SIDE, SIDE, 1]);
      for (let p = 0; p < SIDE * SIDE; p++) assert.equal(png.pixels[p], Math.round(pixels[i * SIDE * SIDE + p]! * 255), `sample ${i} pixel ${p}`);
    });
    assert.ok(final.includes(`<title>${escapeHtml('Bars <test>')}</title>`), 'the title is escaped');
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
});

test('Report rewrites the page on batch end at most every updateSeconds', async () => {
  const often = await trainWithReport(1e-6);
  const rarely = await trainWithReport(3600);
  try {
    // 240 / 32 = 8 batches per epoch: with a tiny interval the page after batch 3 of epoch 1 says so;
    // with an hour it still shows the state written at train begin.
    assert.match(often.batchPages[2]!, /Epoch <span id="epoch">1<\/span>\/4, batch 3\/8/);
    assert.match(rarely.batchPages[2]!, /Epoch <span id="epoch">1<\/span>\/4, batch 0\/8/);
    assert.match(rarely.batchPages[10]!, /Epoch <span id="epoch">1<\/span>\/4, batch 8\/8/, 'epoch ends still rewrite it');
  } finally {
    rmSync(often.dir, { recursive: true, force: true });
    rmSync(rarely.dir, { recursive: true, force: true });
  }
});

test('Report checks its options and the class names', async () => {
  assert.throws(() => new Report({ dir: '' }), /Report: option dir must be a non-empty directory path/);
  const [x, y] = bars(6, 1);
  assert.throws(() => new Report({ dir: 'r', samples: { x, y, count: 0 } }), /samples\.count must be a positive integer, got 0/);
  assert.throws(() => new Report({ dir: 'r', samples: { x, y: y.slice(0, 3) } }), /samples y must be class indices \[6\] or one-hot rows \[6, classes\] matching x \[6, 6, 6\], got \[3\]/);
  assert.throws(() => new Report({ dir: 'r', refreshSeconds: -1 }), /refreshSeconds must be a positive number/);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-report-'));
  try {
    const model = buildModel();
    const report = new Report({ dir, samples: { x, y, classNames: ['a', 'b'] } });
    await assert.rejects(model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [report] }), /samples\.classNames has 2 names but the model predicts 3 classes/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inlineSvg prefixes ids and their references and drops the XML prolog', () => {
  const svg = '<?xml version="1.0"?><svg><defs><clipPath id="clip1"><rect/></clipPath></defs><g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
  assert.equal(inlineSvg(svg, 'a'), '<svg><defs><clipPath id="a-clip1"><rect/></clipPath></defs><g clip-path="url(#a-clip1)"><use href="#a-clip1"/></g></svg>');
});

test('the report renders in headless Chromium without console errors and shows the final accuracy', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const run = await trainWithReport();
  const profile = mkdtempSync(join(tmpdir(), 'neurona-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`); });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    // The live page (saved copy): it reloads itself every refreshSeconds (0.3 s here).
    const livePath = join(run.dir, 'live.html');
    writeFileSync(livePath, run.livePage);
    let loads = 0;
    page.on('load', () => { loads++; });
    await page.goto(`file://${livePath}`);
    await page.waitForTimeout(1500);
    assert.ok(loads >= 3, `the live page reloaded itself (${loads} loads in 1.5 s)`);

    // The final page: stays put, shows the History's final accuracy, draws the charts and thumbnails.
    loads = 0;
    await page.goto(`file://${join(run.dir, 'index.html')}`);
    await page.waitForTimeout(800);
    assert.equal(loads, 1, 'the final page does not reload');
    const accuracy = run.history.history.accuracy!.at(-1)!;
    const shown = await page.locator('#final-metrics tr[data-metric="accuracy"] td').textContent();
    assert.equal(shown, accuracy.toFixed(4));
    const curveBox = await page.locator('#curves svg').first().boundingBox();
    assert.ok(curveBox && curveBox.width > 100 && curveBox.height > 50, `the curves SVG is laid out (${JSON.stringify(curveBox)})`);
    assert.ok(await page.locator('#curves svg path').count() >= 4, 'train and validation lines for loss and accuracy');
    // The cells' labels (Vega writes them as aria-labels) hold the counts of the validation data.
    const cells = await page.locator('#confusion-matrix svg path[aria-roledescription="rect mark"]').evaluateAll((paths) => paths.map((p) => p.getAttribute('aria-label')));
    assert.equal(cells.length, 9, 'a 3x3 matrix');
    const predicted = run.model.predict(run.validation[0]).argmax(1).data();
    const truth = run.validation[1].data();
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const count = Array.from(truth).filter((v, i) => v === t && predicted[i] === p).length;
        assert.ok(cells.includes(`predicted: ${CLASS_NAMES[p]}; true: ${CLASS_NAMES[t]}; count: ${count}`), `cell true ${t} predicted ${p} counts ${count}; cells: ${cells.join(' | ')}`);
      }
    }
    const widths = await page.locator('#samples img').evaluateAll((images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth));
    assert.deepEqual(widths, new Array(9).fill(SIDE), 'every thumbnail decodes');
    assert.match((await page.locator('#summary').textContent())!, /Total params: 643/);
    assert.deepEqual(requested.filter((url) => !url.startsWith('file://') && !url.startsWith('data:')), [], 'no network requests');
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    rmSync(run.dir, { recursive: true, force: true });
  }
});
