import { describe, it, test } from 'node:test';
import {
  ConfigError,
  DTypeError,
  FormatError,
  NumericsError,
  ShapeError,
  configError,
  dtypeError,
  formatError,
  numericsError,
  problem,
  shapeError,
  show,
} from '../../src/core/errors.js';
import { assert, nr } from '../helpers.js';

const SUBCLASSES = [nr.ShapeError, nr.DTypeError, nr.ConfigError, nr.FormatError, nr.NumericsError] as const;

test('every error class extends NeuronaError and Error, and carries its own name', () => {
  const base = new nr.NeuronaError('base message');
  assert.ok(base instanceof Error);
  assert.ok(base instanceof nr.NeuronaError);
  assert.equal(base.name, 'NeuronaError');
  assert.equal(base.message, 'base message');
  assert.match(String(base), /^NeuronaError: base message/);
  const names = ['ShapeError', 'DTypeError', 'ConfigError', 'FormatError', 'NumericsError'];
  SUBCLASSES.forEach((Class, i) => {
    const e = new Class('something went wrong');
    assert.ok(e instanceof Error, `${names[i]} is an Error`);
    assert.ok(e instanceof nr.NeuronaError, `${names[i]} is a NeuronaError`);
    assert.ok(e instanceof Class);
    assert.equal(e.name, names[i]);
    assert.equal(Class.name, names[i]);
    assert.equal(e.message, 'something went wrong');
    assert.ok(typeof e.stack === 'string' && e.stack.includes(names[i]!), `${names[i]} has a stack naming the class`);
    // The subclasses are siblings: none is an instance of another.
    SUBCLASSES.forEach((Other, j) => {
      if (i !== j) assert.ok(!(e instanceof Other), `${names[i]} must not be an instance of ${names[j]}`);
    });
  });
});

type ErrorClass = new (message: string) => Error;

interface BadCase {
  name: string;
  run: () => unknown;
  expected: ErrorClass;
  /** Substrings the message must contain (op name, shapes, the bad value). */
  mentions: (string | RegExp)[];
}

const int32 = (values: number[]) => nr.tensor(values, undefined, 'int32');

