/*
 * A Kohonen self-organizing map on MNIST digits: a 10x10 map of 784-pixel prototypes. Writes
 * u-matrix.png (the U-matrix as a grayscale heatmap: dark = prototypes close to their neighbours,
 * light = borders between clusters) and prototypes.png (every unit's prototype as a 28x28 digit),
 * prints the quantization and topographic errors and, for each unit, the majority label of the
 * digits mapped to it.
 *
 * Run: npx tsx examples/som-digits.ts [--samples 5000] [--epochs 10] [--out out/som-digits]
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as nr from '../src/index.js';
import { SOM } from '../src/classic/index.js';
import { saveImageGrid } from '../src/vis/grid.js';

const arg = (flag: string, fallback: string) => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1]! : fallback);
const samples = Number(arg('--samples', '5000'));
const epochs = Number(arg('--epochs', '10'));
const out = arg('--out', 'out/som-digits');
const rows = 10;
const columns = 10;

const { train } = await nr.datasets.mnist.loadData();
const x = train[0].slice(0, samples).cast('float32').div(255).reshape([-1, 784]);
const labels = train[1].slice(0, samples).data();

const start = performance.now();
const som = new SOM({ rows, columns, epochs, mode: 'online', randomState: 0 }).fit(x);
console.log(`trained a ${rows}x${columns} map on ${samples} digits for ${epochs} epochs in ${((performance.now() - start) / 1000).toFixed(1)} s`);
console.log(`quantization error: ${som.quantizationError(x).toFixed(4)}`);
console.log(`topographic error:  ${som.topographicError(x).toFixed(4)}`);

// Majority label per unit ('.' for a unit no digit maps to).
const units = som.predict(x).data();
const votes = Array.from({ length: rows * columns }, () => new Array<number>(10).fill(0));
units.forEach((unit, i) => votes[unit]![labels[i]!]!++);
const majority = votes.map((v) => (Math.max(...v) === 0 ? '.' : String(v.indexOf(Math.max(...v)))));
let purity = 0;
votes.forEach((v) => (purity += Math.max(...v)));
console.log('majority label of the digits mapped to each unit:');
for (let r = 0; r < rows; r++) console.log('  ' + majority.slice(r * columns, (r + 1) * columns).join(' '));
console.log(`digits that share their unit's majority label: ${((100 * purity) / samples).toFixed(1)}%`);

mkdirSync(out, { recursive: true });
const u = som.uMatrix();
const uNormalized = u.sub(u.min()).div(u.max().sub(u.min()).add(1e-12)).reshape([1, rows, columns]);
await saveImageGrid(join(out, 'u-matrix.png'), uNormalized, { scale: 24, padding: 0, range: 'unit' });
await saveImageGrid(join(out, 'prototypes.png'), som.weights.reshape([rows * columns, 28, 28]), {
  columns, padding: 2, scale: 2, range: 'unit', background: 128, captions: majority,
});
console.log(`wrote ${join(out, 'u-matrix.png')} and ${join(out, 'prototypes.png')}`);
