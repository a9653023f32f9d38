import { test } from 'node:test';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert, nr } from '../../helpers.js';
import { main } from '../../../src/cli/commands.js';

const L = nr.layers;
const tmp = () => mkdtempSync(join(tmpdir(), 'neurona-save-'));
const bits = (t: nr.Tensor) => Array.from(new Uint8Array(t.data().slice().buffer));

function sameBits(a: nr.Tensor | nr.Tensor[], b: nr.Tensor | nr.Tensor[], what: string): void {
  const as = Array.isArray(a) ? a : [a];
  const bs = Array.isArray(b) ? b : [b];
  assert.equal(as.length, bs.length, what);
  as.forEach((t, i) => {
    assert.deepEqual(t.shape, bs[i]!.shape, what);
    assert.deepEqual(bits(t), bits(bs[i]!), `${what}: output ${i} differs`);
  });
}

function sameWeights(a: nr.Model, b: nr.Model, what: string): void {
  const wa = a.getWeights();
  const wb = b.getWeights();
  assert.equal(wa.length, wb.length, what);
  wa.forEach((t, i) => assert.deepEqual(bits(t), bits(wb[i]!), `${what}: weight ${i} differs`));
}

interface Case {
  name: string;
  make: () => nr.Model;
  x: () => nr.Tensor;
  y: () => nr.Tensor | nr.Tensor[];
  compile: nr.CompileOptions;
}

const x4 = () => {
  nr.setSeed(7);
  return nr.randn([8, 4]);
};
const y2 = () => {
  nr.setSeed(8);
  return nr.randn([8, 2]);
};

const CASES: Case[] = [
  {
    name: 'Sequential of every core layer (Dense, Activation, ReLU, LeakyReLU, Softmax, Flatten, Reshape, Dropout, Maxout)',
    make: () =>
      new nr.Sequential([
        new L.Reshape({ targetShape: [2, 2], inputShape: [4] }),
        new L.Flatten(),
        new L.Dense({ units: 6, activation: 'tanh' }),
        new L.Activation({ activation: 'relu' }),
        new L.Dropout({ rate: 0.3 }),
        new L.Maxout({ units: 5, pieces: 2 }),
        new L.LeakyReLU({ alpha: 0.2 }),
        new L.ReLU(),
        new L.Dense({ units: 2 }),
        new L.Softmax(),
      ]),
    x: x4,
    y: () =>
      nr.tensor([
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
        [1, 0],
        [0, 1],
      ]),
    compile: { optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] },
  },
  {
    name: 'Sequential starting with an InputLayer, built without inputShape, SGD with momentum',
    make: () =>
      new nr.Sequential([new L.InputLayer({ inputShape: [4] }), new L.Dense({ units: 3, activation: 'relu' }), new L.Dense({ units: 2 })]),
    x: x4,
    y: y2,
    compile: { optimizer: new nr.optimizers.SGD({ learningRate: 0.05, momentum: 0.9 }), loss: 'mse' },
  },
  {
    name: 'Sequential with no declared input (built by fit)',
    make: () => new nr.Sequential([new L.Dense({ units: 3, activation: 'relu' }), new L.Dense({ units: 2 })]),
    x: x4,
    y: y2,
    compile: { optimizer: 'rmsprop', loss: new nr.losses.MeanSquaredError() },
  },
  {
    name: 'functional with a shared layer and two outputs',
    make: () => {
      const input = nr.Input({ shape: [4] });
      const shared = new L.Dense({ units: 4, activation: 'tanh' });
      const h = shared.apply(shared.apply(input));
      const a = new L.Dense({ units: 2, name: 'out_a' }).apply(h);
      const b = new L.Dense({ units: 1, activation: 'sigmoid', name: 'out_b' }).apply(new L.Dropout({ rate: 0.2 }).apply(h));
      return new nr.Model({ inputs: input, outputs: [a, b] });
    },
    x: x4,
    y: () => [y2(), nr.tensor([[1], [0], [1], [0], [1], [0], [1], [0]])],
    compile: {
      optimizer: 'adamw',
      loss: { out_a: 'mse', out_b: 'binary_crossentropy' },
      lossWeights: { out_a: 1, out_b: 0.5 },
      metrics: { out_a: [], out_b: ['accuracy'] },
    },
  },
  {
    name: 'nested: a Sequential inside a functional model inside a Sequential',
    make: () => {
      const inner = new nr.Sequential([new L.Dense({ units: 5, activation: 'relu', inputShape: [4] }), new L.Dense({ units: 3 })], {
        name: 'inner',
      });
      const input = nr.Input({ shape: [4] });
      const mid = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2, name: 'head' }).apply(inner.apply(input)), name: 'mid' });
      return new nr.Sequential([new L.InputLayer({ inputShape: [4] }), mid, new L.Activation({ activation: 'linear' })], { name: 'outer' });
    },
    x: x4,
    y: y2,
    compile: { optimizer: 'adagrad', loss: 'mae' },
  },
];

