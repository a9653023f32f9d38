/*
 * A RealNVP normalizing flow (Dinh et al., 2017) on 2-D two moons, after Keras's "Density
 * estimation using Real NVP": affine coupling layers with alternating masks map the data to a
 * standard normal, so log p(x) = log N(f(x); 0, I) + log |det df/dx| is exact, and a custom
 * trainStep maximises it. Prints the test negative log-likelihood in nats per point beside that of
 * a single Gaussian fitted to the training points, and writes density.png (the flow's density with
 * the test points) and samples.png (data against points drawn through the inverse flow).
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { Report } from '../../vis/report.js';
import { program } from './example.js';
import { epochLines, gridPoints, saveHeat, saveScatter, twoMoons } from './generative-plots.js';

/** The NLL in nats per point of a Gaussian with the training points' mean and covariance (maximum likelihood), on `test`. */
function gaussianNll(train: nr.Tensor, test: nr.Tensor): number {
  const [a, b] = [train.data(), test.data()];
  const n = a.length / 2;
  let [mx, my] = [0, 0];
  for (let i = 0; i < n; i++) [mx, my] = [mx + a[2 * i]! / n, my + a[2 * i + 1]! / n];
  let [sxx, sxy, syy] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [dx, dy] = [a[2 * i]! - mx, a[2 * i + 1]! - my];
    [sxx, sxy, syy] = [sxx + (dx * dx) / n, sxy + (dx * dy) / n, syy + (dy * dy) / n];
  }
  const det = sxx * syy - sxy * sxy;
  let total = 0;
  for (let i = 0; i < b.length / 2; i++) {
    const [dx, dy] = [b[2 * i]! - mx, b[2 * i + 1]! - my];
    total += 0.5 * ((syy * dx * dx - 2 * sxy * dx * dy + sxx * dy * dy) / det) + Math.log(2 * Math.PI) + 0.5 * Math.log(det);
  }
  return total / (b.length / 2);
}

const LOG_2PI = Math.log(2 * Math.PI);

/** Affine couplings: each keeps the coordinate its mask selects and scales and shifts the other by functions of it. */
export class RealNVP extends nr.Model {
  readonly masks: nr.Tensor[];
  /** `1 - mask`: the coordinate each coupling transforms. */
  readonly frees: nr.Tensor[];
  readonly scales: nr.Sequential[] = [];
  readonly shifts: nr.Sequential[] = [];
  lossTracker = new nr.metrics.Mean({ name: 'loss' });

  constructor(couplings: number, hidden: number) {
    super();
    this.masks = Array.from({ length: couplings }, (_, k) => nr.tensor(k % 2 === 0 ? [1, 0] : [0, 1], [1, 2]));
    this.frees = this.masks.map((mask) => nr.ones([1, 2]).sub(mask));
    const net = (last: 'tanh' | 'linear') =>
      new nr.Sequential([
        new nr.layers.Dense({ units: hidden, activation: 'relu', inputShape: [2] }),
        new nr.layers.Dense({ units: hidden, activation: 'relu' }),
        new nr.layers.Dense({ units: 2, activation: last }),
      ]);
    // tanh bounds each layer's log-scale to (-1, 1), which keeps early training from overflowing exp.
    for (let k = 0; k < couplings; k++) [this.scales[k], this.shifts[k]] = [net('tanh'), net('linear')];
  }

  /** Data to latent: `z = f(x)` and `log |det df/dx|` per point. */
  normalize(x: nr.Tensor): { z: nr.Tensor; logDet: nr.Tensor } {
    let z = x;
    let logDet = nr.zeros([x.shape[0]!]);
    this.masks.forEach((mask, k) => {
      const free = this.frees[k]!;
      const kept = z.mul(mask);
      const s = this.scales[k]!.apply(kept).mul(free);
      const t = this.shifts[k]!.apply(kept).mul(free);
      z = kept.add(z.mul(s.exp()).add(t).mul(free));
      logDet = logDet.add(s.sum(-1));
    });
    return { z, logDet };
  }

  /** Latent to data: the couplings undone in reverse order. */
  generate(z: nr.Tensor): nr.Tensor {
    let x = z;
    for (let k = this.masks.length - 1; k >= 0; k--) {
      const mask = this.masks[k]!;
      const free = this.frees[k]!;
      const kept = x.mul(mask);
      const s = this.scales[k]!.apply(kept).mul(free);
      const t = this.shifts[k]!.apply(kept).mul(free);
      x = kept.add(x.sub(t).mul(s.neg().exp()).mul(free));
    }
    return x;
  }

