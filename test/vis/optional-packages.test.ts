import { TS_NODE } from '../ts-node.js';
/*
 * vega, vega-lite and @resvg/resvg-wasm are optional peer dependencies. Here they are installed (as
 * devDependencies), so child processes hide them with a resolution hook (test/fixtures/hide-packages)
 * that makes Node raise its real "Cannot find package" error, as in a project that never installed them.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assert } from '../helpers.js';
import { ConfigError } from '../../src/core/errors.js';
import { CHART_INSTALL_COMMAND, CHART_PACKAGES, chartImportFailed } from '../../src/vis/optional.js';

const REGISTER = fileURLToPath(new URL('../fixtures/hide-packages/register.mjs', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** Runs `body` (module code with `nr` imported) with `hidden` packages missing; returns its stdout lines. */
function runWithout(hidden: string[], body: string): string[] {
  const program = `import * as nr from ${JSON.stringify(ENTRY)};
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'neurona-optional-'));
const attempt = async (label, run) => {
  try { await run(); console.log(label + ' ok'); }
  catch (e) { console.log(label + ' ' + e.name + ': ' + e.message.replaceAll('\\n', '\\\\n')); }
};
try {
${body}
} finally { rmSync(dir, { recursive: true, force: true }); }
`;
  const child = spawnSync(process.execPath, [...TS_NODE, '--import', REGISTER, '--input-type=module', '-e', program], {
    encoding: 'utf8',
    env: { ...process.env, NEURONA_QUIET: '1', NEURONA_HIDE_PACKAGES: hidden.join(',') },
  });
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.trim().split('\n');
}

const message = (name: string, where: string) =>
  `ConfigError: ${where}: charts need the optional packages vega, vega-lite, @resvg/resvg-wasm, and ${name} is not installed; ` +
  `run \`npm install vega vega-lite @resvg/resvg-wasm\``;

test('without any chart package, neurona imports and trains, and a chart fails with one line saying what to install', () => {
  const lines = runWithout(
    [...CHART_PACKAGES],
    `
nr.setSeed(1);
const x = nr.randn([32, 2]);
const y = x.sum(1).greater(0).cast('int32');
const model = new nr.Sequential([new nr.layers.Dense(4, 'relu'), new nr.layers.Dense(2, 'softmax')]);
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
const history = await model.fit(x, y, { epochs: 2, verbose: 0 });
console.log('trained ' + history.history.loss.length);
await attempt('png', () => nr.vis.saveLearningCurves(history, join(dir, 'curves.png')));
await attempt('svg', () => nr.vis.renderConfusionMatrix([[1, 2], [3, 4]]));
await attempt('grid', () => nr.vis.saveImageGrid(join(dir, 'grid.png'), nr.zeros([2, 4, 4])));
console.log('grid written ' + existsSync(join(dir, 'grid.png')));
`,
  );
  assert.deepEqual(lines, [
    'trained 2',
    `png ${message('vega', 'renderVegaLite')}`,
    `svg ${message('vega', 'renderVegaLite')}`,
    'grid ok',
    'grid written true',
  ]);
});

test('Report fails before the first batch when a chart package is missing, not after an epoch', () => {
  const lines = runWithout(
    ['vega'],
    `
const x = nr.randn([16, 2]);
const y = x.sum(1).greater(0).cast('int32');
const model = new nr.Sequential([new nr.layers.Dense(2, 'softmax')]);
model.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy' });
let batches = 0;
const counter = new (class extends nr.callbacks.Callback { onTrainBatchEnd() { batches++; } })();
const report = new nr.callbacks.Report({ dir: join(dir, 'report') });
await attempt('fit', () => model.fit(x, y, { epochs: 1, verbose: 0, callbacks: [counter, report] }));
console.log('batches ' + batches);
`,
  );
  assert.deepEqual(lines, [`fit ${message('vega', 'Report')}`, 'batches 0']);
});

test('the message names the package that is missing: vega-lite alone', () => {
  const lines = runWithout(['vega-lite'], `await attempt('svg', () => nr.vis.renderLearningCurves({ loss: [1, 0.5] }));`);
  assert.deepEqual(lines, [`svg ${message('vega-lite', 'renderVegaLite')}`]);
});

test('without resvg, SVG charts still work and PNG charts say what to install', () => {
  const lines = runWithout(
    ['@resvg/resvg-wasm'],
    `
await attempt('svg', () => nr.vis.saveLearningCurves({ loss: [1, 0.5] }, join(dir, 'curves.svg')));
await attempt('png', () => nr.vis.saveLearningCurves({ loss: [1, 0.5] }, join(dir, 'curves.png')));
console.log('png written ' + existsSync(join(dir, 'curves.png')));
`,
  );
  assert.deepEqual(lines, ['svg ok', `png ${message('@resvg/resvg-wasm', 'svgToImage')}`, 'png written false']);
});

test('a chart package that is installed but broken keeps its own error (not the install hint)', () => {
  // vega-scenegraph is one of vega's own dependencies: vega is there, it just cannot load.
  const [line] = runWithout(['vega-scenegraph'], `await attempt('svg', () => nr.vis.renderLearningCurves({ loss: [1, 0.5] }));`);
  assert.match(line!, /^svg Error: Cannot find package 'vega-scenegraph'/);
  assert.ok(!line!.includes(CHART_INSTALL_COMMAND), line);
});

test('chartImportFailed: a browser\'s unresolved bare specifier is "not installed"; other failures pass through', () => {
  const unresolved = new TypeError(
    'Failed to resolve module specifier "vega". ' + 'Relative references must start with either "/", "./", or "../".',
  );
  assert.throws(
    () => chartImportFailed('renderVegaLite', 'vega', unresolved),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message === message('vega', 'renderVegaLite').replace(/^ConfigError: /, '') &&
      error.cause === unresolved,
  );
  const other = new TypeError('vega.View is not a constructor');
  assert.throws(
    () => chartImportFailed('renderVegaLite', 'vega', other),
    (error: unknown) => error === other,
  );
  const elsewhere = Object.assign(new Error("Cannot find package 'vega-util' imported from /x/node_modules/vega/index.js"), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
  assert.throws(
    () => chartImportFailed('renderVegaLite', 'vega', elsewhere),
    (error: unknown) => error === elsewhere,
  );
});
