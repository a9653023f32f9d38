/*
 * An energy-based model on 2-D two moons, trained by contrastive divergence as in Du & Mordatch
 * (2019): a small network gives each point an energy E(x), p(x) ~ exp(-E(x)); each training step
 * pushes the energy of data points down and that of the model's own samples up, the samples drawn
 * by Langevin dynamics (x <- x - step * dE/dx + noise, the gradient by nr.grad of the energy with
 * respect to the points) started from a replay buffer. Prints the fraction of the model's samples
 * that land on the moons beside that of a Gaussian fitted to the data, and writes energy.png (the
 * energy landscape with samples on it) and samples.png.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { Report } from '../../vis/report.js';
import { program } from './example.js';
import { epochLines, gridPoints, moonDistances, saveHeat, saveScatter, twoMoons } from './generative-plots.js';

/** Langevin dynamics in standardised units: the gradient step, the noise added each step, and the box the chains stay in. */
const STEP = 0.05;
const NOISE = 0.02;
const BOX = 3;
/** Points on the moons: within twice the data's noise (0.05) of the noiseless half circles. */
const ON_MOONS = 0.1;

export class EnergyModel extends nr.Model {
  energy: nr.Sequential;
  lossTracker = new nr.metrics.Mean({ name: 'loss' });
  dataEnergy = new nr.metrics.Mean({ name: 'data_energy' });
  sampleEnergy = new nr.metrics.Mean({ name: 'sample_energy' });
  /** The replay buffer: chains carried on from earlier steps, so a few steps per batch go a long way. */
  private buffer: nr.Tensor;

  constructor(
    hidden: number,
    readonly steps: number,
    bufferSize: number,
  ) {
    super();
    this.energy = new nr.Sequential([
      // swish rather than relu: Langevin dynamics follows dE/dx, which relu makes piecewise constant.
      new nr.layers.Dense({ units: hidden, activation: 'swish', inputShape: [2] }),
      new nr.layers.Dense({ units: hidden, activation: 'swish' }),
      new nr.layers.Dense({ units: 1 }),
    ]);
    this.buffer = nr.randu([bufferSize, 2], { low: -BOX, high: BOX });
  }

  override call(x: nr.Tensor): nr.Tensor {
    return this.energy.apply(x);
  }

  /** `steps` steps of Langevin dynamics from `start`. */
  langevin(start: nr.Tensor, steps: number): nr.Tensor {
    const dEdx = nr.grad((points) => this.energy.apply(points).sum());
    let x = start;
    for (let k = 0; k < steps; k++) {
      const [gradient] = dEdx(x);
      x = nr.noGrad(() =>
        x
          .sub(gradient!.mul(STEP))
          .add(nr.randn(x.shape, { std: NOISE }))
          .clip(-BOX, BOX),
      );
    }
    return x;
  }

  override trainStep([data]: nr.StepData): nr.StepLogs {
    const x = data as nr.Tensor;
    const n = x.shape[0]!;
    const size = this.buffer.shape[0]!;
    // 95 % of the chains go on from the buffer, 5 % restart from uniform noise (Du & Mordatch's mix).
    const picked = [...nr.randu([n], { high: size }).data()].map(Math.floor);
    const restart = nr.randu([n, 1]).less(0.05).cast('float32');
    const old = this.buffer.gather(nr.tensor(picked, [n], 'int32'), 0);
    const fresh = nr.randu([n, 2], { low: -BOX, high: BOX });
    const samples = this.langevin(old.add(fresh.sub(old).mul(restart)), this.steps);
    const [buffer, drawn] = [this.buffer.data().slice(), samples.data()];
    picked.forEach((row, i) => buffer.set(drawn.subarray(2 * i, 2 * i + 2), 2 * row));
    this.buffer = nr.tensor(buffer, [size, 2]);

    const vars = this.trainableWeights;
    let energies: [nr.Tensor, nr.Tensor] | null = null;
    const { value, grads } = nr.valueAndGrad(() => {
      const [onData, onSamples] = [this.energy.apply(x), this.energy.apply(samples)];
      energies = [onData.detach(), onSamples.detach()];
      // The squared energies keep both sides near 0: without them the gap grows without bound.
      return onData.mean().sub(onSamples.mean()).add(onData.square().mean().add(onSamples.square().mean()).mul(0.1));
    })(...vars);
    this.optimizer!.apply(grads, vars);
    this.lossTracker.updateState(value);
    this.dataEnergy.updateState(energies![0].mean());
    this.sampleEnergy.updateState(energies![1].mean());
    return { loss: this.lossTracker.result(), data_energy: this.dataEnergy.result(), sample_energy: this.sampleEnergy.result() };
  }
}

