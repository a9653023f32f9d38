import { assertClose, float32Tolerance, includeWebgpu, nr } from '../helpers.js';
import { conformance, ODD_LENGTHS } from './harness.js';

includeWebgpu();

/*
 * The fused optimizer kernel (applyUpdate), through the optimizers: three float32 steps on every
 * backend against the Keras 3 formulas written out in float64 plain loops here.
 */

type Reference = (w: number[], g: number[], slots: number[][], lr: number, t: number) => void;

const cases: { name: string; make: () => nr.optimizers.Optimizer; slots: number; reference: Reference }[] = [
  {
    name: 'sgd momentum 0.9 nesterov',
    slots: 1,
    make: () => new nr.optimizers.SGD({ learningRate: 0.05, momentum: 0.9, nesterov: true }),
    reference: (w, g, [m], lr) =>
      w.forEach((_, i) => {
        m![i] = m![i]! * 0.9 - g[i]! * lr;
        w[i] = w[i]! + m![i]! * 0.9 - g[i]! * lr;
      }),
  },
  {
    name: 'sgd plain',
    slots: 0,
    make: () => new nr.optimizers.SGD({ learningRate: 0.05 }),
    reference: (w, g, _s, lr) =>
      w.forEach((_, i) => {
        w[i] = w[i]! - g[i]! * lr;
      }),
  },
  {
    name: 'adam amsgrad',
    slots: 3,
    make: () => new nr.optimizers.Adam({ learningRate: 0.01, amsgrad: true }),
    reference: (w, g, [m, v, vHat], lr, t) => {
      const alpha = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
      w.forEach((_, i) => {
        m![i] = m![i]! + (g[i]! - m![i]!) * 0.1;
        v![i] = v![i]! + (g[i]! ** 2 - v![i]!) * 0.001;
        vHat![i] = Math.max(vHat![i]!, v![i]!);
        w[i] = w[i]! - (m![i]! * alpha) / (Math.sqrt(vHat![i]!) + 1e-7);
      });
    },
  },
  {
    name: 'rmsprop centered momentum',
    slots: 3,
    make: () => new nr.optimizers.RMSprop({ learningRate: 0.01, momentum: 0.5, centered: true }),
    reference: (w, g, [v, mom, avg], lr) =>
      w.forEach((_, i) => {
        v![i] = v![i]! * 0.9 + g[i]! ** 2 * 0.1;
        avg![i] = avg![i]! * 0.9 + g[i]! * 0.1;
        mom![i] = mom![i]! * 0.5 + (g[i]! * lr) / Math.sqrt(v![i]! - avg![i]! ** 2 + 1e-7);
        w[i] = w[i]! - mom![i]!;
      }),
  },
  {
    name: 'adagrad',
    slots: 1,
    make: () => new nr.optimizers.Adagrad({ learningRate: 0.1 }),
    reference: (w, g, [acc], lr) =>
      w.forEach((_, i) => {
        acc![i] = acc![i]! + g[i]! ** 2;
        w[i] = w[i]! - (g[i]! * lr) / Math.sqrt(acc![i]! + 1e-7);
      }),
  },
  {
    name: 'adadelta',
    slots: 2,
    make: () => new nr.optimizers.Adadelta({ learningRate: 1 }),
    reference: (w, g, [ag, ad], lr) =>
      w.forEach((_, i) => {
        ag![i] = ag![i]! * 0.95 + g[i]! ** 2 * 0.05;
        const delta = (-Math.sqrt(ad![i]! + 1e-7) * g[i]!) / Math.sqrt(ag![i]! + 1e-7);
        ad![i] = ad![i]! * 0.95 + delta ** 2 * 0.05;
        w[i] = w[i]! + delta * lr;
      }),
  },
];

function values(n: number, seed: number): number[] {
  // A small LCG so the inputs do not depend on any backend's random kernels.
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

for (const c of cases) {
  conformance(`applyUpdate: ${c.name}, three steps, odd lengths`, () => {
    for (const n of ODD_LENGTHS) {
      const initial = values(n, n);
      const w = nr.variable(nr.tensor(initial));
      const optimizer = c.make();
      const expected = [...Float32Array.from(initial)];
      const slots = Array.from({ length: c.slots }, () => new Array<number>(n).fill(c.name === 'adagrad' ? 0.1 : 0));
      for (let t = 1; t <= 3; t++) {
        const g = values(n, n * 7 + t).map((x) => x * 3);
        optimizer.applyGradients([[nr.tensor(g), w]]);
        c.reference(expected, [...Float32Array.from(g)], slots, optimizer.learningRate, t);
      }
      assertClose(w, expected, { ...float32Tolerance(8), message: `${c.name} n=${n}` });
    }
  });
}
