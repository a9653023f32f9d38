import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../helpers.js';
import { cli } from './cli.js';

test('neurona convert: model directory -> .onnx -> model directory keeps the predictions', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-cli-'));
  try {
    nr.setSeed(9);
    const model = new nr.Sequential([
      nr.Input({ shape: [6, 6, 2] }),
      new nr.layers.Conv2D(3, 3, { activation: 'relu' }),
      new nr.layers.Flatten(),
      new nr.layers.Dense(4),
    ]);
    await model.save(join(dir, 'm'));
    const a = await cli('convert', join(dir, 'm'), join(dir, 'm.onnx'));
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /wrote .*m\.onnx/);
    const b = await cli('convert', join(dir, 'm.onnx'), join(dir, 'back'));
    assert.equal(b.code, 0, b.err);
    const x = nr.randn([2, 6, 6, 2]);
    const back = await nr.loadModel(join(dir, 'back'));
    const want = model.predict(x) as nr.Tensor;
    const got = back.predict(x) as nr.Tensor;
    assert.deepEqual(got.shape, want.shape);
    const w = want.data() as Float32Array;
    (got.data() as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-5 * (1 + Math.abs(w[i]!)), `${v} vs ${w[i]}`));
    const bad = await cli('convert', join(dir, 'm'), join(dir, 'other'));
    assert.equal(bad.code, 2);
    assert.match(
      bad.err,
      /convert: needs an input and an output in two different formats: a model directory, an \.onnx file, a \.keras archive or TF\.js's model\.json/,
    );
    const layout = await cli('convert', join(dir, 'm.onnx'), join(dir, 'x'), '--layout', 'CHW');
    assert.equal(layout.code, 2);
    assert.match(layout.err, /--layout/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