const CASES: BadCase[] = [
  {
    name: 'add of shapes that do not broadcast',
    run: () => nr.ones([2, 3]).add(nr.ones([4])),
    expected: nr.ShapeError,
    mentions: ['add', '[2, 3]', '[4]'],
  },
  {
    name: 'matmul with mismatched inner dimensions',
    run: () => nr.matmul(nr.ones([2, 3]), nr.ones([4, 5])),
    expected: nr.ShapeError,
    mentions: ['matmul', '[2, 3]', '[4, 5]'],
  },
  {
    name: 'batched matmul with mismatched inner dimensions',
    run: () => nr.ones([7, 2, 3]).matmul(nr.ones([7, 2, 3])),
    expected: nr.ShapeError,
    mentions: ['matmul', '[7, 2, 3]'],
  },
  {
    name: 'matmul of int32 tensors',
    run: () => nr.matmul(nr.tensor([[1, 2]], undefined, 'int32'), nr.tensor([[1], [2]], undefined, 'int32')),
    expected: nr.DTypeError,
    mentions: ['matmul', 'int32'],
  },
  {
    name: 'where with a float condition',
    run: () => nr.where(nr.ones([2]), nr.ones([2]), nr.zeros([2])),
    expected: nr.DTypeError,
    mentions: ['where', 'float32', 'bool'],
  },
  {
    name: 'gather with float32 tensor indices',
    run: () => nr.ones([3, 2]).gather(nr.tensor([0, 1])),
    expected: nr.DTypeError,
    mentions: ['gather', 'float32', 'int32'],
  },
  {
    // A plain array with a fractional index must not be truncated silently to index 1.
    name: 'gather with non-integer plain-array indices',
    run: () => nr.ones([3, 2]).gather([1.5]),
    expected: nr.DTypeError,
    mentions: ['gather', '1.5'],
  },
  {
    name: 'gather index out of range',
    run: () => nr.ones([3, 2]).gather(int32([0, 5])),
    expected: nr.ShapeError,
    mentions: ['gather', /index 5\b/, /axis 0\b/, '[3, 2]'],
  },
  {
    name: 'gather negative index',
    run: () => nr.ones([3, 2]).gather(int32([-1]), 0),
    expected: nr.ShapeError,
    mentions: ['gather', /index -1\b/, '[3, 2]'],
  },
  {
    name: 'requiresGrad = true on an int32 tensor',
    run: () => {
      int32([1, 2]).requiresGrad = true;
    },
    expected: nr.DTypeError,
    mentions: ['requiresGrad', 'int32'],
  },
  {
    name: 'backward() on a non-scalar without a gradient',
    run: () => {
      const x = nr.ones([2, 3]);
      x.requiresGrad = true;
      x.mul(2).backward();
    },
    expected: nr.ShapeError,
    mentions: ['backward', '[2, 3]'],
  },
  {
    name: 'backward() with a gradient of the wrong shape',
    run: () => {
      const x = nr.ones([2, 3]);
      x.requiresGrad = true;
      x.mul(2).backward(nr.ones([3, 2]));
    },
    expected: nr.ShapeError,
    mentions: ['backward', '[2, 3]', '[3, 2]'],
  },
  {
    // docs/errors.md names no subclass for this case; the base class is accepted here.
    name: 'backward() on a tensor that does not require grad',
    run: () => nr.ones([1]).mul(3).backward(),
    expected: nr.NeuronaError,
    mentions: ['backward', /require/],
  },
  {
    name: 'reshape to an incompatible size',
    run: () => nr.ones([2, 3]).reshape([4]),
    expected: nr.ShapeError,
    mentions: ['reshape', '[2, 3]', '[4]'],
  },
  {
    name: 'reshape with -1 that does not divide',
    run: () => nr.ones([2, 3]).reshape([4, -1]),
    expected: nr.ShapeError,
    mentions: ['reshape', '[2, 3]', '[4, -1]'],
  },
  {
    name: 'ragged nested arrays (short row)',
    run: () => nr.tensor([[1, 2], [3]]),
    expected: nr.ShapeError,
    mentions: ['tensor', 'ragged'],
  },
  {
    name: 'ragged nested arrays (number where a row belongs)',
    run: () => nr.tensor([[1, 2], 3] as unknown as number[][]),
    expected: nr.ShapeError,
    mentions: ['tensor', 'ragged'],
  },
  {
    name: 'ragged nested arrays (row where a number belongs)',
    run: () => nr.tensor([1, [2, 3]] as unknown as number[]),
    expected: nr.ShapeError,
    mentions: ['tensor', 'ragged'],
  },
  {
    name: 'sum over an axis out of range',
    run: () => nr.ones([2, 3]).sum(2),
    expected: nr.ShapeError,
    mentions: ['sum', /axis 2\b/, /rank 2\b/],
  },
  {
    name: 'sum over a negative axis out of range',
    run: () => nr.ones([2, 3]).sum(-3),
    expected: nr.ShapeError,
    mentions: ['sum', /axis -3\b/],
  },
  {
    name: 'item() on a non-scalar',
    run: () => nr.ones([2, 2]).item(),
    expected: nr.ShapeError,
    mentions: ['item', '[2, 2]'],
  },
  {
    name: 'slice out of bounds',
    run: () => nr.ones([2, 3]).slice([1, 1], [2, 2]),
    expected: nr.ShapeError,
    mentions: ['slice', '[2, 3]'],
  },
  {
    name: 'slice starting past the end',
    run: () => nr.ones([4]).slice(5),
    expected: nr.ShapeError,
    mentions: ['slice', '[4]'],
  },
  {
    name: 'concat of mismatched shapes',
    run: () => nr.concat([nr.ones([2, 3]), nr.ones([2, 4])], 0),
    expected: nr.ShapeError,
    mentions: ['concat', '[2, 3]', '[2, 4]'],
  },
  {
    name: 'concat of mismatched dtypes',
    run: () => nr.concat([nr.ones([2, 3]), nr.ones([2, 3], 'int32')], 0),
    expected: nr.DTypeError,
    mentions: ['concat', 'float32', 'int32'],
  },
  {
    name: 'setNumThreads(0)',
    run: () => nr.setNumThreads(0),
    expected: nr.ConfigError,
    mentions: ['setNumThreads', /\b0\b/],
  },
  {
    name: 'setNumThreads(1.5)',
    run: () => nr.setNumThreads(1.5),
    expected: nr.ConfigError,
    mentions: ['setNumThreads', '1.5'],
  },
  {
    name: 'randu with high < low',
    run: () => nr.randu([3], { low: 2, high: 1 }),
    expected: nr.ConfigError,
    mentions: ['randu', /\b2\b/, /\b1\b/],
  },
  {
    name: 'randu with a NaN bound',
    run: () => nr.randu([3], { low: NaN, high: 1 }),
    expected: nr.ConfigError,
    mentions: ['randu', 'NaN'],
  },
  {
    name: 'tensor() given a string',
    run: () => nr.tensor('abc' as unknown as number),
    expected: nr.ConfigError,
    mentions: ['tensor', 'string'],
  },
  {
    name: 'tensor() given an array of strings',
    run: () => nr.tensor(['a', 'b'] as unknown as number[]),
    expected: nr.ConfigError,
    mentions: ['tensor', 'string'],
  },
  {
    name: 'tensor() given null',
    run: () => nr.tensor(null as unknown as number),
    expected: nr.ConfigError,
    mentions: ['tensor', 'null'],
  },
  {
    name: 'tensor() given undefined',
    run: () => nr.tensor(undefined as unknown as number),
    expected: nr.ConfigError,
    mentions: ['tensor', 'undefined'],
  },
  {
    name: 'tensor() with an unknown dtype',
    run: () => nr.tensor([1], undefined, 'float16' as nr.DType),
    expected: nr.ConfigError,
    mentions: ['tensor', 'float16'],
  },
  {
    name: 'tensor() with a shape that does not hold the values',
    run: () => nr.tensor(new Float32Array(6), [4]),
    expected: nr.ShapeError,
    mentions: ['tensor', '[4]', /\b6\b/],
  },
  {
    name: 'zeros with a negative dimension',
    run: () => nr.zeros([2, -1]),
    expected: nr.ShapeError,
    mentions: ['zeros', '[2, -1]'],
  },
  {
    name: 'zeros with a fractional dimension',
    run: () => nr.zeros([1.5]),
    expected: nr.ShapeError,
    mentions: ['zeros', '[1.5]'],
  },
  {
    name: 'randn with an int32 dtype',
    run: () => nr.randn([2], { dtype: 'int32' }),
    expected: nr.DTypeError,
    mentions: ['randn', 'int32'],
  },
  {
    name: 'arange with step 0',
    run: () => nr.arange(0, 5, 0),
    expected: nr.ConfigError,
    mentions: ['arange', /\b0\b/],
  },
  {
    name: 'add with a string operand',
    run: () => nr.ones([2]).add('a' as unknown as number),
    expected: nr.ConfigError,
    mentions: ['string'],
  },
  {
    name: 'transpose with a permutation that repeats an axis',
    run: () => nr.ones([2, 3]).transpose([0, 0]),
    expected: nr.ShapeError,
    mentions: ['transpose', '[2, 3]'],
  },
  {
    name: 'matmul with a scalar operand',
    run: () => nr.matmul(nr.tensor(2), nr.ones([2])),
    expected: nr.ShapeError,
    mentions: ['matmul', '[]', '[2]'],
  },
  {
    name: 'setBackend with an unknown name',
    run: () => nr.setBackend('gpu-of-dreams'),
    expected: nr.ConfigError,
    mentions: ['setBackend', 'gpu-of-dreams'],
  },
  {
    name: 'Variable.assign with the wrong shape',
    run: () => nr.variable(nr.zeros([2, 3])).assign(nr.ones([3, 2])),
    expected: nr.ShapeError,
    mentions: ['assign', '[2, 3]', '[3, 2]'],
  },
];

