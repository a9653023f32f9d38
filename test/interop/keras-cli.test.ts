import { test } from 'node:test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../helpers.js';
import { cli } from './cli.js';

test('neurona convert: model directory -> .keras -> TF.js -> model directory keeps the predictions bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keras-cli-'));
  try {
    nr.setSeed(3);
    const model = new nr.Sequential([
      nr.Input({ shape: [6, 6, 2] }),
      new nr.layers.Conv2D(3, 3, { activation: 'relu' }),
      new nr.layers.BatchNormalization(),
      new nr.layers.Flatten(),
      new nr.layers.Dense(4, 'softmax'),
    ]);
    await model.save(join(dir, 'm'));
    const steps: [string, string][] = [
      [join(dir, 'm'), join(dir, 'm.keras')],
      [join(dir, 'm.keras'), join(dir, 'web', 'model.json')],
      [join(dir, 'web'), join(dir, 'back')],
    ];
    for (const [from, to] of steps) {
      const r = await cli('convert', from, to);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, `wrote ${to}\n`);
    }
    assert.ok(existsSync(join(dir, 'web', 'group1-shard1of1.bin')));
    const x = nr.randn([2, 6, 6, 2]);
    const back = await nr.loadModel(join(dir, 'back'));
    assert.deepEqual((back.predict(x) as nr.Tensor).data(), (model.predict(x) as nr.Tensor).data());
    const same = await cli('convert', join(dir, 'm.keras'), join(dir, 'n.keras'));
    assert.equal(same.code, 2);
    assert.match(
      same.err,
      /convert: needs an input and an output in two different formats: a model directory, an \.onnx file, a \.keras archive or TF\.js's model\.json/,
    );
    const layout = await cli('convert', join(dir, 'm'), join(dir, 'x.json'), '--layout', 'NCHW');
    assert.equal(layout.code, 2);
    assert.match(layout.err, /convert: --layout applies to the ONNX side of a conversion, and neither side is \.onnx, got --layout NCHW/);
    assert.ok(!existsSync(join(dir, 'x.json')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