for (const c of CASES) {
  test(`round trip (${c.name}): bitwise predictions and continued training`, async () => {
    const dir = tmp();
    try {
      nr.setSeed(1);
      const model = c.make();
      model.compile(c.compile);
      await model.fit(c.x(), c.y(), { epochs: 2, batchSize: 4, verbose: 0 });
      await model.save(dir);
      assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.safetensors']);
      const loaded = await nr.loadModel(dir);
      assert.equal(loaded.className, model.className);
      assert.deepEqual(
        loaded.layers.map((l) => l.name),
        model.layers.map((l) => l.name),
      );
      sameWeights(model, loaded, 'loaded weights');
      sameBits(model.predict(c.x()), loaded.predict(c.x()), 'predictions');
      assert.equal(loaded.optimizer!.iterations, model.optimizer!.iterations);
      assert.equal(loaded.optimizer!.className, model.optimizer!.className);
      nr.setSeed(99);
      const h1 = await model.fit(c.x(), c.y(), { epochs: 2, batchSize: 4, verbose: 0 });
      nr.setSeed(99);
      const h2 = await loaded.fit(c.x(), c.y(), { epochs: 2, batchSize: 4, verbose: 0 });
      assert.deepEqual(h2.history, h1.history);
      sameWeights(model, loaded, 'weights after 2 more epochs');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('model.json: schema fields, weight names, compile config; includeOptimizer false', async () => {
  const dir = tmp();
  try {
    nr.setSeed(1);
    const model = new nr.Sequential([new L.Dense({ units: 2, inputShape: [3], name: 'dense' })]);
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss: 'mse', metrics: ['mae'] });
    await model.fit(nr.ones([4, 3]), nr.zeros([4, 2]), { epochs: 1, verbose: 0 });
    await model.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'neurona');
    assert.equal(json.formatVersion, 1);
    assert.equal(json.modelConfig.className, 'Sequential');
    assert.deepEqual(json.weights, ['dense/kernel', 'dense/bias']);
    assert.equal(json.compileConfig.optimizer.className, 'Adam');
    assert.deepEqual(json.compileConfig.metrics, [['mae']]);
    const { tensors } = nr_decode(join(dir, 'model.safetensors'));
    assert.deepEqual(Object.keys(tensors).sort(), [
      'dense/bias',
      'dense/kernel',
      'optimizer/dense/bias/m',
      'optimizer/dense/bias/v',
      'optimizer/dense/kernel/m',
      'optimizer/dense/kernel/v',
      'optimizer/iterations',
    ]);
    await model.save(dir, { includeOptimizer: false });
    assert.deepEqual(Object.keys(nr_decode(join(dir, 'model.safetensors')).tensors).sort(), ['dense/bias', 'dense/kernel']);
    const loaded = await nr.loadModel(dir);
    assert.equal(loaded.optimizer!.iterations, 0); // compiled again, fresh optimizer state
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import { decodeSafetensors } from '../../../src/io/safetensors.js';
function nr_decode(path: string) {
  return decodeSafetensors(new Uint8Array(readFileSync(path)), path);
}

async function savedModel(): Promise<{ dir: string; model: nr.Model }> {
  const dir = tmp();
  nr.setSeed(3);
  const model = new nr.Sequential([new L.Dense({ units: 3, inputShape: [2], name: 'd1' }), new L.Dense({ units: 1, name: 'd2' })]);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  await model.fit(nr.ones([4, 2]), nr.zeros([4, 1]), { epochs: 1, verbose: 0 });
  await model.save(dir);
  return { dir, model };
}

test('corrupt or missing files are rejected with FormatError', async () => {
  const { dir } = await savedModel();
  try {
    const jsonText = readFileSync(join(dir, 'model.json'), 'utf8');
    const weights = readFileSync(join(dir, 'model.safetensors'));
    const expectFormat = async (what: string, pattern?: RegExp) => {
      await assert.rejects(nr.loadModel(dir), (e: unknown) => {
        assert.ok(e instanceof nr.FormatError, `${what}: expected FormatError, got ${String(e)}`);
        if (pattern) assert.match((e as Error).message, pattern, what);
        return true;
      });
    };
    const setJson = (v: unknown) => writeFileSync(join(dir, 'model.json'), typeof v === 'string' ? v : JSON.stringify(v));
    const base = JSON.parse(jsonText);
    setJson('{ not json');
    await expectFormat('bad JSON', /not valid JSON/);
    setJson({ ...base, format: 'keras' });
    await expectFormat('format name', /"format"/);
    setJson({ ...base, formatVersion: 2 });
    await expectFormat('version', /newer/);
    setJson({ ...base, weights: 'x' });
    await expectFormat('weights type', /weights/);
    setJson({ ...base, compileConfig: { optimizer: 'adam' } });
    await expectFormat('compileConfig type', /optimizer/);
    setJson({ ...base, modelConfig: { className: 'Sequential', config: { layers: [{ className: 'Dense', config: { units: 'many' } }] } } });
    await expectFormat(
      'bad layer option',
      /model\.json: layer "\(unnamed\)" \(Dense\) at modelConfig\.config\.layers\[0\], field "units": .*units must be a positive integer/,
    );
    setJson({ ...base, weights: ['d1/kernel'] });
    await expectFormat('weight list', /weight list/);
    setJson(jsonText);
    writeFileSync(join(dir, 'model.safetensors'), weights.subarray(0, weights.length - 3));
    await expectFormat('truncated weights');
    writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(0));
    await expectFormat('empty weights');
    rmSync(join(dir, 'model.safetensors'));
    await expectFormat('missing weights', /no such file/);
    rmSync(join(dir, 'model.json'));
    await expectFormat('missing model.json', /no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loadWeights with mis-shaped weights reports each one and assigns nothing', async () => {
  const { dir, model } = await savedModel();
  const other = tmp();
  try {
    const wide = new nr.Sequential([new L.Dense({ units: 4, inputShape: [2], name: 'd1' }), new L.Dense({ units: 1, name: 'd2' })]);
    await wide.saveWeights(join(other, 'w.safetensors'));
    const before = model.getWeights();
    await assert.rejects(model.loadWeights(join(other, 'w.safetensors')), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match((e as Error).message, /nothing was loaded/);
      assert.match((e as Error).message, /mis-shaped 3: "d1\/kernel": expected shape \[2, 3\], got \[2, 4\]; "d1\/bias"/);
      assert.match((e as Error).message, /"d2\/kernel": expected shape \[3, 1\], got \[4, 1\]/);
      return true;
    });
    model.getWeights().forEach((t, i) => assert.deepEqual(bits(t), bits(before[i]!)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});

test('saveWeights / loadWeights: round trip by name, and a report of missing and unexpected entries', async () => {
  const dir = tmp();
  try {
    nr.setSeed(5);
    const a = new nr.Sequential([new L.Dense({ units: 3, inputShape: [2], name: 'd1' }), new L.Dense({ units: 1, name: 'd2' })]);
    const path = join(dir, 'w.safetensors');
    await a.saveWeights(path);
    nr.setSeed(6);
    const b = new nr.Sequential([new L.Dense({ units: 3, inputShape: [2], name: 'd1' }), new L.Dense({ units: 1, name: 'd2' })]);
    await b.loadWeights(path);
    sameWeights(a, b, 'loadWeights');
    const c = new nr.Sequential([new L.Dense({ units: 3, inputShape: [2], name: 'd1' }), new L.Dense({ units: 1, name: 'other' })]);
    const before = c.getWeights();
    await assert.rejects(c.loadWeights(path), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match((e as Error).message, /missing 2: "other\/kernel", "other\/bias"/);
      assert.match((e as Error).message, /unexpected 2: "d2\/(kernel|bias)", "d2\/(kernel|bias)"/);
      return true;
    });
    c.getWeights().forEach((t, i) => assert.deepEqual(bits(t), bits(before[i]!), 'nothing assigned'));
    writeFileSync(join(dir, 'bad.safetensors'), 'garbage!garbage!');
    await assert.rejects(b.loadWeights(join(dir, 'bad.safetensors')), nr.FormatError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unknown layer class is named, with how to register it; a registered custom layer round-trips', async () => {
  class Scale extends L.Layer {
    factor: number;
    constructor(options: { factor?: number } & nr.layers.LayerOptions = {}) {
      super(options);
      this.factor = options.factor ?? 2;
    }
    call(x: nr.Tensor): nr.Tensor {
      return x.mul(this.factor);
    }
    override getConfig() {
      return { ...super.getConfig(), factor: this.factor };
    }
  }
  const dir = tmp();
  try {
    const model = new nr.Sequential([new L.Dense({ units: 2, inputShape: [2] }), new Scale({ factor: 3 })]);
    await assert.rejects(model.save(dir), /unknown layer class "Scale".*nr\.layers\.registerLayer/);
    assert.ok(!existsSync(join(dir, 'model.json')), 'nothing written');
    L.registerLayer(Scale);
    await model.save(dir);
    const loaded = await nr.loadModel(dir);
    sameBits(model.predict(nr.ones([1, 2])), loaded.predict(nr.ones([1, 2])), 'custom layer');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    json.modelConfig.config.layers[1].className = 'Mystery';
    json.modelConfig.config.layers.push({ className: 'Enigma', config: {} });
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    await assert.rejects(nr.loadModel(dir), (e: unknown) => {
      assert.ok(e instanceof nr.FormatError);
      assert.match((e as Error).message, /unknown layer classes "Mystery", "Enigma"/);
      assert.match((e as Error).message, /nr\.layers\.registerLayer\(MyLayer\)/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('subclassed models cannot be saved as configs (saveWeights works)', async () => {
  class Net extends nr.Model {
    d = new L.Dense({ units: 1 });
    override call(x: nr.Tensor): nr.Tensor {
      return this.d.apply(x);
    }
  }
  const net = new Net();
  net.predict(nr.ones([1, 2]));
  await assert.rejects(net.save(join(tmpdir(), 'never')), /subclassed model.*saveWeights/);
});

test('atomic save: saving over an existing model replaces files by rename and leaves no temporary files', async () => {
  const { dir, model } = await savedModel();
  try {
    const inodesBefore = ['model.json', 'model.safetensors'].map((f) => statSync(join(dir, f)).ino);
    await model.fit(nr.ones([4, 2]), nr.zeros([4, 1]), { epochs: 1, verbose: 0 });
    await model.save(dir);
    const inodesAfter = ['model.json', 'model.safetensors'].map((f) => statSync(join(dir, f)).ino);
    inodesAfter.forEach((ino, i) => assert.notEqual(ino, inodesBefore[i], 'a new file renamed into place, not rewritten in place'));
    assert.deepEqual(readdirSync(dir).sort(), ['model.json', 'model.safetensors']);
    const loaded = await nr.loadModel(dir);
    sameWeights(model, loaded, 'the second save');
    // The weights are written before model.json: model.json is never newer than the weights it lists.
    assert.ok(statSync(join(dir, 'model.json')).mtimeMs >= statSync(join(dir, 'model.safetensors')).mtimeMs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('neurona inspect: a model directory and a .safetensors file', async () => {
  const { dir } = await savedModel();
  try {
    const out: string[] = [];
    const err: string[] = [];
    assert.equal(
      await main(
        ['inspect', dir],
        (s) => out.push(s),
        (s) => err.push(s),
      ),
      0,
      err.join(''),
    );
    const text = out.join('');
    assert.match(text, /format: neurona version 1/);
    assert.match(text, /d1 \(Dense\)\n\s+d2 \(Dense\)/);
    assert.match(text, /d1\/kernel {2}F32 {2}\[2, 3\]/);
    assert.match(text, /optimizer\/iterations {2}I32 {2}\[\]/);
    assert.match(text, /parameters: 13\n/);
    const out2: string[] = [];
    assert.equal(
      await main(
        ['inspect', join(dir, 'model.safetensors')],
        (s) => out2.push(s),
        () => {},
      ),
      0,
    );
    assert.match(out2.join(''), /format: safetensors/);
    assert.match(out2.join(''), /parameters: 13\n/);
    const err3: string[] = [];
    assert.equal(
      await main(
        ['inspect', join(dir, 'nope')],
        () => {},
        (s) => err3.push(s),
      ),
      1,
    );
    assert.match(err3.join(''), /^neurona: inspect: .*nope does not exist\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
