import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { assert, nr } from './helpers.js';
import { Report } from '../src/vis/report.js';
import { escapeHtml, formatMetric, inlineSvg, renderReportPage, type ReportState } from '../src/vis/report-page.js';
import { decodePng } from '../src/io/png.js';
import { CHROMIUM, launchChromium } from './chromium.js';

const CLASS_NAMES = ['horizontal', 'vertical', 'diagonal'];
const SIDE = 6;

/** 6x6 gray images of three classes (a bright row, column or diagonal at a random place) plus noise. */
function bars(n: number, seed: number): [nr.Tensor, nr.Tensor] {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
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
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.03 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
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
  const report = new Report({
    dir,
    title: 'Bars <test>',
    samples: { x: samples[0], y: samples[1], classNames: CLASS_NAMES, count: 9 },
    validationData: validation,
    updateSeconds,
    refreshSeconds: 0.3,
  });
  let livePage = '';
  const batchPages: string[] = [];
  // Runs after the Report (callbacks are called in order), so it reads what the Report just wrote.
  const probe = new nr.callbacks.LambdaCallback({
    onEpochEnd: (epoch) => {
      if (epoch === 0) livePage = readFileSync(join(dir, 'index.html'), 'utf8');
    },
    onTrainBatchEnd: () => {
      batchPages.push(readFileSync(join(dir, 'index.html'), 'utf8'));
    },
  });
  const history = await model.fit(train[0], train[1], {
    epochs: 4,
    batchSize: 32,
    verbose: 0,
    validationData: validation,
    callbacks: [report, probe],
  });
  return { dir, history, model, livePage, batchPages, samples, validation };
}

/** The text of the element with `id` (first match), tags stripped. */
function section(html: string, id: string): string {
  const start = html.indexOf(`id="${id}"`);
  assert.ok(start >= 0, `the page has an element #${id}`);
  const sectionEnd = html.indexOf('</section>', start);
  return html.slice(start, sectionEnd < 0 ? undefined : sectionEnd);
}

/** The live page's reload script (its text). */
function liveScript(html: string): string {
  const match = /<script id="live-reload">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'the page has the live-reload script');
  return match[1]!;
}

/**
 * Runs a page's live script `secondsLater` after the page was written (`writtenAt`) against a stub
 * of the browser: returns the reload delay it scheduled (null: none) and the status line it left.
 */
function runLiveScript(
  html: string,
  writtenAt: Date,
  secondsLater: number,
): { reloadAfterMs: number | null; status: { className: string; textContent: string } } {
  let reloadAfterMs: number | null = null;
  let reloaded = false;
  const status = { className: 'running', textContent: 'training' };
  runInNewContext(liveScript(html), {
    Date: { now: () => writtenAt.getTime() + secondsLater * 1000 },
    Math,
    setTimeout: (callback: () => void, ms: number) => {
      reloadAfterMs = ms;
      callback();
    },
    location: {
      reload: () => {
        reloaded = true;
      },
    },
    document: { getElementById: (id: string) => (id === 'status' ? status : null) },
  });
  assert.equal(reloaded, reloadAfterMs !== null, 'the scheduled callback reloads the page');
  return { reloadAfterMs, status };
}

function metricValue(html: string, table: string, metric: string): { value: number; text: string } {
  const match = new RegExp(`<tr data-metric="${metric}"><th>[^<]*</th><td class="number" data-value="([^"]+)">([^<]+)</td>`).exec(
    section(html, table),
  );
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
    assert.match(liveScript(run.livePage), /setTimeout\(function \(\) \{ location\.reload\(\); \}, 300\)/);
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
    const figures = [
      ...section(final, 'samples').matchAll(
        /<figure class="(right|wrong)" data-true="([^"]*)" data-predicted="([^"]*)"><img src="data:image\/png;base64,([^"]+)"/g,
      ),
    ];
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
      for (let p = 0; p < SIDE * SIDE; p++)
        assert.equal(png.pixels[p], Math.round(pixels[i * SIDE * SIDE + p]! * 255), `sample ${i} pixel ${p}`);
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
  assert.throws(
    () => new Report({ dir: 'r', samples: { x, y: y.slice(0, 3) } }),
    /samples y must be class indices \[6\] or one-hot rows \[6, classes\] matching x \[6, 6, 6\], got \[3\]/,
  );
  assert.throws(() => new Report({ dir: 'r', refreshSeconds: -1 }), /refreshSeconds must be a positive number/);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-report-'));
  try {
    const model = buildModel();
    const report = new Report({ dir, samples: { x, y, classNames: ['a', 'b'] } });
    await assert.rejects(
      model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [report] }),
      /samples\.classNames has 2 names but the model predicts 3 classes/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('inlineSvg prefixes ids and their references and drops the XML prolog', () => {
  const svg =
    '<?xml version="1.0"?><svg><defs><clipPath id="clip1"><rect/></clipPath></defs>' +
    '<g clip-path="url(#clip1)"><use href="#clip1"/></g></svg>';
  assert.equal(
    inlineSvg(svg, 'a'),
    '<svg><defs><clipPath id="a-clip1"><rect/></clipPath></defs><g clip-path="url(#a-clip1)"><use href="#a-clip1"/></g></svg>',
  );
});

