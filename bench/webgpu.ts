/*
 * The webgpu backend on whatever adapter is present (docs/backends.md, "The webgpu backend"):
 *   W1  GEMM n x n x n in float32 (the product read back once), GFLOP/s, webgpu and native/js;
 *   a small training loop (the MLP of W3's shape: 784-128-10, Adam, batch 64), samples/s.
 * It prints the adapter first. On SwiftShader (a CPU rasterizer) the figures check the path end to
 * end; they are not a speed claim.
 *
 *   node --import tsx bench/webgpu.ts [--n 512] [--steps 20]
 */
import * as nr from '../src/index.js';
import { probeWebgpu } from '../src/backend/index.js';

const flag = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const n = flag('n', 512);
const steps = flag('steps', 20);

const probe = probeWebgpu();
if (!probe.ok) {
  console.log(`webgpu unavailable: ${probe.reason}`);
  process.exit(0);
}
console.log(`adapter: ${probe.info.vendor} ${probe.info.architecture} (${probe.info.description})`);
const cpu = nr.availableBackends().includes('native') ? 'native' : 'js';

function gemm(backend: string): number {
  nr.setBackend(backend);
  nr.setSeed(1);
  const a = nr.randu([n, n]);
  const b = nr.randu([n, n]);
  nr.matmul(a, b).data(); // warm-up: shader compilation, uploads
  const start = performance.now();
  const c = nr.matmul(a, b);
  c.data();
  return (2 * n ** 3) / ((performance.now() - start) / 1000) / 1e9;
}

async function training(backend: string): Promise<number> {
  nr.setBackend(backend);
  nr.setSeed(2);
  const model = new nr.Sequential([
    nr.Input({ shape: [784] }),
    new nr.layers.Dense({ units: 128, activation: 'relu' }),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = nr.randu([64, 784]);
  const y = nr.random.randint([64], 0, 10);
  await model.trainOnBatch(x, y);
  const start = performance.now();
  let loss = 0;
  for (let s = 0; s < steps; s++) loss = (await model.trainOnBatch(x, y)).loss!;
  const seconds = (performance.now() - start) / 1000;
  console.log(`  ${backend}: final loss ${loss.toFixed(4)}`);
  return (steps * 64) / seconds;
}

for (const backend of ['webgpu', cpu]) console.log(`W1 GEMM ${n}: ${backend} ${gemm(backend).toFixed(2)} GFLOP/s`);
for (const backend of ['webgpu', cpu]) console.log(`MLP 784-128-10 training: ${backend} ${(await training(backend)).toFixed(0)} samples/s`);
console.log('GPU memory:', nr.memory().webgpu);
