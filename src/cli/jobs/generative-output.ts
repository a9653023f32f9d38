/*
 * What the image-generating examples (dcgan, wgan-gp, diffusion) share: MNIST digits scaled to
 * [-1, 1] (the range of a tanh generator and of a diffusion model's data), sample grids as PNG, a
 * line per epoch with every figure the custom training step logs, the optional run report, and the
 * judge's figures on generated digits at the end.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as nr from '../../index.js';
import { Report } from '../../vis/report.js';
import { judgeSamples, mnistJudge, printJudgement, type JudgeFigures } from './mnist-judge.js';
import { loadMnist } from './mnist-data.js';

/** The flags the three examples share (spread into each one's flags). */
export const GENERATIVE_FLAGS = {
  limit: { kind: 'positive', default: 60_000, help: 'train on the first N MNIST training digits (default all)' },
  samples: { kind: 'positive', default: 1000, help: 'generated digits the judge classifies' },
  judgeImages: { kind: 'positive', default: 60_000, help: "the judge's training digits" },
  judgeEpochs: { kind: 'positive', default: 2, help: "the judge's epochs" },
  judgeDir: { kind: 'text', help: 'where the trained judge is cached (default ~/.neurona/judges, or $NEURONA_CACHE_DIR/judges)' },
  report: { kind: 'text', help: 'write a live HTML run report into this directory' },
} as const;

/** The first `limit` MNIST training digits, [n, 28, 28, 1] with pixels in [-1, 1]. */
export async function mnistImages(limit: number): Promise<nr.Tensor> {
  const { train } = await loadMnist({ channels: true, limit });
  return train[0].mul(2).sub(1);
}

/** Writes images [n, 28, 28, 1] in [-1, 1] as one PNG grid. */
export async function saveDigits(path: string, images: nr.Tensor, columns = 8): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await nr.saveImageGrid(path, images.add(1).div(2).reshape(images.shape.slice(0, 3)), { columns, padding: 1, scale: 2, range: 'unit' });
}

/** Writes `<out>/samples-epoch-<k>.png` after each epoch from `sample()` (the same latent points each time). */
export function sampleGridPerEpoch(out: string, sample: () => nr.Tensor): nr.callbacks.Callback {
  mkdirSync(out, { recursive: true });
  return new nr.callbacks.LambdaCallback({
    onEpochEnd: async (epoch) => saveDigits(join(out, `samples-epoch-${String(epoch + 1).padStart(2, '0')}.png`), sample()),
  });
}

/** Fits `model` on `images` with the run report when --report names a directory. */
export async function fitGenerative(
  name: string,
  model: nr.Model,
  images: nr.Tensor,
  options: { epochs: number; batchSize: number; report?: string; callbacks: nr.callbacks.Callback[] },
  print: (line: string) => void,
): Promise<nr.callbacks.History> {
  const report = options.report ? new Report({ dir: options.report, title: `neurona train ${name}` }) : null;
  const start = performance.now();
  try {
    const callbacks = [...options.callbacks, ...(report ? [report] : [])];
    const history = await model.fit(images, { epochs: options.epochs, batchSize: options.batchSize, verbose: 0, callbacks });
    print(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    if (report) print(`Report: ${options.report}/index.html`);
    return history;
  } catch (error) {
    await report?.fail(error);
    throw error;
  }
}

/** Generates `samples` digits in batches through `generate(n)` (pixels in [-1, 1]) and prints the judge's figures. */
export async function judgeGenerator(
  generate: (n: number) => nr.Tensor,
  options: { samples: number; judgeImages: number; judgeEpochs: number; judgeDir?: string },
  print: (line: string) => void,
): Promise<JudgeFigures> {
  const judge = await mnistJudge({ images: options.judgeImages, epochs: options.judgeEpochs, dir: options.judgeDir }, print);
  const parts: nr.Tensor[] = [];
  for (let done = 0; done < options.samples; done += 250) parts.push(generate(Math.min(250, options.samples - done)));
  const images = nr.concat(parts, 0).add(1).div(2);
  // A generator that ignores its noise draws the same digit every time: a spread near 0 shows it.
  const spread = images.sub(images.mean(0)).square().mean(0).sqrt().mean().item();
  print(`sample spread (standard deviation of each pixel over the samples, mean over pixels): ${spread.toFixed(4)}`);
  const figures = judgeSamples(judge, images);
  printJudgement(figures, options.samples, print);
  return figures;
}