/** Runs `run` and returns what it threw (failing when nothing was thrown, with what came back). */
function thrown(run: () => unknown, label: string): unknown {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    return error;
  }
  const shown = result instanceof nr.Tensor ? String(result) : String(result);
  return assert.fail(`${label}: expected an error, but it returned ${shown}`);
}

for (const c of CASES) {
  test(`bad input: ${c.name} throws ${c.expected.name} with a message naming the op and the values`, () => {
    const threadsBefore = nr.getNumThreads();
    const backendBefore = nr.getBackend();
    try {
      const error = thrown(c.run, c.name);
      // Never a bare TypeError/RangeError from deep inside, always one of ours.
      assert.ok(!(error instanceof TypeError), `${c.name}: threw a TypeError: ${String(error)}`);
      assert.ok(error instanceof nr.NeuronaError, `${c.name}: expected a NeuronaError, got ${String(error)}`);
      assert.ok(
        error instanceof c.expected,
        `${c.name}: expected ${c.expected.name}, got ${(error as Error).name}: ${(error as Error).message}`,
      );
      const message = (error as Error).message;
      for (const m of c.mentions) {
        if (typeof m === 'string') assert.ok(message.includes(m), `${c.name}: message should mention ${JSON.stringify(m)}: ${message}`);
        else assert.match(message, m, `${c.name}: message should match ${m}: ${message}`);
      }
    } finally {
      // A rejected setting leaves the previous one in place.
      assert.equal(nr.getNumThreads(), threadsBefore, `${c.name}: the thread count changed`);
      assert.equal(nr.getBackend(), backendBefore, `${c.name}: the backend changed`);
    }
  });
}

