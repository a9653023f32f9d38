import type { Layer } from '../../src/nn/layers/index.js';
import { assert, assertClose, gradCheck as checkGradients, nr, randomFloat64 } from '../helpers.js';

export interface LayerTestOptions {
  /**
   * Full input shape, batch axis included (keep it small: gradients are checked element by element);
   * a list of shapes for a layer that takes a list of inputs (merge layers).
   */
  inputShape: number[] | number[][];
  /** Full output shape expected for that input. */
  expectedOutputShape: number[];
  /** Check gradients w.r.t. inputs and trainable weights in float64 (default true). */
  gradCheck?: boolean;
  /** The layer acts differently with {training: true} (dropout, augmentation; default false). */
  trainingDiffers?: boolean;
  /** The layer has no weights and is built on construction (InputLayer, as in Keras). */
  builtOnCreation?: boolean;
  /** The input holds int32 indices below this bound (Embedding): gradients are checked w.r.t. the weights only. */
  indicesBelow?: number;
  /**
   * The graph of a graph layer (an nr.graph.Graph with inputShape[0] nodes): every call is
   * `apply([x, graph])`, and the symbolic call must be refused, since a Graph cannot be traced.
   */
  graph?: nr.graph.Graph;
}

const sameValues = (a: nr.Tensor, b: nr.Tensor) =>
  a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]) && a.data().every((v, i) => Object.is(v, b.data()[i]));

/**
 * The one check every layer passes (docs/contributing.md, "How code is written", habit 7): output shape and computeOutputShape,
 * config round-trip through JSON and layerFromConfig (same config, same outputs after setWeights),
 * weight bookkeeping, float64 gradients of the outputs w.r.t. inputs and weights, and training vs
 * inference behaviour. `factory` must return a fresh, unbuilt layer each call.
 */
