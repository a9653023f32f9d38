/*
 * Generative-model training speed against bench/generative_torch.py (PyTorch 1.13, same layers,
 * shapes, losses and optimizers, batch 128, float32):
 *   dcgan  one step of `neurona train dcgan` at its defaults (latent 100, width 64): a discriminator
 *          step on 128 real + 128 generated images, then a generator step, each with its Adam;
 *   ddpm   one step of `neurona train diffusion` at its defaults (U-Net width 32, T = 1000).
 * Both run the examples' own models through `fit` (the custom trainStep), on uniform random pixels
 * in [-1, 1] of MNIST's shape (speed does not depend on the digits): a 3-step warm-up fit, then one
 * fit over `steps` batches timed batch by batch (onTrainBatchBegin/End). The epoch figure
 * extrapolates the median step to MNIST's 60,000 training images (469 steps of 128), as the PyTorch
 * script does. Peak RSS is the process's maxRSS after the run.
 *
 * Run: node --import tsx bench/generative.ts --workload dcgan|ddpm [--steps 20] [--runs 1] [--backend native] [--threads 2]
 * A session against PyTorch: bash bench/session-generative.sh.
 */
import * as nr from '../src/index.js';
import { DCGAN, dcganDiscriminator, dcganGenerator } from '../src/cli/jobs/dcgan.js';
import { DDPM, smallUNet } from '../src/cli/jobs/diffusion.js';
import { median, threadsOf } from './util.js';

const BATCH = 128;
const EPOCH_STEPS = Math.ceil(60_000 / BATCH);

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

function model(workload: string): nr.Model {
  if (workload === 'dcgan') {
    const gan = new DCGAN(dcganGenerator(100, 64), dcganDiscriminator(64), 100);
    const adam = () => new nr.optimizers.Adam({ learningRate: 2e-4, beta1: 0.5 });
    gan.compile({ optimizer: { generator: adam(), discriminator: adam() } });
    return gan;
  }
  if (workload === 'ddpm') {
    const ddpm = new DDPM(smallUNet(32, 128), 1000, 128);
    ddpm.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 2e-4 }) });
    return ddpm;
  }
  throw new Error(`bench/generative.ts: --workload must be dcgan or ddpm, not '${workload}'`);
}

const workload = flag('workload', 'dcgan');
const steps = Number(flag('steps', '20'));
const runs = Number(flag('runs', '1'));
const backend = flag('backend', 'native');
nr.setBackend(backend);
if (process.argv.includes('--threads')) nr.setNumThreads(Number(flag('threads', '2')));
for (let run = 0; run < runs; run++) {
  nr.setSeed(run);
  const m = model(workload);
  const images = nr.randu([BATCH * steps, 28, 28, 1], { low: -1, high: 1 });
  await m.fit(nr.randu([3 * BATCH, 28, 28, 1], { low: -1, high: 1 }), { epochs: 1, batchSize: BATCH, verbose: 0 });
  const times: number[] = [];
  let began = 0;
  let loss = Number.NaN;
  const timer = new nr.callbacks.LambdaCallback({
    onTrainBatchBegin: () => {
      began = performance.now();
    },
    onTrainBatchEnd: (_, logs = {}) => {
      times.push((performance.now() - began) / 1000);
      loss = Number(logs.loss ?? logs.g_loss);
    },
  });
  await m.fit(images, { epochs: 1, batchSize: BATCH, verbose: 0, shuffle: false, callbacks: [timer] });
  const step = median(times);
  const row = {
    workload,
    library: 'neurona',
    backend,
    threads: threadsOf(backend),
    run,
    batch: BATCH,
    steps: times.length,
    median_step_s: +step.toFixed(4),
    epoch_s: +(step * EPOCH_STEPS).toFixed(1),
    images_per_s: +(BATCH / step).toFixed(1),
    last_loss: +loss.toFixed(4),
    peak_rss_mib: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
  };
  console.log(JSON.stringify(row));
}
