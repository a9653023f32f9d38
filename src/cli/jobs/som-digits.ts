/*
 * A Kohonen self-organizing map on MNIST digits: a 10x10 map of 784-pixel prototypes. Writes
 * u-matrix.png (the U-matrix as a grayscale heatmap: dark = prototypes close to their neighbours,
 * light = borders between clusters) and prototypes.png (every unit's prototype as a 28x28 digit),
 * prints the quantization and topographic errors and, for each unit, the majority label of the
 * digits mapped to it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as nr from '../../index.js';
import { program } from './example.js';

export const somDigits = program({
  description: 'a 10x10 self-organizing map of MNIST digits: errors, majority labels, U-matrix and prototypes as PNGs',
  flags: {
    samples: { kind: 'positive', default: 5000, help: 'the first N training digits' },
    epochs: { kind: 'positive', default: 10, help: 'passes over the digits' },
    out: { kind: 'text', default: 'out/som-digits', help: 'directory for u-matrix.png and prototypes.png' },
  },
  async run({ samples, epochs, out }, print) {
    const rows = 10;
    const columns = 10;
    const { train } = await nr.datasets.mnist.loadData();
    const x = train[0].slice(0, samples).cast('float32').div(255).reshape([-1, 784]);
    const labels = train[1].slice(0, samples).data();

    const start = performance.now();
    const som = new nr.SOM({ rows, columns, epochs, mode: 'online', randomState: 0 }).fit(x);
    print(
      `trained a ${rows}x${columns} map on ${samples} digits for ${epochs} epochs in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    );
    print(`quantization error: ${som.quantizationError(x).toFixed(4)}`);
    print(`topographic error:  ${som.topographicError(x).toFixed(4)}`);

    // Majority label per unit ('.' for a unit no digit maps to).
    const units = som.predict(x).data();
    const votes = Array.from({ length: rows * columns }, () => new Array<number>(10).fill(0));
    units.forEach((unit, i) => votes[unit]![labels[i]!]!++);
    const majority = votes.map((v) => (Math.max(...v) === 0 ? '.' : String(v.indexOf(Math.max(...v)))));
    let purity = 0;
    votes.forEach((v) => (purity += Math.max(...v)));
    print('majority label of the digits mapped to each unit:');
    for (let r = 0; r < rows; r++) print(`  ${majority.slice(r * columns, (r + 1) * columns).join(' ')}`);
    print(`digits that share their unit's majority label: ${((100 * purity) / samples).toFixed(1)}%`);

    mkdirSync(out, { recursive: true });
    const u = som.uMatrix();
    const uNormalized = u.sub(u.min()).div(u.max().sub(u.min()).add(1e-12)).reshape([1, rows, columns]);
    await nr.saveImageGrid(join(out, 'u-matrix.png'), uNormalized, { scale: 24, padding: 0, range: 'unit' });
    await nr.saveImageGrid(join(out, 'prototypes.png'), som.weights.reshape([rows * columns, 28, 28]), {
      columns,
      padding: 2,
      scale: 2,
      range: 'unit',
      background: 128,
      captions: majority,
    });
    print(`wrote ${join(out, 'u-matrix.png')} and ${join(out, 'prototypes.png')}`);
  },
});