test('the report renders in headless Chromium without console errors and shows the final accuracy', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  const run = await trainWithReport();
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`request failed: ${request.url()}`));
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    // The live page (saved copy): it reloads itself every refreshSeconds (0.3 s here).
    const livePath = join(run.dir, 'live.html');
    writeFileSync(livePath, run.livePage);
    let loads = 0;
    page.on('load', () => {
      loads++;
    });
    await page.goto(`file://${livePath}`);
    await page.waitForTimeout(1500);
    assert.ok(loads >= 3, `the live page reloaded itself (${loads} loads in 1.5 s)`);

    // A running page written 10 minutes ago (its process died): it stays put and says why.
    const stalePath = join(run.dir, 'stale.html');
    writeFileSync(stalePath, renderReportPage(runningState(new Date(Date.now() - 600_000), 120)).replace(', 2000)', ', 300)'));
    await page.goto(`file://${stalePath}`);
    // Counted from its own load on: the live page's last loads may still be reported while goto runs
    // (a busy machine, test files run side by side); Playwright reports events in order, so none after.
    const loaded = loads;
    await page.waitForTimeout(900);
    assert.equal(loads - loaded, 0, 'the stale page does not reload');
    assert.match((await page.locator('#status').textContent())!, /^no update for 10 min: training has stopped/);

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
    assert.ok((await page.locator('#curves svg path').count()) >= 4, 'train and validation lines for loss and accuracy');
    // The cells' labels (Vega writes them as aria-labels) hold the counts of the validation data.
    const cells = await page
      .locator('#confusion-matrix svg path[aria-roledescription="rect mark"]')
      .evaluateAll((paths) => paths.map((p) => p.getAttribute('aria-label')));
    assert.equal(cells.length, 9, 'a 3x3 matrix');
    const predicted = run.model.predict(run.validation[0]).argmax(1).data();
    const truth = run.validation[1].data();
    for (let t = 0; t < 3; t++) {
      for (let p = 0; p < 3; p++) {
        const count = Array.from(truth).filter((v, i) => v === t && predicted[i] === p).length;
        assert.ok(
          cells.includes(`predicted: ${CLASS_NAMES[p]}; true: ${CLASS_NAMES[t]}; count: ${count}`),
          `cell true ${t} predicted ${p} counts ${count}; cells: ${cells.join(' | ')}`,
        );
      }
    }
    const widths = await page
      .locator('#samples img')
      .evaluateAll((images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth));
    assert.deepEqual(widths, new Array(9).fill(SIDE), 'every thumbnail decodes');
    assert.match((await page.locator('#summary').textContent())!, /Total params: 643/);
    // The summary's box lines meet from row to row (the body's line height left a gap under each row's
    // glyphs): some pixel column, the table's left border, is dark through all of the table's rows.
    const summary = page.locator('#summary');
    const shot = decodePng(new Uint8Array(await summary.screenshot()), 'summary screenshot');
    const lineHeight = Number.parseFloat(await page.evaluate<string>("getComputedStyle(document.querySelector('#summary')).lineHeight"));
    const tableRows = (await summary.textContent())!.split('\n').filter((line) => /^[┏┃┡│├└]/.test(line)).length;
    const dark = (x: number, y: number) => {
      const at = (y * shot.width + x) * shot.channels;
      return shot.pixels[at]! + shot.pixels[at + 1]! + shot.pixels[at + 2]! < 3 * 128;
    };
    let longest = 0;
    for (let x = 0; x < shot.width; x++) {
      let run = 0;
      for (let y = 0; y < shot.height; y++) {
        run = dark(x, y) ? run + 1 : 0;
        longest = Math.max(longest, run);
      }
    }
    assert.ok(tableRows >= 5 && lineHeight > 0, `${tableRows} table rows, line height ${lineHeight}`);
    assert.ok(
      longest >= (tableRows - 1) * lineHeight,
      `the longest unbroken box line is ${longest} px; the table is ${tableRows} rows of ${lineHeight} px`,
    );
    assert.deepEqual(
      requested.filter((url) => !url.startsWith('file://') && !url.startsWith('data:')),
      [],
      'no network requests',
    );
    assert.deepEqual(problems, []);
  } finally {
    await close();
    rmSync(run.dir, { recursive: true, force: true });
  }
});

/** A running page's state, written at `writtenAt`. */
function runningState(writtenAt: Date, staleSeconds: number): ReportState {
  return {
    title: 'Stale?',
    status: 'running',
    startedAt: writtenAt,
    elapsedSeconds: 3,
    epoch: 1,
    epochs: 2,
    step: 1,
    steps: 4,
    currentMetrics: { loss: 1 },
    epochSeconds: [],
    curvesSvg: null,
    refreshSeconds: 2,
    staleSeconds,
    writtenAt,
  };
}