  /** log p(x) per point, in nats. */
  logProb(x: nr.Tensor): nr.Tensor {
    const { z, logDet } = this.normalize(x);
    return z.square().sum(-1).mul(-0.5).sub(LOG_2PI).add(logDet);
  }

  override call(x: nr.Tensor): nr.Tensor {
    return this.normalize(x).z;
  }

  override trainStep([x]: nr.StepData): nr.StepLogs {
    const vars = this.trainableWeights;
    const { value, grads } = nr.valueAndGrad(() =>
      this.logProb(x as nr.Tensor)
        .mean()
        .neg(),
    )(...vars);
    this.optimizer!.apply(grads, vars);
    this.lossTracker.updateState(value);
    return { loss: this.lossTracker.result() };
  }

  override testStep([x]: nr.StepData): nr.StepLogs {
    this.lossTracker.updateState(
      this.logProb(x as nr.Tensor)
        .mean()
        .neg(),
    );
    return { loss: this.lossTracker.result() };
  }
}

export const realnvp = program({
  description: 'RealNVP normalizing flow on two moons: test NLL against a Gaussian fit, density heat map and samples',
  flags: {
    points: { kind: 'positive', default: 3000, help: 'training points (and a third as many test points)' },
    couplings: { kind: 'positive', default: 6, help: 'affine coupling layers' },
    hidden: { kind: 'positive', default: 64, help: 'units of the hidden layers of each scale and shift network' },
    epochs: { kind: 'positive', default: 100, help: 'epochs' },
    batchSize: { kind: 'positive', default: 128, help: 'batch size' },
    out: { kind: 'text', default: 'out/realnvp', help: 'directory for density.png and samples.png' },
    report: { kind: 'text', help: 'write a live HTML run report there' },
  },
  async run({ points, couplings, hidden, epochs, batchSize, out, report }, print) {
    if (points < 6)
      throw configError('realnvp', { expected: '--points must be at least 6 (a test third of 2 or more)', got: `--points ${points}` });
    nr.setSeed(11);
    const raw = twoMoons(points, 0.05);
    const rawTest = twoMoons(Math.floor(points / 3), 0.05);
    // Standardised with the training points' statistics, as Keras's example does; the NLLs below are
    // put back into the data's own units by the log-determinant of that affine map.
    const mean = raw.mean(0, true);
    const std = raw.sub(mean).square().mean(0, true).sqrt();
    const [x, xTest] = [raw.sub(mean).div(std), rawTest.sub(mean).div(std)];
    const unitsShift = std.log().sum().item();
    print(`${points} training and ${xTest.shape[0]} test points of two moons (noise 0.05)`);

    nr.setSeed(1);
    const flow = new RealNVP(couplings, hidden);
    flow.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }) });
    const callbacks: nr.callbacks.Callback[] = [epochLines(epochs, print, 'realnvp')];
    if (report) callbacks.push(new Report({ dir: report, title: 'neurona train realnvp' }));
    const start = performance.now();
    await flow.fit(x, { epochs, batchSize, verbose: 0, callbacks, validationData: [xTest] });
    const seconds = (performance.now() - start) / 1000;
    const nll = nr.noGrad(() => flow.logProb(xTest).mean().neg().item()) + unitsShift;
    print(`test NLL: RealNVP ${nll.toFixed(4)} nats per point (${flow.countParams()} parameters, ${seconds.toFixed(1)} s)`);
    print(`test NLL: single Gaussian fit ${gaussianNll(raw, rawTest).toFixed(4)} nats per point`);

    const [lo, hi, steps] = [-2.5, 2.5, 60];
    const density = nr.noGrad(() => flow.logProb(gridPoints(lo, hi, steps)).exp());
    const samples = nr.noGrad(() => flow.generate(nr.randn([xTest.shape[0]!, 2])));
    const densityPath = join(out, 'density.png');
    await saveHeat(
      densityPath,
      { lo, hi, steps, values: [...density.data()], label: 'p(x)' },
      xTest,
      'RealNVP density (standardised units), test points in red',
    );
    const samplesPath = join(out, 'samples.png');
    const both = nr.concat([xTest, samples], 0);
    const groups = [...Array<string>(xTest.shape[0]!).fill('test data'), ...Array<string>(samples.shape[0]!).fill('flow samples')];
    await saveScatter(samplesPath, both, groups, 'two moons: test data and samples through the inverse flow');
    print(`wrote ${densityPath} and ${samplesPath}`);
    if (report) print(`Report: ${report}/index.html`);
  },
});
