import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert, nr } from '../../helpers.js';

// model.json is checked field by field: hostile names in every name-valued field, values of the
// wrong JSON type, unknown fields and bad graph wiring are FormatErrors that name the file, the
// field and (for a layer's options) the layer and its class.

const L = nr.layers;
// biome-ignore lint/suspicious/noExplicitAny: the tests edit parsed model.json files at any depth without a cast at each step
type Json = Record<string, any>;

const HOSTILE = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

/** A saved Sequential (Conv2D, Dense with a regularizer, Activation) compiled with Adam, and a functional model. */
async function fixtures(): Promise<{ root: string; seq: Json; fn: Json }> {
  const root = mkdtempSync(join(tmpdir(), 'neurona-validate-'));
  nr.setSeed(1);
  const seq = new nr.Sequential([
    new L.Conv2D({ filters: 2, kernelSize: 2, padding: 'same', inputShape: [3, 3, 1], name: 'conv' }),
    new L.Flatten({ name: 'flat' }),
    new L.Dense({ units: 3, activation: 'softmax', kernelRegularizer: nr.regularizers.l2(0.01), name: 'dense' }),
    new L.Activation({ activation: 'linear', name: 'act' }),
  ]);
  seq.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }),
    loss: new nr.losses.CategoricalCrossentropy({ fromLogits: false }),
    metrics: ['accuracy'],
  });
  await seq.save(join(root, 'seq'));
  const input = nr.Input({ shape: [4], name: 'in' });
  const h = new L.Dense({ units: 3, name: 'hidden' }).apply(input);
  const out = new L.Dense({ units: 2, name: 'out' }).apply(h);
  const fn = new nr.Model({ inputs: input, outputs: out });
  fn.compile({ optimizer: 'sgd', loss: 'mse' });
  await fn.save(join(root, 'fn'));
  const read = (d: string) => JSON.parse(readFileSync(join(root, d, 'model.json'), 'utf8')) as Json;
  return { root, seq: read('seq'), fn: read('fn') };
}

/** Writes `json` as `which`'s model.json and expects loadModel to fail with a FormatError matching every pattern. */
async function expectRejected(root: string, which: 'seq' | 'fn', json: Json, what: string, ...patterns: RegExp[]): Promise<void> {
  const dir = join(root, which);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  let error: unknown;
  try {
    await nr.loadModel(dir);
  } catch (e) {
    error = e;
  }
  const got = error instanceof Error ? `${error.constructor.name}: ${error.message}` : `no error (${String(error)})`;
  assert.ok(error instanceof nr.FormatError, `${what}: expected a FormatError, got ${got}`);
  assert.match((error as Error).message, /model\.json/, `${what}: the message names the file`);
  for (const p of patterns) assert.match((error as Error).message, p, what);
}

