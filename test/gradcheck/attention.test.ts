import { test } from 'node:test';
import { gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central differences of scaledDotProductAttention with respect to q, k and v: plain, causal,
 * with a padding mask broadcast over heads, and a row with every key dropped (its gradient is 0); the
 * second order through the createGraph form of the rule.
 */

const MASK = nr.tensor([[[[1, 1, 0, 1, 0]]], [[[0, 0, 0, 0, 0]]]], undefined, 'float64');

const CASES: [string, nr.AttentionOptions][] = [
  ['plain', {}],
  ['causal, scale 0.5', { causal: true, scale: 0.5 }],
  ['padding mask over heads, one batch fully masked', { mask: MASK }],
  ['mask and causal', { mask: MASK, causal: true }],
];

CASES.forEach(([name, options], n) => {
  test(`gradcheck scaledDotProductAttention: ${name}`, () => {
    nr.setSeed(1800 + n);
    const inputs = [randomFloat64([2, 2, 4, 3], -1, 1), randomFloat64([2, 2, 5, 3], -1, 1), randomFloat64([2, 2, 5, 2], -1, 1)];
    gradCheck((q, k, v) => nr.scaledDotProductAttention(q!, k!, v!, options), inputs, { label: name });
  });
});

test('gradGradCheck scaledDotProductAttention (causal, masked)', () => {
  nr.setSeed(1810);
  const inputs = [randomFloat64([2, 1, 3, 2], -1, 1), randomFloat64([2, 1, 5, 2], -1, 1), randomFloat64([2, 1, 5, 2], -1, 1)];
  gradGradCheck((q, k, v) => nr.scaledDotProductAttention(q!, k!, v!, { mask: MASK, causal: true }), inputs);
});

test('gradcheck attentionSoftmax on given scores (masked, causal, scale 2), and its second order', () => {
  nr.setSeed(1820);
  const mask = nr.tensor([[1, 0, 1, 1]], undefined, 'float64');
  const fn = (s: nr.Tensor) => nr.attentionSoftmax(s, { mask, causal: true, scale: 2 });
  gradCheck(fn, [randomFloat64([2, 3, 4], -1, 1)], { label: 'attentionSoftmax' });
  gradGradCheck(fn, [randomFloat64([2, 3, 4], -1, 1)], { label: 'attentionSoftmax second order' });
});
