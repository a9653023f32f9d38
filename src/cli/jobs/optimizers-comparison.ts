/*
 * Every optimizer on the same problem (a small two-moons-like classification), same initial
 * weights, same batches: the final loss and accuracy side by side.
 */
import * as nr from '../../index.js';
import { program } from './example.js';

export const optimizersComparison = program({
  description: 'every optimizer on the same two-moons problem from the same initial weights: final loss and accuracy',
  flags: { epochs: { kind: 'positive', default: 30, help: 'epochs for each optimizer' } },
  async run({ epochs }, print) {
    nr.setSeed(5);
    const n = 400;
    const angle = nr.randu([n, 1], { low: 0, high: Math.PI });
    const label = nr.randu([n, 1]).greater(0.5).cast('float32');
    // Two interleaved half circles with noise.
    const xs = angle.cos().mul(label.mul(-2).add(1)).add(label);
    const ys = angle.sin().mul(label.mul(-2).add(1)).add(label.mul(0.5).neg().add(0.25));
    const x = nr.concat([xs, ys], 1).add(nr.randn([n, 2], { std: 0.1 }));

    const optimizers: [string, () => nr.optimizers.Optimizer][] = [
      ['SGD', () => new nr.optimizers.SGD({ learningRate: 0.1 })],
      ['SGD momentum 0.9', () => new nr.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 })],
      ['SGD nesterov', () => new nr.optimizers.SGD({ learningRate: 0.1, momentum: 0.9, nesterov: true })],
      ['Adagrad', () => new nr.optimizers.Adagrad({ learningRate: 0.1 })],
      ['RMSprop', () => new nr.optimizers.RMSprop({ learningRate: 0.01 })],
      ['Adadelta', () => new nr.optimizers.Adadelta({ learningRate: 1 })],
      ['Adam', () => new nr.optimizers.Adam({ learningRate: 0.01 })],
      ['AdamW', () => new nr.optimizers.AdamW({ learningRate: 0.01 })],
    ];

    let initial: nr.Tensor[] | null = null;
    print('optimizer           loss     accuracy');
    for (const [name, make] of optimizers) {
      nr.setSeed(6); // the same shuffling for everyone
      const model = new nr.Sequential([
        new nr.layers.Dense(16, { activation: 'tanh', inputShape: [2] }),
        new nr.layers.Dense(1, { activation: 'sigmoid' }),
      ]);
      if (initial) model.setWeights(initial);
      else initial = model.getWeights();
      model.compile({ optimizer: make(), loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const history = await model.fit(x, label, { epochs, batchSize: 32, verbose: 0 });
      print(`${name.padEnd(20)}${history.history.loss!.at(-1)!.toFixed(4)}   ${history.history.accuracy!.at(-1)!.toFixed(4)}`);
    }
  },
});
