/*
 * GPU memory of a long training run on the webgpu backend (docs/backends.md, "The webgpu backend"):
 * the W3 model (bench/cnn.ts) trained by `fit` for `--steps` batches of `--batch` synthetic images,
 * with the GPU bytes in use sampled every 50 batches; nothing is ever disposed. After the warm-up (the
 * first 50 batches) the bytes in use must stay flat: they move a little with the moments the garbage
 * collector frees arrays, so the script exits 1 when the later half of the samples peaks above the
 * earlier half (a leak of even one buffer per step would show as growth). Speed figures
 * come from `npm run bench -- W1 W3 W7 --backend webgpu`.
 *
 *   node --import tsx bench/webgpu.ts [--steps 1000] [--batch 32]
 */
import * as nr from '../src/index.js';
import { probeWebgpu } from '../src/backend/index.js';
import { build } from './cnn.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const steps = flag('steps', 1000);
const batch = flag('batch', 32);
const every = 50;

const probe = probeWebgpu();
if (!probe.ok) {
  console.log(`webgpu unavailable: ${probe.reason}`);
  process.exit(0);
}
console.log(`adapter: ${probe.info.vendor} ${probe.info.architecture} (${probe.info.description})`);
nr.setBackend('webgpu');
nr.setSeed(3);
const model = build('W3');
const x = nr.randu([batch * every, 32, 32, 3]);
const y = nr.oneHot(nr.random.randint([batch * every], 0, 10), 10);
const trace: { step: number; bytesInUse: number; bytesPooled: number; loss: number }[] = [];
let step = 0;
const started = performance.now();
await model.fit(x, y, {
  epochs: Math.ceil(steps / every),
  batchSize: batch,
  shuffle: false,
  verbose: 0,
  callbacks: [
    new nr.callbacks.LambdaCallback({
      onTrainBatchEnd: (_batch, logs) => {
        step++;
        if (step % every !== 0) return;
        const memory = nr.memory().webgpu!;
        trace.push({ step, ...memory, loss: +(logs?.loss ?? Number.NaN).toFixed(4) });
        console.log(JSON.stringify(trace.at(-1)));
      },
    }),
  ],
});
const seconds = (performance.now() - started) / 1000;
const after = trace.slice(1).map((t) => t.bytesInUse);
const half = Math.ceil(after.length / 2);
const flat = after.length < 2 || Math.max(...after.slice(half)) <= Math.max(...after.slice(0, half));
console.log(
  `${step} steps of batch ${batch} in ${seconds.toFixed(0)} s; GPU bytes in use after step ${every}: ` +
    `${Math.min(...after)}-${Math.max(...after)} (${flat ? 'flat' : 'NOT flat'})`,
);
process.exit(flat ? 0 : 1);
