/*
 * Deck 001: XOR, which no single perceptron can compute, solved two ways:
 * 1. by hand: two step units (OR and NAND) feeding an AND unit, weights set by hand;
 * 2. by training a 2-2-1 network with tanh hidden units and a sigmoid output.
 */
import * as nr from '../../index.js';
import { program } from './example.js';

export const xor = program({
  description: 'deck 001: XOR by hand-set perceptron weights, and by a trained 2-2-1 network',
  flags: { epochs: { kind: 'positive', default: 1000, help: 'epochs of each training run' } },
  async run({ epochs }, print) {
    const x = nr.tensor([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const y = nr.tensor([[0], [1], [1], [0]]);

    // 1. Hand-set perceptron weights: h1 = step(x1 + x2 - 0.5) (OR), h2 = step(-x1 - x2 + 1.5) (NAND),
    //    out = step(h1 + h2 - 1.5) (AND).
    const hidden = new nr.layers.Dense(2, { activation: 'step', inputShape: [2] });
    const output = new nr.layers.Dense(1, { activation: 'step' });
    const byHand = new nr.Sequential([hidden, output]);
    hidden.setWeights([
      nr.tensor([
        [1, -1],
        [1, -1],
      ]),
      nr.tensor([-0.5, 1.5]),
    ]);
    output.setWeights([nr.tensor([[1], [1]]), nr.tensor([-1.5])]);
    print(`hand-set perceptrons: [ ${Array.from(byHand.predict(x).data()).join(', ')} ]`);

    // 2. Trained 2-2-1 network. With only two hidden units, gradient descent often ends in a local
    //    minimum where two of the four outputs sit at 0.5; like the deck, restart from new weights.
    for (let seed = 1; seed <= 10; seed++) {
      nr.setSeed(seed);
      const model = new nr.Sequential([
        new nr.layers.Dense(2, { activation: 'tanh', inputShape: [2] }),
        new nr.layers.Dense(1, { activation: 'sigmoid' }),
      ]);
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.1 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const history = await model.fit(x, y, { epochs, batchSize: 4, verbose: 0 });
      const predictions = Array.from(model.predict(x).data()).map((p) => p.toFixed(3));
      const accuracy = history.history.accuracy!.at(-1)!;
      print(`trained 2-2-1, seed ${seed}: predictions ${predictions.join(' ')}, accuracy ${accuracy}`);
      if (accuracy === 1) break;
      print('  stuck in a local minimum; restarting from new initial weights');
    }
  },
});