test('the specific classes are distinct: a ShapeError case is not reported as a DTypeError', () => {
  const error = thrown(() => nr.ones([2, 3]).add(nr.ones([4])), 'add');
  assert.ok(error instanceof nr.ShapeError);
  assert.ok(!(error instanceof nr.DTypeError));
  assert.ok(!(error instanceof nr.ConfigError));
});

test('a rejected requiresGrad leaves the tensor unchanged, and a failed op leaves no half-made gradient', () => {
  const t = nr.tensor([1, 2], undefined, 'int32');
  assert.throws(() => {
    t.requiresGrad = true;
  }, nr.DTypeError);
  assert.equal(t.requiresGrad, false);
  const x = nr.ones([2, 3]);
  x.requiresGrad = true;
  assert.throws(() => x.mul(2).backward(nr.ones([3, 2])), nr.ShapeError);
  assert.equal(x.grad, null, 'a rejected backward must not write .grad');
});

describe('the message builder', () => {
  it('puts where, expected, got, rule and hint in one order', () => {
    const e = shapeError('conv2d', {
      expected: 'expected a rank-4 input',
      got: '[2, 3]',
      rule: 'images are [batch, height, width, channels]',
      hint: 'add a batch axis',
    });
    assert.ok(e instanceof ShapeError);
    assert.equal(e.message, 'conv2d: expected a rank-4 input, got [2, 3] (images are [batch, height, width, channels]); add a batch axis');
    assert.equal(problem('', { expected: 'x must be 1' }), 'x must be 1');
    assert.ok(configError('a', { expected: 'b' }) instanceof ConfigError);
    assert.ok(dtypeError('a', { expected: 'b' }) instanceof DTypeError);
    assert.ok(formatError('a', { expected: 'b' }) instanceof FormatError);
    assert.ok(numericsError('a', { expected: 'b' }) instanceof NumericsError);
  });

  it('shows values short and safe', () => {
    assert.equal(show('same'), '"same"');
    assert.equal(show(3), '3');
    assert.equal(show(undefined), 'undefined');
    assert.equal(show(NaN), 'NaN');
    assert.equal(show(10n), '10n');
    assert.equal(
      show(function relu() {}),
      'a function relu',
    );
    assert.equal(show({ a: [1, 2] }), '{"a":[1,2]}');
    assert.equal(show(nr.zeros([2, 3])), 'a float32 tensor of shape [2, 3]');
    assert.equal(show(new Float32Array(4)), 'a Float32Array of length 4');
    assert.equal(show(new Int32Array(2)), 'an Int32Array of length 2');
    assert.equal(show(new Map()), 'a Map');
    assert.equal(show(Object.create(null)), '{}');
    assert.equal(show('x'.repeat(500)), JSON.stringify(`${'x'.repeat(60)}...`));
    assert.equal(show(new Array(100).fill(1)).length, 83);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal(show(cyclic), '[object Object]');
  });
});

test("error names: neurona's classes name themselves (minifier-proof); a subclass keeps its own class name", () => {
  assert.equal(new nr.ConfigError('x').name, 'ConfigError');
  assert.equal(new nr.FormatError('x').name, 'FormatError');
  class DatasetMissing extends nr.FormatError {}
  const e = new DatasetMissing('x');
  assert.equal(e.name, 'DatasetMissing');
  assert.ok(e instanceof nr.FormatError);
});