const edit = (json: Json, change: (j: Json) => void): Json => {
  const copy = structuredClone(json);
  change(copy);
  return copy;
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const layer = (j: Json, i: number) => j.modelConfig.config.layers[i].config;

test('model.json: inherited names in every name-valued field are unknown names, not Object or the identity', async () => {
  const { root, seq } = await fixtures();
  try {
    for (const name of HOSTILE) {
      const q = esc(JSON.stringify(name));
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 2).activation = name;
        }),
        `activation ${name}`,
        new RegExp(`layer "dense" \\(Dense\\) at modelConfig\\.config\\.layers\\[2\\], field "activation": .*unknown activation ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 3).activation = name;
        }),
        `Activation layer ${name}`,
        new RegExp(`layer "act" \\(Activation\\).*field "activation": .*unknown activation ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 2).kernelInitializer = name;
        }),
        `kernelInitializer ${name}`,
        new RegExp(`unknown initializer ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 2).kernelRegularizer = { className: name, config: {} };
        }),
        `kernelRegularizer ${name}`,
        new RegExp(`layer "dense" \\(Dense\\).*field "kernelRegularizer": .*unknown regularizer ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 0).padding = name;
        }),
        `padding ${name}`,
        /layer "conv" \(Conv2D\).*field "padding": .*padding must be 'valid' or 'same'/,
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          layer(j, 2).dtype = name;
        }),
        `dtype ${name}`,
        new RegExp(`modelConfig\\.config\\.layers\\[2\\]\\.config\\.dtype must be one of "float32", "float64", got ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.modelConfig.config.layers[1].className = name;
        }),
        `layer class ${name}`,
        new RegExp(`unknown layer class ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.modelConfig.className = name;
        }),
        `model class ${name}`,
        new RegExp(`unknown layer class ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.compileConfig.optimizer.className = name;
        }),
        `optimizer ${name}`,
        new RegExp(`compileConfig\\.optimizer\\.className: unknown optimizer ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.compileConfig.optimizer.config.learningRate = { className: name, config: {} };
        }),
        `schedule ${name}`,
        new RegExp(`compileConfig\\.optimizer\\.config\\.learningRate\\.className: unknown learning rate schedule ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.compileConfig.loss = [name];
        }),
        `loss name ${name}`,
        new RegExp(`compileConfig\\.loss\\[0\\]: .*unknown loss ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.compileConfig.loss[0].className = name;
        }),
        `loss class ${name}`,
        new RegExp(`compileConfig\\.loss\\[0\\]\\.className: unknown loss class ${q}`),
      );
      await expectRejected(
        root,
        'seq',
        edit(seq, (j) => {
          j.compileConfig.metrics = [[name]];
        }),
        `metric ${name}`,
        new RegExp(`compileConfig\\.metrics\\[0\\]\\[0\\]: .*unknown metric ${q}`),
      );
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('model.json: wrong JSON types and unknown fields outside layer options are FormatErrors naming the field', async () => {
  const { root, seq } = await fixtures();
  try {
    const cases: [string, (j: Json) => void, RegExp][] = [
      [
        'unknown top-level field',
        (j) => {
          j.extra = 1;
        },
        /the top level has unknown field "extra"; the fields are format, formatVersion/,
      ],
      [
        'formatVersion as a string',
        (j) => {
          j.formatVersion = '1';
        },
        /formatVersion "1" is not supported/,
      ],
      [
        'saveId as a path',
        (j) => {
          j.saveId = '../../etc/passwd';
        },
        /"saveId" must be a string like/,
      ],
      [
        'saveId as a number',
        (j) => {
          j.saveId = 7;
        },
        /"saveId" must be a string like/,
      ],
      [
        'compileConfig missing',
        (j) => {
          delete j.compileConfig;
        },
        /"compileConfig" is missing/,
      ],
      [
        'compileConfig as an array',
        (j) => {
          j.compileConfig = [];
        },
        /"compileConfig" must be an object or null, got \[\]/,
      ],
      [
        'unknown compileConfig field',
        (j) => {
          j.compileConfig.runEagerly = true;
        },
        /compileConfig has unknown field "runEagerly"/,
      ],
      [
        'unknown field beside className',
        (j) => {
          j.modelConfig.config.layers[0].module = 'keras.layers';
        },
        /modelConfig\.config\.layers\[0\] has unknown field "module"/,
      ],
      [
        'unknown Sequential config field',
        (j) => {
          j.modelConfig.config.extra = 1;
        },
        /modelConfig\.config has unknown field "extra" \(Sequential\)/,
      ],
      [
        'optimizer learningRate as a string',
        (j) => {
          j.compileConfig.optimizer.config.learningRate = 'fast';
        },
        /compileConfig\.optimizer\.config\.learningRate \(Adam\) must be a finite number or a schedule \{className, config\}, got "fast"/,
      ],
      [
        'optimizer amsgrad as a number',
        (j) => {
          j.compileConfig.optimizer.config.amsgrad = 1;
        },
        /compileConfig\.optimizer\.config\.amsgrad \(Adam\) must be true or false, got 1/,
      ],
      [
        'optimizer clipnorm as a bool',
        (j) => {
          j.compileConfig.optimizer.config.clipnorm = true;
        },
        /compileConfig\.optimizer\.config\.clipnorm \(Adam\) must be null or a finite number, got true/,
      ],
      [
        'optimizer name as an object',
        (j) => {
          j.compileConfig.optimizer.config.name = {};
        },
        /compileConfig\.optimizer\.config\.name \(Adam\) must be a string, got \{\}/,
      ],
      [
        'unknown optimizer option',
        (j) => {
          j.compileConfig.optimizer.config.momentum = 0.9;
        },
        /compileConfig\.optimizer\.config has unknown field "momentum" \(Adam\); the fields are name, learningRate/,
      ],
      [
        'schedule option of the wrong type',
        (j) => {
          j.compileConfig.optimizer.config.learningRate = {
            className: 'ExponentialDecay',
            config: { initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: 'yes' },
          };
        },
        /compileConfig\.optimizer\.config\.learningRate\.config\.staircase \(ExponentialDecay\) must be true or false, got "yes"/,
      ],
      [
        'loss fromLogits as an object',
        (j) => {
          j.compileConfig.loss[0].config.fromLogits = {};
        },
        /compileConfig\.loss\[0\]\.config\.fromLogits \(CategoricalCrossentropy\) must be true or false, got \{\}/,
      ],
      [
        'loss reduction as a number',
        (j) => {
          j.compileConfig.loss[0].config.reduction = 0;
        },
        /compileConfig\.loss\[0\]\.config\.reduction \(CategoricalCrossentropy\) must be a string, got 0/,
      ],
      [
        'unknown loss option',
        (j) => {
          j.compileConfig.loss[0].config.delta = 1;
        },
        /compileConfig\.loss\[0\]\.config has unknown field "delta" \(CategoricalCrossentropy\)/,
      ],
      [
        'loss entry as a number',
        (j) => {
          j.compileConfig.loss = [3];
        },
        /compileConfig\.loss\[0\] must be \{className: string, config: object\}, got 3/,
      ],
      [
        'metric as a number',
        (j) => {
          j.compileConfig.metrics = [[1]];
        },
        /compileConfig\.metrics\[0\]\[0\] must be a metric name \(a string\), got 1/,
      ],
      [
        'lossWeights as strings',
        (j) => {
          j.compileConfig.lossWeights = ['1'];
        },
        /compileConfig\.lossWeights must be an array of finite numbers, got \["1"\]/,
      ],
      [
        'layer dtype as a number',
        (j) => {
          layer(j, 2).dtype = 1.5;
        },
        /modelConfig\.config\.layers\[2\]\.config\.dtype must be one of "float32", "float64", got 1\.5/,
      ],
      [
        'layer trainable as a string',
        (j) => {
          layer(j, 2).trainable = 'yes';
        },
        /modelConfig\.config\.layers\[2\]\.config\.trainable must be true or false, got "yes"/,
      ],
      [
        'layer name as a number',
        (j) => {
          layer(j, 2).name = 3;
        },
        /modelConfig\.config\.layers\[2\]\.config\.name must be a non-empty string, got 3/,
      ],
    ];
    for (const [what, change, pattern] of cases) await expectRejected(root, 'seq', edit(seq, change), what, pattern);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('model.json: the wiring of a functional graph is checked before anything is built', async () => {
  const { root, fn } = await fixtures();
  try {
    const nodes = (j: Json) => j.modelConfig.config.nodes;
    const cases: [string, (j: Json) => void, RegExp][] = [
      [
        'node names a missing layer',
        (j) => {
          nodes(j)[2].layer = 'nope';
        },
        /modelConfig\.config\.nodes\[2\] uses layer "nope", which is not in modelConfig\.config\.layers/,
      ],
      [
        'node names an inherited property',
        (j) => {
          nodes(j)[2].layer = 'constructor';
        },
        /nodes\[2\] uses layer "constructor", which is not in/,
      ],
      [
        'forward reference',
        (j) => {
          nodes(j)[1].inputs = [2];
        },
        /nodes\[1\] \("hidden"\) consumes node 2, which does not come before it/,
      ],
      [
        'unknown node field',
        (j) => {
          nodes(j)[1].args = [];
        },
        /modelConfig\.config\.nodes\[1\] has unknown field "args"/,
      ],
      [
        'duplicate layer names',
        (j) => {
          j.modelConfig.config.layers[2].config.name = 'hidden';
        },
        /modelConfig\.config\.layers has two layers named "hidden"/,
      ],
      [
        'input is not an input layer node',
        (j) => {
          j.modelConfig.config.inputs = [1];
        },
        /modelConfig\.config\.inputs names node 1, which is not an input layer's node/,
      ],
      [
        'output out of range',
        (j) => {
          j.modelConfig.config.outputs = [7];
        },
        /modelConfig\.config\.outputs names node 7, but there are 3 nodes/,
      ],
      [
        'no outputs',
        (j) => {
          j.modelConfig.config.outputs = [];
        },
        /needs at least one input and one output node/,
      ],
      [
        'a layer no node uses',
        (j) => {
          nodes(j).pop();
          j.modelConfig.config.outputs = [1];
        },
        /modelConfig\.config\.layers has layer "out" that no node uses/,
      ],
      [
        'an input layer given inputs',
        (j) => {
          nodes(j)[0].inputs = [0];
        },
        /nodes\[0\]: the input layer "in" takes no inputs/,
      ],
      [
        'unknown Functional config field',
        (j) => {
          j.modelConfig.config.frozen = true;
        },
        /modelConfig\.config has unknown field "frozen" \(Functional\)/,
      ],
    ];
    for (const [what, change, pattern] of cases) await expectRejected(root, 'fn', edit(fn, change), what, pattern);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

const BAD_OPTION = 'a layer option of the wrong type or an unknown layer option';
test(`model.json: ${BAD_OPTION} is a FormatError naming the layer, class and field`, async (t) => {
  const { root, seq } = await fixtures();
  try {
    // The constructor's own message is kept; the FormatError adds the file, layer, class and place.
    await expectRejected(
      root,
      'seq',
      edit(seq, (j) => {
        layer(j, 2).units = 'many';
      }),
      'units as a string',
      /model\.json: layer "dense" \(Dense\) at modelConfig\.config\.layers\[2\], field "units": .*units must be a positive integer/,
    );
    await expectRejected(
      root,
      'seq',
      edit(seq, (j) => {
        layer(j, 0).kernelSize = 'big';
      }),
      'kernelSize as a string',
      /layer "conv" \(Conv2D\) at modelConfig\.config\.layers\[0\], field "kernelSize"/,
    );
    await expectRejected(
      root,
      'seq',
      edit(seq, (j) => {
        layer(j, 0).strides = true;
      }),
      'strides as a bool',
      /layer "conv" \(Conv2D\).*field "strides"/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  // The layer constructors reject values of the wrong type and unknown keys (the shared options normaliser).
  const strict = await fixtures();
  try {
    const cases: [string, (j: Json) => void, RegExp][] = [
      [
        'useBias as a string',
        (j) => {
          layer(j, 2).useBias = 'Dense';
        },
        /layer "dense" \(Dense\) at modelConfig\.config\.layers\[2\], field "useBias"/,
      ],
      [
        'an unknown Dense option',
        (j) => {
          layer(j, 2).extra = 1;
        },
        /layer "dense" \(Dense\) at modelConfig\.config\.layers\[2\], field "extra"/,
      ],
    ];
    for (const [what, change, pattern] of cases) {
      await t.test(what, async () => expectRejected(strict.root, 'seq', edit(strict.seq, change), what, pattern));
    }
  } finally {
    rmSync(strict.root, { recursive: true, force: true });
  }
});
