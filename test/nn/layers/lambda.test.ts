import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;
const halfSquare = nr.registerLambda('test.halfSquare', (x: nr.Tensor) => x.square().mul(0.5));
const scaleBy = nr.registerLambda('test.scaleBy', (x: nr.Tensor, args?: Record<string, unknown>) => x.mul(args!.factor as number));

test('Lambda passes the shared layer test (a registered function, with arguments, with an output shape)', () => {
  runLayerTest(() => new L.Lambda(halfSquare), { inputShape: [2, 3], expectedOutputShape: [2, 3] });
  runLayerTest(() => new L.Lambda({ function: scaleBy, arguments: { factor: 3 } }), { inputShape: [2, 4], expectedOutputShape: [2, 4] });
  const sumLast = nr.registerLambda('test.sumLast', (x: nr.Tensor) => x.sum(-1, true));
  runLayerTest(() => new L.Lambda(sumLast, { outputShape: [2, 1] }), { inputShape: [3, 2, 5], expectedOutputShape: [3, 2, 1] });
});

test('Lambda: values, inferred output shapes in functional models, a list of inputs, and a mask function', () => {
  assertClose(new L.Lambda(halfSquare).apply(nr.tensor([1, 2, 4])), [0.5, 2, 8]);
  const input = nr.Input({ shape: [6] });
  const reshaped = new L.Lambda((x: nr.Tensor) => x.reshape([-1, 2, 3])).apply(input);
  assert.deepEqual(reshaped.shape, [null, 2, 3], 'output shape found by a trial call');
  const [a, b] = [nr.Input({ shape: [3] }), nr.Input({ shape: [3] })];
  const diff = new L.Lambda((xs: nr.Tensor[]) => xs[0]!.sub(xs[1]!)).apply([a, b]);
  const model = new nr.Model({ inputs: [a, b], outputs: diff });
  assertClose(model.predict([nr.tensor([[5, 5, 5]]), nr.tensor([[1, 2, 3]])]), [4, 3, 2]);
  const ones = (inputs: nr.Tensor | readonly nr.Tensor[]) => nr.ones([(inputs as nr.Tensor).shape[0]!, 2]);
  const masked = new L.Lambda((x: nr.Tensor) => x, { mask: ones }).apply(nr.zeros([1, 2, 3]));
  assert.deepEqual(nr.getMask(masked)?.toArray(), [[1, 1]]);
  assert.equal(nr.getMask(new L.Lambda(halfSquare).apply(masked)), null, 'without a mask function the mask is dropped, as Keras');
});

test('Lambda saves the function name and loads it from the registry or customObjects, never running stored code', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-lambda-'));
  try {
    const input = nr.Input({ shape: [3] });
    const h = new L.Lambda({ function: scaleBy, arguments: { factor: -2 } }).apply(new L.Dense({ units: 3 }).apply(input));
    function shift(x: nr.Tensor) {
      return x.add(1);
    }
    const model = new nr.Model({ inputs: input, outputs: new L.Lambda(shift).apply(new L.Lambda(halfSquare).apply(h)) });
    const probe = nr.randn([4, 3]);
    const before = model.predict(probe).data();
    await model.save(join(dir, 'm'));
    await assert.rejects(
      nr.loadModel(join(dir, 'm')),
      (e: Error) =>
        e instanceof nr.FormatError &&
        /function "shift" is not registered; loading never runs stored code.*nr\.registerLambda\("shift", fn\).*customObjects: \{shift: fn\}/s.test(
          e.message,
        ),
    );
    const loaded = await nr.loadModel(join(dir, 'm'), { customObjects: { shift } });
    assert.deepEqual(
      loaded.layers.slice(2).map((l) => l.getConfig().function),
      ['test.scaleBy', 'test.halfSquare', 'shift'],
    );
    const after = loaded.predict(probe).data();
    assert.ok(before.length === 12 && before.every((v, i) => Object.is(v, after[i])), 'bitwise-equal predictions');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Lambda misuse: an anonymous function at save time, a function outputShape, a non-function', () => {
  const anonymous = new L.Lambda({ function: (x: nr.Tensor) => x.mul(2), name: 'anon' });
  assert.throws(
    () => anonymous.getConfig(),
    (e: Error) =>
      e instanceof nr.ConfigError && /Lambda "anon": cannot save an anonymous function.*nr\.registerLambda\('myFn', fn\)/s.test(e.message),
  );
  assert.throws(
    () => new L.Lambda(halfSquare, { outputShape: (s) => s, name: 'fs' }).getConfig(),
    (e: Error) => e instanceof nr.ConfigError && /Lambda "fs": cannot save an outputShape given as a function/.test(e.message),
  );
  assert.throws(
    () => new L.Lambda({ function: 'no.such.fn', name: 'missing' }),
    (e: Error) => e instanceof nr.ConfigError && /Lambda "missing": function "no\.such\.fn" is not registered/.test(e.message),
  );
  assert.throws(
    () => new L.Lambda({ function: 42 as never }),
    (e: Error) => e instanceof nr.ConfigError && /function must be a function or a registered name/.test(e.message),
  );
  assert.throws(
    () => nr.registerLambda('', halfSquare),
    (e: Error) => e instanceof nr.ConfigError && /registerLambda: a non-empty name and a function/.test(e.message),
  );
});