const onMoons = (points: nr.Tensor) => moonDistances(points).filter((d) => d < ON_MOONS).length / points.shape[0]!;

export const ebm = program({
  description: 'energy-based model on two moons (contrastive divergence, Langevin sampling): energy landscape and samples',
  flags: {
    points: { kind: 'positive', default: 2000, help: 'training points' },
    hidden: { kind: 'positive', default: 64, help: 'units of the two hidden layers of the energy network' },
    steps: { kind: 'positive', default: 30, help: 'Langevin steps per training batch' },
    chain: { kind: 'positive', default: 200, help: 'Langevin steps of the final samples, from uniform noise' },
    samples: { kind: 'positive', default: 1000, help: 'final samples drawn' },
    epochs: { kind: 'positive', default: 100, help: 'epochs' },
    batchSize: { kind: 'positive', default: 128, help: 'batch size' },
    out: { kind: 'text', default: 'out/ebm', help: 'directory for energy.png and samples.png' },
    report: { kind: 'text', help: 'write a live HTML run report there' },
  },
  async run({ points, hidden, steps, chain, samples: count, epochs, batchSize, out, report }, print) {
    if (points < 2) throw configError('ebm', { expected: '--points must be at least 2', got: `--points ${points}` });
    nr.setSeed(5);
    const raw = twoMoons(points, 0.05);
    const mean = raw.mean(0, true);
    const std = raw.sub(mean).square().mean(0, true).sqrt();
    const x = raw.sub(mean).div(std);
    print(`${points} points of two moons (noise 0.05); Langevin: step ${STEP}, noise ${NOISE}, ${steps} steps per batch`);

    const model = new EnergyModel(hidden, steps, Math.max(points, batchSize));
    // beta1 = 0, as in Du & Mordatch: the negative samples change every step, so old momentum misleads.
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01, beta1: 0 }) });
    const callbacks: nr.callbacks.Callback[] = [epochLines(epochs, print, 'ebm')];
    if (report) callbacks.push(new Report({ dir: report, title: 'neurona train ebm' }));
    const start = performance.now();
    await model.fit(x, { epochs, batchSize, verbose: 0, callbacks });
    print(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s (${model.countParams()} parameters)`);

    const drawn = model.langevin(nr.randu([count, 2], { low: -BOX, high: BOX }), chain);
    const gaussian = nr.randn([count, 2]);
    const inData = (t: nr.Tensor) => t.mul(std).add(mean);
    print(`on the moons (within ${ON_MOONS} of the noiseless half circles), of ${count} points each:`);
    print(`  EBM samples (${chain} Langevin steps from uniform noise): ${onMoons(inData(drawn)).toFixed(3)}`);
    print(`  single Gaussian fit: ${onMoons(inData(gaussian)).toFixed(3)}`);
    print(`  the training data: ${onMoons(raw).toFixed(3)}`);
    const meanEnergy = (t: nr.Tensor) => nr.noGrad(() => model.energy.apply(t).mean().item());
    const box = nr.randu([count, 2], { low: -BOX, high: BOX });
    print(`mean energy: data ${meanEnergy(x).toFixed(4)}, uniform points over the box ${meanEnergy(box).toFixed(4)}`);
    const spread = drawn.sub(drawn.mean(0, true)).square().mean().sqrt().item();
    print(`EBM samples' spread (root mean square distance from their mean): ${spread.toFixed(3)}`);

    const [lo, hi, cells] = [-BOX, BOX, 60];
    const energy = nr.noGrad(() => model.energy.apply(gridPoints(lo, hi, cells)));
    const energyPath = join(out, 'energy.png');
    await saveHeat(
      energyPath,
      { lo, hi, steps: cells, values: [...energy.data()], label: 'E(x)' },
      drawn,
      'energy landscape (standardised units), samples in red',
    );
    const samplesPath = join(out, 'samples.png');
    const groups = [...Array<string>(points).fill('data'), ...Array<string>(count).fill('EBM samples')];
    await saveScatter(samplesPath, nr.concat([x, drawn], 0), groups, 'two moons: data and Langevin samples of the EBM');
    print(`wrote ${energyPath} and ${samplesPath}`);
    if (report) print(`Report: ${report}/index.html`);
  },
});
