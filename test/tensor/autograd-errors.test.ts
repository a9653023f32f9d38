import { test } from 'node:test';
import { assert, nr } from '../helpers.js';
import { record } from '../../src/tensor/autograd.js';

/** Asserts that run throws an error of kind whose whole message matches message. */
function throwsExactly(run: () => unknown, kind: new (message: string) => Error, message: RegExp): void {
  assert.throws(run, (e: Error) => e instanceof kind && message.test(e.message), String(message));
}

test('autograd errors say what the call needed, what it got and what to change', () => {
  const x = nr.ones([2, 3]);
  x.requiresGrad = true;
  throwsExactly(
    () => x.mul(2).backward(),
    nr.ShapeError,
    /^backward: a gradient can only be implied for a one-element output, got a tensor of shape \[2, 3\] and no gradient; reduce it/,
  );
  throwsExactly(
    () => x.mul(2).backward(nr.ones([3, 2])),
    nr.ShapeError,
    /^backward: the gradient must have the output's shape \[2, 3\], got \[3, 2\]$/,
  );
  throwsExactly(
    () => nr.ones([1]).mul(3).backward(),
    nr.ConfigError,
    /^backward: the output must require grad, got a tensor \[1\] without requiresGrad and with no recorded op; set requiresGrad = true/,
  );
  throwsExactly(
    () => x.sum().backward([1] as never),
    nr.ConfigError,
    /^backward: the output's gradient must be a Tensor .*, got \[1\]; e\.g\. /,
  );
  throwsExactly(
    () => nr.valueAndGrad((t: nr.Tensor) => t.sum().item() as never)(nr.ones([2])),
    nr.ConfigError,
    /^valueAndGrad: the function must return a Tensor \(a scalar loss\), got 2$/,
  );
  throwsExactly(
    () => nr.valueAndGrad((t: nr.Tensor) => ({ loss: t.sum() }) as never)(nr.ones([2])),
    nr.ConfigError,
    /must return a Tensor \(a scalar loss\), got an object with keys \["loss"\]$/,
  );
  // A custom op whose rule returns a gradient of the wrong shape is caught where the gradient arrives.
  const z = nr.ones([2]);
  z.requiresGrad = true;
  const broken = record(
    'brokenRule',
    nr.noGrad(() => z.mul(2)),
    [z],
    () => [nr.ones([5])],
  );
  throwsExactly(
    () => broken.sum().backward(),
    nr.ShapeError,
    /^backward: the gradient rule of 'brokenRule' must produce its input's shape \[2\], got \[5\]$/,
  );
});
