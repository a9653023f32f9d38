/*
 * The worked example of the course's first deck: a 2-1-1 network
 *   f = S(w20 + w21 * tanh(w10 + w11 x1 + w12 x2)),  e = 1/2 (y - f)^2,   S = sigmoid,
 * differentiated by autograd and by the chain rule written out by hand, side by side, followed by
 * a few steps of gradient descent.
 */
import * as nr from '../../index.js';
import { program } from './example.js';

export const backpropByHand = program({
  description: 'deck 001: a 2-1-1 network differentiated by autograd and by hand, then gradient descent',
  flags: { steps: { kind: 'positive', default: 20, help: 'gradient-descent steps' } },
  async run({ steps }, print) {
    const x1 = 0.5,
      x2 = -1.2,
      y = 1;
    const names = ['w10', 'w11', 'w12', 'w20', 'w21'] as const;
    const start = [0.1, -0.3, 0.8, 0.2, 0.7];
    const w = start.map((v, i) => nr.variable(nr.tensor(v, undefined, 'float64'), { name: names[i] }));

    const error = (): nr.Tensor => {
      const [w10, w11, w12, w20, w21] = w as [nr.Variable, nr.Variable, nr.Variable, nr.Variable, nr.Variable];
      const hidden = w10.add(w11.mul(x1)).add(w12.mul(x2)).tanh();
      const f = w20.add(w21.mul(hidden)).sigmoid();
      return nr.tensor(y, undefined, 'float64').sub(f).square().mul(0.5);
    };

    const byHand = (): number[] => {
      const [w10, w11, w12, w20, w21] = w.map((v) => v.item()) as [number, number, number, number, number];
      const zg = w10 + w11 * x1 + w12 * x2;
      const g = Math.tanh(zg);
      const f = 1 / (1 + Math.exp(-(w20 + w21 * g)));
      const delta = -(y - f) * f * (1 - f); // de/dzf
      const back = delta * w21 * (1 - g * g); // de/dzg
      return [back, back * x1, back * x2, delta, delta * g];
    };

    const e = error();
    e.backward();
    print(`e = ${e.item().toFixed(6)}`);
    print('weight   autograd        by hand');
    w.forEach((v, i) => print(`${v.name.padEnd(8)} ${v.grad!.item().toFixed(10).padStart(14)}  ${byHand()[i]!.toFixed(10).padStart(14)}`));

    const learningRate = 0.5;
    for (let step = 1; step <= steps; step++) {
      w.forEach((v) => {
        v.grad = null;
      });
      const loss = error();
      loss.backward();
      nr.noGrad(() => w.forEach((v) => v.assign(v.sub(v.grad!.mul(learningRate)))));
      if (step === 1 || step === steps) print(`step ${step}: e = ${error().item().toFixed(6)}`);
    }
  },
});