export function runLayerTest(factory: () => Layer, options: LayerTestOptions): void {
  const { inputShape, expectedOutputShape, gradCheck = true, trainingDiffers = false } = options;
  const layer = factory();
  const label = `${layer.className} "${layer.name}"`;
  assert.equal(layer.built, options.builtOnCreation ?? false, `${label}: built on creation should be ${options.builtOnCreation ?? false}`);
  // One input, or a list of them for merge layers: `each` maps a function over the shapes.
  const listed = Array.isArray(inputShape[0]);
  const shapes = (listed ? inputShape : [inputShape]) as number[][];
  // biome-ignore lint/suspicious/noExplicitAny: T or T[] by `listed`; apply's overloads take one or the other, not the union
  const each = <T>(make: (shape: number[]) => T): any => (listed ? shapes.map(make) : make(shapes[0]!));
  const unknownBatch = (shape: number[]) => [null, ...shape.slice(1)];
  const { indicesBelow } = options;
  const indices = (shape: number[]) => nr.randu(shape, { low: 0, high: indicesBelow! }).floor().cast('int32');
  const x = each((shape) => (indicesBelow ? indices(shape) : nr.randu(shape, { low: -2, high: 2 })));
  const { graph } = options;
  // biome-ignore lint/suspicious/noExplicitAny: the input (or list) as built by `each`
  const run = (l: Layer, input: any, o: { training?: boolean } = {}): nr.Tensor =>
    graph ? l.apply([input, graph] as never, o) : l.apply(input, o);

  // Shapes: eager output and computeOutputShape with an unknown batch.
  const y = run(layer, x);
  assert.ok(layer.built, `${label}: apply must build the layer`);
  assert.deepEqual(y.shape, expectedOutputShape, `${label}: output shape`);
  assert.deepEqual(layer.computeOutputShape(each(unknownBatch)), [null, ...expectedOutputShape.slice(1)], `${label}: computeOutputShape`);
  const symbolicInput = each(
    (shape) => new nr.layers.SymbolicTensor(unknownBatch(shape), indicesBelow ? 'int32' : 'float32', null, [], 'input'),
  );
  if (graph) {
    assert.throws(
      () => factory().apply([symbolicInput, graph] as never),
      /graph layers run eagerly/,
      `${label}: a symbolic input is refused`,
    );
  } else {
    const symbolic = factory().apply(symbolicInput);
    assert.deepEqual(symbolic.shape, [null, ...expectedOutputShape.slice(1)], `${label}: symbolic output shape`);
  }

  // Config: JSON-serializable, rebuilds an equal layer that computes the same outputs.
  const config = layer.getConfig();
  const serialized = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  assert.deepEqual(serialized, config, `${label}: getConfig must survive JSON`);
  const clone = nr.layers.layerFromConfig({ className: layer.className, config: serialized });
  assert.equal(clone.className, layer.className);
  assert.deepEqual(clone.getConfig(), config, `${label}: config round-trip`);
  run(clone, x);
  clone.setWeights(layer.getWeights());
  assert.ok(sameValues(run(clone, x), run(layer, x)), `${label}: the rebuilt layer must compute the same outputs`);

  // Weight bookkeeping.
  const weights = layer.weights;
  assert.equal(
    weights.length,
    layer.trainableWeights.length + layer.nonTrainableWeights.length,
    `${label}: weights = trainable + non-trainable`,
  );
  assert.equal(
    layer.countParams(),
    weights.reduce((n, w) => n + w.size, 0),
    `${label}: countParams`,
  );
  assert.equal(new Set(weights.map((w) => w.name)).size, weights.length, `${label}: weight names must be unique`);
  assert.deepEqual(
    layer.getWeights().map((w) => w.shape),
    weights.map((w) => w.shape),
  );
  layer.trainable = false;
  assert.equal(layer.trainableWeights.length, 0, `${label}: a frozen layer has no trainable weights`);
  assert.equal(layer.nonTrainableWeights.length, weights.length, `${label}: a frozen layer keeps its weights as non-trainable`);
  assert.equal(
    layer.countParams(),
    weights.reduce((n, w) => n + w.size, 0),
  );
  layer.trainable = true;

  // Training vs inference. A training call may update state (BatchNormalization's moving
  // statistics): it is put back so that the checks below see the same layer.
  const inference = nr.noGrad(() => run(layer, x, { training: false }));
  assert.ok(
    sameValues(
      inference,
      nr.noGrad(() => run(layer, x)),
    ),
    `${label}: inference must be deterministic and the default`,
  );
  const state = layer.getWeights();
  const training = nr.noGrad(() => run(layer, x, { training: true }));
  layer.setWeights(state);
  assert.deepEqual(training.shape, expectedOutputShape, `${label}: training output shape`);
  if (trainingDiffers) assert.ok(!sameValues(training, inference), `${label}: training output should differ from inference`);
  else assert.ok(sameValues(training, inference), `${label}: training and inference outputs must be equal`);

  // Gradients in float64, w.r.t. the input and every trainable weight.
  if (gradCheck) {
    const layer64 = nr.layers.layerFromConfig({
      className: layer.className,
      config: { ...config, name: `${layer.name}_f64`, dtype: 'float64' },
    });
    const x64: nr.Tensor[] = shapes.map((shape) => (indicesBelow ? indices(shape) : randomFloat64(shape, -2, 2)));
    const out64 = listed ? layer64.apply(x64) : run(layer64, x64[0]!);
    assert.equal(out64.dtype, 'float64', `${label}: a float64 layer must compute in float64`);
    if (layer64.trainableWeights.length > 0) {
      // Non-zero biases, so that a gradient that ignores them cannot pass.
      // (Trainable ones only: a random moving variance could be negative.)
      for (const w of layer64.trainableWeights) w.assign(randomFloat64([...w.shape], -1, 1));
    }
    // The weights are read from the layer itself; gradCheck perturbs them in place.
    checkGradients(
      (...inputs) =>
        indicesBelow ? layer64.apply(x64[0]!) : listed ? layer64.apply(inputs.slice(0, shapes.length)) : run(layer64, inputs[0]!),
      [...(indicesBelow ? [] : x64), ...layer64.trainableWeights],
      { label: `${label} gradients` },
    );
  }
  assertClose(y, run(layer, x), { message: `${label}: repeated apply` });
}
