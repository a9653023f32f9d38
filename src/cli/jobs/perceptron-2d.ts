/*
 * Decks 001 and 003: Rosenblatt's perceptron on 2-D points. On linearly separable points the rule
 * w <- w + eta * y * x (on misclassified points) finds a separating line w.x + b = 0 in finitely
 * many epochs; on XOR no line exists, the rule never settles and the fit ends with a
 * non-convergence notice at maxIter.
 */
import * as nr from '../../index.js';
import { setNoticeSink } from '../../core/index.js';
import { program } from './example.js';

/** Points uniform in [-3, 3]^2 labelled by the side of `a x1 + b x2 + c = 0`, keeping a margin. */
function separable(points: number, a: number, b: number, c: number, margin: number, seed: number): { X: number[][]; y: number[] } {
  nr.setSeed(seed);
  const X: number[][] = [];
  const y: number[] = [];
  for (const [x1, x2] of nr.randu([8 * points, 2], { low: -3, high: 3 }).toArray() as number[][]) {
    const distance = (a * x1! + b * x2! + c) / Math.hypot(a, b);
    if (Math.abs(distance) < margin) continue;
    X.push([x1!, x2!]);
    y.push(distance > 0 ? 1 : 0);
    if (X.length === points) break;
  }
  return { X, y };
}

const line = (clf: nr.Perceptron) => {
  const [[w1, w2]] = clf.coef.toArray() as number[][];
  const [b] = clf.intercept.toArray() as number[];
  return `${w1!.toFixed(3)} * x1 + ${w2!.toFixed(3)} * x2 + ${b!.toFixed(3)} = 0`;
};

const CASES = [
  { name: 'through the origin, x2 = x1', line: [1, -1, 0] },
  { name: 'offset, x1 + 2 x2 = 2', line: [1, 2, -2] },
  { name: 'vertical, x1 = 1', line: [1, 0, -1] },
  { name: 'narrow margin 0.05, x2 = 0.5 x1 + 0.3', line: [0.5, -1, 0.3], margin: 0.05 },
];

export const perceptron2d = program({
  description: "decks 001 and 003: Rosenblatt's perceptron finds a line through separable 2-D points, and fails on XOR",
  flags: { points: { kind: 'positive', default: 200, help: 'points in each separable case' } },
  async run({ points }, print) {
    // Print notices here even under NEURONA_QUIET, since showing one is the point of the XOR case.
    const previousSink = setNoticeSink(print);
    try {
      for (const [i, c] of CASES.entries()) {
        const { X, y } = separable(points, c.line[0]!, c.line[1]!, c.line[2]!, c.margin ?? 0.3, 10 + i);
        const clf = new nr.Perceptron({ randomState: 0, tol: null, maxIter: 1 });
        // One epoch at a time (partialFit), stopping after the first epoch without a mistake.
        let epochs = 0;
        while (epochs < 1000) {
          clf.partialFit(X, y, { classes: [0, 1] });
          epochs++;
          if (clf.score(X, y) === 1) break;
        }
        print(`${c.name}: ${points} points, learned line ${line(clf)}, converged after ${epochs} epoch(s), accuracy ${clf.score(X, y)}`);
        const sk = new nr.Perceptron({ randomState: 0 }).fit(X, y);
        print(`  fit() with scikit-learn's stopping rule: ${sk.nIter} epochs, accuracy ${sk.score(X, y)}`);
      }

      const xorX = [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ];
      const xorY = [0, 1, 1, 0];
      const xor = new nr.Perceptron({ maxIter: 100, nIterNoChange: 1000, shuffle: false }).fit(xorX, xorY);
      print(
        `XOR: after ${xor.nIter} epochs the line is ${line(xor)}, predictions ${JSON.stringify(xor.predict(xorX))} ` +
          `for targets ${JSON.stringify(xorY)}, accuracy ${xor.score(xorX, xorY)} (< 1: no line separates XOR)`,
      );
    } finally {
      setNoticeSink(previousSink);
    }
  },
});
