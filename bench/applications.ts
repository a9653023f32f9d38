/*
 * W7, W8a, W8b: 224x224 ImageNet-size CNNs, as ../shared/bench/peers/torch/bench_torch_w7_w10.py
 * defines them:
 *   W7   ResNet50 inference (eval mode), batch 32, x ~ U[0, 1); 2 warm-up batches, 5 timed; images/s.
 *   W8a  MobileNetV2 (width 1.0, 1000 classes) training steps at batch 16 (BN batch statistics), SGD
 *        lr 0.01 momentum 0.9, softmax cross-entropy on random labels; 2 warm-up steps, 5 timed.
 *   W8b  ResNet50, the same training step.
 * Each run builds a fresh model (`nr.applications.ResNet50` / `MobileNetV2`, `weights: null`: the
 * Keras graphs, ResNet v1 with the stride on the first 1x1 convolution of a block, where torchvision's
 * ResNet50 puts it on the 3x3); peak RSS is the process's maxRSS after the run (it only grows, so a
 * later run reports the largest so far, as the torch script's ru_maxrss does).
 */
import * as nr from '../src/index.js';
import { againstCpu, median, threadsOf, type Row } from './util.js';

export const APPLICATION_WORKLOADS = ['W7', 'W8a', 'W8b'] as const;
export type ApplicationWorkload = (typeof APPLICATION_WORKLOADS)[number];

const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** One row per run of W7, W8a or W8b on `backend`. */
export async function applications(which: ApplicationWorkload, backend: string, runs: number, batchOverride?: number): Promise<Row[]> {
  nr.setBackend(backend);
  const rows: Row[] = [];
  const batch = batchOverride ?? (which === 'W7' ? 32 : 16);
  nr.setSeed(0);
  const x = nr.randu([batch, 224, 224, 3]);
  const y = nr.randu([batch], { low: 0, high: 1000 }).floor().cast('int32');
  for (let run = 0; run < runs; run++) {
    nr.setSeed(run);
    const model = await (which === 'W8a' ? nr.applications.MobileNetV2 : nr.applications.ResNet50)({ weights: null });
    let step: () => void;
    if (which === 'W7') {
      step = () => {
        model.predict(x, { batchSize: batch }).data();
      };
    } else {
      model.compile({
        optimizer: new nr.optimizers.SGD({ learningRate: 0.01, momentum: 0.9 }),
        loss: 'sparse_categorical_crossentropy',
      });
      step = () => {
        model.trainOnBatch(x, y);
      };
    }
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      step();
      if (i >= 2) times.push((performance.now() - t0) / 1000);
    }
    const total = times.reduce((a, b) => a + b, 0);
    const check = which === 'W7' && backend === 'webgpu' ? againstCpu(() => model.predict(x, { batchSize: batch })) : {};
    rows.push({
      workload: which,
      library: 'neurona',
      backend,
      threads: threadsOf(backend),
      run,
      batch,
      images_per_s: +((batch * times.length) / total).toFixed(2),
      median_step_s: +median(times).toFixed(3),
      peak_rss_mib: peakRssMiB(),
      ...check,
    });
  }
  return rows;
}