test('a live page reloads while fresh and stops, saying so, once the file is staleSeconds old', () => {
  const writtenAt = new Date('2024-05-01T10:00:00Z');
  const page = renderReportPage(runningState(writtenAt, 60));
  assert.ok(page.indexOf('id="live-reload"') > page.indexOf('id="status"'), 'the script follows the status line it may rewrite');
  for (const secondsLater of [0, 5, 59.9, 60]) {
    const { reloadAfterMs, status } = runLiveScript(page, writtenAt, secondsLater);
    assert.equal(reloadAfterMs, 2000, `${secondsLater} s after the write it reloads every refreshSeconds`);
    assert.equal(status.className, 'running');
  }
  const stale = runLiveScript(page, writtenAt, 61);
  assert.equal(stale.reloadAfterMs, null, 'no reload once stale');
  assert.equal(stale.status.className, 'stale');
  assert.equal(
    stale.status.textContent,
    'no update for 61 s: training has stopped, or is busy in a long step; reload the page to look again',
  );
  assert.match(runLiveScript(page, writtenAt, 3 * 3600).status.textContent, /^no update for 180 min:/);
  // The Report's default: 120 s, or 3 x updateSeconds when longer; checked like the other durations.
  assert.equal(new Report({ dir: 'r' }).staleSeconds, 120);
  assert.equal(new Report({ dir: 'r', updateSeconds: 100 }).staleSeconds, 300);
  assert.equal(new Report({ dir: 'r', staleSeconds: 5 }).staleSeconds, 5);
  assert.throws(() => new Report({ dir: 'r', staleSeconds: 0 }), /Report: option staleSeconds must be a positive number of seconds, got 0/);
});

test('Report.fail writes a final page with the error when fit throws, and the live page before it was fresh', async () => {
  nr.setSeed(7);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-report-'));
  try {
    const [x, y] = bars(96, 1);
    const model = buildModel();
    const report = new Report({ dir, title: 'Crash', samples: { x, y, classNames: CLASS_NAMES }, refreshSeconds: 0.5 });
    let livePage = '';
    const crash = new nr.callbacks.LambdaCallback({
      onEpochEnd: (epoch) => {
        livePage = readFileSync(join(dir, 'index.html'), 'utf8');
        if (epoch === 1) throw new RangeError('out of memory <in batch 3>');
      },
    });
    const history = new nr.callbacks.History();
    let error: unknown = null;
    try {
      await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0, callbacks: [report, crash, history] });
    } catch (e) {
      error = e;
      await report.fail(e);
    }
    assert.ok(error instanceof RangeError, 'fit threw the callback error');
    // Before the crash: a running page, written just now, so its script reloads.
    const writtenAt = new Date();
    assert.match(livePage, /id="status" class="running"/);
    assert.equal(runLiveScript(livePage, writtenAt, 1).reloadAfterMs, 500);

    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.ok(!page.includes('<script'), 'the failed page does not reload');
    assert.match(page, /<span id="status" class="failed">stopped by an error<\/span>/);
    assert.match(section(page, 'error'), /<pre>RangeError: out of memory &lt;in batch 3&gt;<\/pre>/);
    assert.match(page, /<title>Crash \(stopped\)<\/title>/);
    // What was recorded survives: two epochs of curves and times, the last logs, the summary.
    assert.equal(section(page, 'epoch-times').match(/<tr>/g)?.length, 2);
    assert.equal(metricValue(page, 'current-metrics', 'loss').value, report.history.loss![1]);
    assert.match(section(page, 'curves'), /<svg[\s\S]*<path/);
    assert.match(section(page, 'summary'), /Total params: 643/);
    assert.ok(
      !page.includes('id="final-metrics"') && !page.includes('id="confusion-matrix"'),
      'no final results of a run that did not end',
    );

    // A Report whose fit failed before training began (an uncompiled model) still writes the page.
    const early = new Report({ dir: join(dir, 'early') });
    const uncompiled = new nr.Sequential([new nr.layers.Dense({ units: 2, inputShape: [3] })]);
    await assert.rejects(
      uncompiled.fit(nr.zeros([2, 3]), nr.zeros([2, 2]), { verbose: 0, callbacks: [early] }).catch(async (e) => {
        await early.fail(e);
        throw e;
      }),
      /is not compiled/,
    );
    const earlyPage = readFileSync(join(dir, 'early', 'index.html'), 'utf8');
    assert.match(earlyPage, /class="failed"/);
    assert.match(section(earlyPage, 'error'), /ConfigError: fit: the model &quot;sequential(_\d+)?&quot; is not compiled/);
    assert.match(earlyPage, /after <span id="total-time">0\.0 s<\/span>/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
