import { test } from 'node:test';
import { assert, nr } from './helpers.js';

test('the package entry exposes tensors and autograd', () => {
  const x = nr.tensor([1, 2, 3]);
  x.requiresGrad = true;
  x.square().sum().backward();
  assert.deepEqual(x.grad!.toArray(), [2, 4, 6]);
});
