/*
 * The image pipeline's two figures (issue 17): images per second decoded and resized to 224x224 on
 * one core, for JPEG and PNG files of 500x375 photo-like images; and the time of a small CNN trained
 * from a folder of images (imageDatasetFromDirectory, worker threads, prefetch) over the same CNN
 * trained from the same images held as tensors (target: at most 1.10).
 *
 *   node --import tsx bench/image-pipeline.ts [--files 48] [--folder 640] [--epochs 3] [--workers N] [--decoder js|sharp]
 *
 * Images are generated (smooth colour fields with noise, which compress like photos); nothing is
 * downloaded. Prints one JSON line per measurement.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jpegJs from 'jpeg-js';
import * as nr from '../src/index.js';
import { Random } from '../src/core/random.js';
import { ImagePool, defaultWorkers, readImageFile } from '../src/data/image-pool.js';
import { encodePng } from '../src/io/png.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

/** A photo-like RGB image: two smooth colour fields, a disc whose colour says the class, noise. */
function photo(width: number, height: number, seed: number, label = 0): Uint8Array {
  const random = new Random(seed);
  const [fx, fy, cx, cy] = [10 + random.next() * 30, 10 + random.next() * 30, random.next() * width, random.next() * height];
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < (Math.min(width, height) / 4) ** 2;
      const base = [128 + 90 * Math.sin(x / fx) * Math.cos(y / fy), 128 + 80 * Math.cos((x + y) / (fx + fy)), 110];
      if (inside) base[label === 0 ? 0 : 2] = 230;
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, base[c]! + random.nextNormal() * 8));
    }
  }
  return pixels;
}

function encode(format: 'png' | 'jpeg', width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (format === 'png') return encodePng({ width, height, channels: 3, pixels: rgb });
  const rgba = new Uint8Array(width * height * 4).fill(255);
  for (let i = 0; i < width * height; i++) rgba.set(rgb.subarray(i * 3, i * 3 + 3), i * 4);
  return new Uint8Array(jpegJs.encode({ width, height, data: rgba }, 90).data);
}

const decoder = process.argv.includes('--decoder') ? (process.argv[process.argv.indexOf('--decoder') + 1] as 'js' | 'sharp') : 'js';
const print = (row: Record<string, unknown>) => console.log(JSON.stringify(row));
const root = mkdtempSync(join(tmpdir(), 'neurona-image-bench-'));
try {
  // 1. Decode + resize to 224x224 on one core, then through the pool.
  const files = flag('files', 48);
  for (const format of ['jpeg', 'png'] as const) {
    const dir = join(root, format);
    mkdirSync(dir);
    const paths = Array.from({ length: files }, (_, i) => {
      const path = join(dir, `${i}.${format === 'png' ? 'png' : 'jpg'}`);
      writeFileSync(path, encode(format, 500, 375, photo(500, 375, i)));
      return path;
    });
    const job = (path: string) => ({ path, colorMode: 'rgb' as const, size: [224, 224], interpolation: 'bilinear' as const, decoder });
    for (const path of paths.slice(0, 4)) await readImageFile(job(path)); // warm-up
    let start = performance.now();
    for (const path of paths) await readImageFile(job(path));
    const oneCore = files / ((performance.now() - start) / 1000);
    const pool = new ImagePool(flag('workers', defaultWorkers()));
    await Promise.all(paths.slice(0, pool.size * 2).map((p) => pool.run(job(p))));
    start = performance.now();
    await Promise.all(paths.map((p) => pool.run(job(p))));
    const pooled = files / ((performance.now() - start) / 1000);
    await pool.close();
    print({
      measure: 'decode+resize 500x375 -> 224x224',
      format,
      decoder,
      imagesPerSecondOneThread: +oneCore.toFixed(1),
      workers: pool.size,
      imagesPerSecondPool: +pooled.toFixed(1),
    });
  }

  // 2. A small CNN from a folder of images vs from tensors holding the same images.
  const count = flag('folder', 640);
  const epochs = flag('epochs', 3);
  for (const format of ['jpeg', 'png'] as const) {
    const dir = join(root, `folder-${format}`);
    for (const label of [0, 1]) {
      mkdirSync(join(dir, `class_${label}`), { recursive: true });
      for (let i = 0; i < count / 2; i++) {
        const path = join(dir, `class_${label}`, `${i}.${format === 'png' ? 'png' : 'jpg'}`);
        writeFileSync(path, encode(format, 96, 80, photo(96, 80, 1000 * label + i, label)));
      }
    }
    const options = {
      imageSize: [64, 64],
      batchSize: 32,
      seed: 7,
      verbose: false,
      numParallelCalls: flag('workers', defaultWorkers()),
      decoder,
    };
    const folder = await nr.data.imageDatasetFromDirectory(dir, options);
    const batches = (await folder.toArray()) as [nr.Tensor, nr.Tensor][];
    const x = nr.concat(batches.map((b) => b[0]));
    const y = nr.concat(batches.map((b) => b[1]));
    const build = () => {
      nr.setSeed(3);
      const model = new nr.Sequential([
        new nr.layers.Rescaling({ scale: 1 / 255, inputShape: [64, 64, 3] }),
        new nr.layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu' }),
        new nr.layers.MaxPooling2D({ poolSize: 2 }),
        new nr.layers.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
        new nr.layers.MaxPooling2D({ poolSize: 2 }),
        new nr.layers.Flatten(),
        new nr.layers.Dense({ units: 2, activation: 'softmax' }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
      return model;
    };
    // one warm-up epoch each, then the timed epochs, alternating so that machine load hits both alike
    const fromTensors = build();
    const fromFolder = build();
    await fromTensors.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
    await fromFolder.fit(folder.prefetch(2), { epochs: 1, verbose: 0 });
    let tensorsSeconds = 0;
    let folderSeconds = 0;
    let accuracy = 0;
    for (let e = 0; e < epochs; e++) {
      let start = performance.now();
      await fromTensors.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
      tensorsSeconds += (performance.now() - start) / 1000;
      start = performance.now();
      const history = await fromFolder.fit(folder.prefetch(2), { epochs: 1, verbose: 0 });
      folderSeconds += (performance.now() - start) / 1000;
      accuracy = history.history.accuracy!.at(-1) as number;
    }
    print({
      measure: 'small CNN, folder vs tensors',
      format,
      decoder,
      images: count,
      imageSize: '96x80 -> 64x64',
      epochs,
      backend: nr.getBackend(),
      tensorsSeconds: +tensorsSeconds.toFixed(2),
      folderSeconds: +folderSeconds.toFixed(2),
      ratio: +(folderSeconds / tensorsSeconds).toFixed(3),
      folderAccuracy: +accuracy.toFixed(3),
    });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
