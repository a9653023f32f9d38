/*
 * Deck 001: XOR, which no single perceptron can compute, solved two ways:
 * 1. by hand: two step units (OR and NAND) feeding an AND unit, weights set by hand;
 * 2. by training a 2-2-1 network with tanh hidden units and a sigmoid output.
 *
 * Run: npx tsx examples/xor.ts [--epochs 1000]
 */
import * as nr from '../src/index.js';

const epochs = Number(process.argv[process.argv.indexOf('--epochs') + 1] ?? 1000) || 1000;
const x = nr.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
const y = nr.tensor([[0], [1], [1], [0]]);

// 1. Hand-set perceptron weights: h1 = step(x1 + x2 - 0.5) (OR), h2 = step(-x1 - x2 + 1.5) (NAND),
//    out = step(h1 + h2 - 1.5) (AND).
const hidden = new nr.layers.Dense({ units: 2, activation: 'step', inputShape: [2] });
const output = new nr.layers.Dense({ units: 1, activation: 'step' });
const byHand = new nr.Sequential([hidden, output]);
hidden.setWeights([nr.tensor([[1, -1], [1, -1]]), nr.tensor([-0.5, 1.5])]);
output.setWeights([nr.tensor([[1], [1]]), nr.tensor([-1.5])]);
console.log('hand-set perceptrons:', Array.from(byHand.predict(x).data()));

// 2. Trained 2-2-1 network. With only two hidden units, gradient descent often ends in a local
//    minimum where two of the four outputs sit at 0.5; like the deck, restart from new weights.
for (let seed = 1; seed <= 10; seed++) {
  nr.setSeed(seed);
  const model = new nr.Sequential([
    new nr.layers.Dense({ units: 2, activation: 'tanh', inputShape: [2] }),
    new nr.layers.Dense({ units: 1, activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.1 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs, batchSize: 4, verbose: 0 });
  const predictions = Array.from(model.predict(x).data()).map((p) => p.toFixed(3));
  const accuracy = history.history.accuracy!.at(-1)!;
  console.log(`trained 2-2-1, seed ${seed}: predictions ${predictions.join(' ')}, accuracy ${accuracy}`);
  if (accuracy === 1) break;
  console.log('  stuck in a local minimum; restarting from new initial weights');
}
