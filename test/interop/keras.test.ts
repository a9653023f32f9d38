import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { assert, nr } from '../helpers.js';

// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary fields of parsed JSON
type JsonEdit = Record<string, any>;

const dir = join(import.meta.dirname, '..', 'fixtures', 'keras');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { x: number[]; xShape: number[]; y: number[]; yShape: number[] }
>;

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  assert.ok(got.length > 0, what);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

for (const name of ['cnn', 'functional']) {
  test(`.keras: Keras 3's ${name} archive loads with numpy's outputs (1e-5)`, async () => {
    const model = await nr.interop.fromKeras(join(dir, `${name}.keras`));
    const { x, xShape, y, yShape } = expected[name]!;
    const out = model.predict(nr.tensor(x, xShape)) as nr.Tensor;
    assert.deepEqual(out.shape, yShape);
    close(out.data() as Float32Array, y, name);
    const fromBytes = await nr.interop.fromKeras(new Uint8Array(readFileSync(join(dir, `${name}.keras`))));
    assert.deepEqual((fromBytes.predict(nr.tensor(x, xShape)) as nr.Tensor).data(), out.data());
  });
}

test('.keras: damaged archives are FormatErrors that name the problem', async () => {
  const bytes = new Uint8Array(readFileSync(join(dir, 'functional.keras')));
  const files = unzipSync(bytes);
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  const rezip = (change: (c: JsonEdit) => void, extra: Record<string, Uint8Array | undefined> = {}) => {
    const c = JSON.parse(JSON.stringify(config));
    change(c);
    const out: Record<string, Uint8Array> = { ...files, 'config.json': new TextEncoder().encode(JSON.stringify(c)) };
    for (const [k, v] of Object.entries(extra)) {
      if (v) out[k] = v;
      else delete out[k];
    }
    return zipSync(out);
  };
  const out = (c: JsonEdit) => c.config.layers[5];
  const cases: [Uint8Array, RegExp][] = [
    [rezip((c) => (out(c).class_name = 'Blur')), /config\.json: layer "out" \(Blur\): an unsupported layer class/],
    [
      rezip((c) => (out(c).config.units = 3)),
      /layer "out" \(Dense\) weight "out\/kernel": the file's \/layers\/dense_2\/vars\/0 has shape \[8, 2\], the model's weight \[8, 3\]/,
    ],
    [
      rezip((c) => {
        c.config.layers.push({
          ...out(c),
          name: 'more',
          config: { ...out(c).config, name: 'more' },
          inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['out', 0, 0] } }], kwargs: {} }],
        });
        c.config.output_layers = [['more', 0, 0]];
      }),
      /layer "more" \(Dense\) has 2 weights, the file's layers\/dense_3\/vars does not exist/,
    ],
    [
      rezip((c) => (out(c).config.kernel_constraint = { class_name: 'NonNeg', config: {} })),
      /layer "out" \(Dense\): option kernel_constraint: neurona has no constraints/,
    ],
    [
      rezip((c) => (out(c).inbound_nodes[0].args[0].config.keras_history = ['nowhere', 0, 0])),
      /layer "out" consumes \["nowhere",0,0\], which no layer of the model produces/,
    ],
    [
      rezip(() => {}, { 'config.json': new TextEncoder().encode(JSON.stringify(config).slice(0, 300)) }),
      /config\.json: is not valid UTF-8 JSON/,
    ],
    [rezip(() => {}, { 'model.weights.h5': undefined }), /the archive has no model\.weights\.h5/],
    [
      rezip(() => {}, { 'metadata.json': new TextEncoder().encode('{"keras_version": "2.15.0"}') }),
      /metadata\.json: a Keras 3 archive, got "2\.15\.0"/,
    ],
    [bytes.slice(0, bytes.length >> 1), /is not a readable zip archive/],
    [rezip(() => {}, { 'model.weights.h5': files['model.weights.h5']!.slice(0, 600) }), /model\.weights\.h5/],
  ];
  for (const [archive, pattern] of cases) {
    await assert.rejects(nr.interop.fromKeras(archive), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, `${e.constructor.name}: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  }
});
