import { formatError, ownEntry, show, type Problem } from '../../core/index.js';
import { LAYER_CLASSES } from '../layer.js';
import * as lossesModule from '../losses.js';
import { Loss, getLoss } from '../losses.js';
import { getMetric } from '../metrics.js';
import { getOptimizer, ExponentialDecay, PiecewiseConstantDecay, CosineDecay, type LearningRateSchedule } from '../optimizers/index.js';
import type { ModelJson } from './format.js';

/*
 * Validation of a parsed model.json, before anything is built. Everything that is not a layer's own
 * option is checked here, field by field: the top-level structure and format version, every class
 * name (own entries of the registries only), the wiring of functional graphs, and the training
 * configuration (optimizer, losses and metrics by name, and the type of each of their options).
 * Unknown fields are errors that name the field. A layer's own options are checked by its
 * constructor; loadModel turns what it throws into a FormatError naming the layer (format.ts).
 * Nothing here evaluates anything from the file.
 */

export const FORMAT_NAME = 'neurona';
export const FORMAT_VERSION = 1;
/** Model classes rebuilt by config.ts in addition to the registered layers. */
export const MODEL_CLASSES = ['Sequential', 'Functional'];
const MAX_JSON_DEPTH = 64;
/** The shape of the save id that ties model.json to its weights file (see saving/index.ts). */
export const SAVE_ID_PATTERN = /^[0-9]{1,10}-[0-9a-f]{16}$/;

const TOP_LEVEL_FIELDS = ['format', 'formatVersion', 'modelConfig', 'compileConfig', 'weights', 'buildInputShape', 'saveId'];
const SPEC_FIELDS = ['className', 'config'];
const COMPILE_FIELDS = ['optimizer', 'loss', 'metrics', 'lossWeights'];
const MODEL_CONFIG_FIELDS: Record<string, string[]> = {
  Sequential: ['name', 'trainable', 'layers'],
  Functional: ['name', 'layers', 'nodes', 'inputs', 'outputs', 'trainable'],
};
/**
 * A node's fields; `training` is the flag given when the graph was built (base.apply(x, {training: false})); the call
 * options, keyword inputs and output index after it are graphConfig's (nn/models/config.ts), checked when the node is rebuilt.
 */
const NODE_FIELDS = ['layer', 'inputs', 'training', 'options', 'keywords', 'positional', 'call', 'output'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const BAD_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function fail(parts: Problem): never {
  throw formatError('model.json', parts);
}

function onlyFields(object: Record<string, unknown>, allowed: readonly string[], path: string, owner?: string): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      fail({
        expected: `${path} has unknown field ${JSON.stringify(key)}${owner ? ` (${owner})` : ''}`,
        hint: `the fields are ${allowed.join(', ')}`,
      });
    }
  }
}

function checkPlainJson(x: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) fail({ expected: `${path} is nested more than ${MAX_JSON_DEPTH} levels deep` });
  if (Array.isArray(x)) {
    x.forEach((v, i) => checkPlainJson(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (BAD_KEYS.has(k)) fail({ expected: `${path} has the forbidden key ${JSON.stringify(k)}` });
      checkPlainJson(v, `${path}.${k}`, depth + 1);
    }
  }
}

/**
 * A size a tensor axis can have: a safe integer that a typed array can hold. Fuzzing found
 * 2^53 + 2 (an integer, not a safe one) accepted as a batch size and failing only at predict.
 */
const MAX_DIMENSION = 2 ** 31 - 1;
function isDimension(d: unknown): boolean {
  return Number.isSafeInteger(d) && (d as number) >= 0 && (d as number) <= MAX_DIMENSION;
}
const isShape = (v: unknown) => Array.isArray(v) && v.every((d) => d === null || isDimension(d));

function checkSpecObject(spec: unknown, path: string): asserts spec is { className: string; config: Record<string, unknown> } {
  if (!isObject(spec) || typeof spec.className !== 'string' || !isObject(spec.config)) {
    fail({ expected: `${path} must be {className: string, config: object}`, got: show(spec) });
  }
  onlyFields(spec, SPEC_FIELDS, path);
}

/** The fields every layer's config may have, checked here (the layer's own options are its constructor's). */
function checkBaseLayerFields(className: string, config: Record<string, unknown>, path: string): void {
  if (config.name !== undefined && (typeof config.name !== 'string' || config.name.length === 0)) {
    fail({ expected: `${path}.config.name must be a non-empty string`, got: show(config.name) });
  }
  if (config.trainable !== undefined && typeof config.trainable !== 'boolean') {
    fail({ expected: `${path}.config.trainable must be true or false`, got: show(config.trainable) });
  }
  const dtypes = className === 'InputLayer' ? ['float32', 'float64', 'int32'] : ['float32', 'float64'];
  if (config.dtype !== undefined && !dtypes.includes(config.dtype as string)) {
    fail({ expected: `${path}.config.dtype must be one of ${dtypes.map((d) => `"${d}"`).join(', ')}`, got: show(config.dtype) });
  }
  // Fuzzing found these unchecked: layerFromConfig takes batchInputShape[0] as the batch size
  // as is, so `"batchInputShape": ["relu", 4]` loaded into a model whose input shape held a string.
  const dim = (d: unknown) => d === null || isDimension(d);
  if (
    config.batchInputShape !== undefined &&
    config.batchInputShape !== null &&
    !(
      Array.isArray(config.batchInputShape) &&
      config.batchInputShape.length > 0 &&
      config.batchInputShape.every(dim) &&
      (config.batchInputShape[0] === null || (config.batchInputShape[0] as number) > 0)
    )
  ) {
    fail({
      expected:
        `${path}.config.batchInputShape must be an array of non-negative integers and nulls, ` +
        'the first (the batch size) null or positive',
      got: show(config.batchInputShape),
    });
  }
  if (
    config.inputShape !== undefined &&
    config.inputShape !== null &&
    !(Array.isArray(config.inputShape) && config.inputShape.every(dim))
  ) {
    fail({ expected: `${path}.config.inputShape must be an array of non-negative integers and nulls`, got: show(config.inputShape) });
  }
  if (config.batchSize !== undefined && config.batchSize !== null && !(isDimension(config.batchSize) && (config.batchSize as number) > 0)) {
    fail({ expected: `${path}.config.batchSize must be a positive integer or null`, got: show(config.batchSize) });
  }
}

/** A functional graph's wiring: node entries, layer references, node order, inputs and outputs. */
function checkGraph(config: Record<string, unknown>, path: string): void {
  const ints = (v: unknown) => Array.isArray(v) && v.every(isDimension);
  if (!Array.isArray(config.nodes) || !ints(config.inputs) || !ints(config.outputs)) {
    fail({ expected: `${path}.config must have nodes [{layer: string, inputs: [int]}], inputs [int] and outputs [int]` });
  }
  const layers = config.layers as { className: string; config: Record<string, unknown> }[];
  const byName = new Map<string, string>();
  layers.forEach((l, i) => {
    const name = l.config.name;
    if (typeof name !== 'string') {
      fail({
        expected: `${path}.config.layers[${i}] (${l.className}) has no name`,
        rule: "a functional model's nodes refer to layers by name",
      });
    }
    if (byName.has(name)) {
      fail({
        expected: `${path}.config.layers has two layers named ${JSON.stringify(name)}`,
        rule: 'layer names in a model must be unique',
      });
    }
    byName.set(name, l.className);
  });
  const nodes = config.nodes as unknown[];
  const used = new Set<string>();
  nodes.forEach((node, i) => {
    const where = `${path}.config.nodes[${i}]`;
    if (!isObject(node) || typeof node.layer !== 'string' || !ints(node.inputs)) {
      fail({ expected: `${where} must be {layer: string, inputs: [int]}`, got: show(node) });
    }
    onlyFields(node, NODE_FIELDS, where);
    if (node.training !== undefined && typeof node.training !== 'boolean') {
      fail({ expected: `${where}.training must be true or false when given`, got: show(node.training) });
    }
    const className = byName.get(node.layer);
    if (className === undefined) {
      fail({ expected: `${where} uses layer ${JSON.stringify(node.layer)}, which is not in ${path}.config.layers` });
    }
    used.add(node.layer);
    const inputs = node.inputs as number[];
    if (className === 'InputLayer' && inputs.length > 0) {
      fail({ expected: `${where}: the input layer ${JSON.stringify(node.layer)} takes no inputs`, got: `[${inputs.join(', ')}]` });
    }
    if (className !== 'InputLayer' && inputs.length === 0) {
      fail({ expected: `${where}: layer ${JSON.stringify(node.layer)} consumes no node`, hint: 'give the indices of its input nodes' });
    }
    for (const k of inputs)
      if (k >= i) {
        fail({ expected: `${where} (${JSON.stringify(node.layer)}) consumes node ${k}, which does not come before it` });
      }
  });
  const unused = [...byName.keys()].filter((n) => !used.has(n));
  if (unused.length > 0) {
    const names = unused.map((n) => JSON.stringify(n)).join(', ');
    fail({ expected: `${path}.config.layers has layer${unused.length > 1 ? 's' : ''} ${names} that no node uses` });
  }
  const inputs = config.inputs as number[];
  const outputs = config.outputs as number[];
  if (inputs.length === 0 || outputs.length === 0) {
    fail({ expected: `${path}.config: a functional model needs at least one input and one output node` });
  }
  const nodeLayerClass = (k: number) => byName.get((nodes[k] as { layer: string }).layer);
  for (const k of inputs) {
    if (k >= nodes.length) fail({ expected: `${path}.config.inputs names node ${k}, but there are ${nodes.length} nodes` });
    if (nodeLayerClass(k) !== 'InputLayer') {
      fail({ expected: `${path}.config.inputs names node ${k}, which is not an input layer's node` });
    }
  }
  for (const k of outputs)
    if (k >= nodes.length) {
      fail({ expected: `${path}.config.outputs names node ${k}, but there are ${nodes.length} nodes` });
    }
}

function checkLayerSpec(spec: unknown, path: string, unknownClasses: Set<string>, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) fail({ expected: `${path} nests models more than ${MAX_JSON_DEPTH} deep` });
  checkSpecObject(spec, path);
  const { className, config } = spec;
  checkBaseLayerFields(className, config, path);
  const modelFields = ownEntry(MODEL_CONFIG_FIELDS, className);
  if (modelFields) {
    onlyFields(config, modelFields, `${path}.config`, className);
    if (!Array.isArray(config.layers)) {
      fail({ expected: `${path}.config.layers must be an array of layer entries`, got: show(config.layers) });
    }
    config.layers.forEach((l, i) => checkLayerSpec(l, `${path}.config.layers[${i}]`, unknownClasses, depth + 1));
    if (className === 'Functional') checkGraph(config, path);
    return;
  }
  if (!LAYER_CLASSES.has(className)) unknownClasses.add(className);
}

// ---------------------------------------------------------------------------------------------
// The training configuration

/** Examples of each schedule (the smallest valid options): their configs give each option's type. */
const SCHEDULE_EXAMPLES: Record<string, () => LearningRateSchedule> = {
  ExponentialDecay: () => new ExponentialDecay({ initialLearningRate: 1, decaySteps: 1, decayRate: 1 }),
  PiecewiseConstantDecay: () => new PiecewiseConstantDecay({ boundaries: [1], values: [1, 1] }),
  CosineDecay: () => new CosineDecay({ initialLearningRate: 1, decaySteps: 1 }),
};

/**
 * Checks `given` options against `reference`, the config of an instance built with default (or
 * example) options: every key must be one the reference has, and each value of the reference's
 * type (null in the reference: null or a number; a learning rate may be a schedule's config).
 */
function checkOptionTypes(reference: Record<string, unknown>, given: Record<string, unknown>, path: string, owner: string): void {
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(reference, key)) {
      fail({
        expected: `${path} has unknown field ${JSON.stringify(key)} (${owner})`,
        hint: `the fields are ${Object.keys(reference).join(', ')}`,
      });
    }
    const r = reference[key];
    if (key === 'learningRate' && isObject(value)) {
      checkSchedule(value, `${path}.learningRate`);
      continue;
    }
    const [ok, rule] =
      typeof r === 'number'
        ? [isFiniteNumber(value), 'a finite number']
        : typeof r === 'boolean'
          ? [typeof value === 'boolean', 'true or false']
          : typeof r === 'string'
            ? [typeof value === 'string', 'a string']
            : r === null
              ? [value === null || isFiniteNumber(value), 'null or a finite number']
              : Array.isArray(r)
                ? [Array.isArray(value) && value.every(isFiniteNumber), 'an array of finite numbers']
                : [true, ''];
    if (!ok) {
      fail({
        expected: `${path}.${key} (${owner}) must be ${rule}${key === 'learningRate' ? ' or a schedule {className, config}' : ''}`,
        got: show(value),
      });
    }
  }
}

function checkSchedule(spec: Record<string, unknown>, path: string): void {
  checkSpecObject(spec, path);
  const example = ownEntry(SCHEDULE_EXAMPLES, spec.className);
  if (!example) {
    fail({
      expected: `${path}.className: unknown learning rate schedule ${JSON.stringify(spec.className)}`,
      hint: `expected one of ${Object.keys(SCHEDULE_EXAMPLES).join(', ')}`,
    });
  }
  checkOptionTypes(example().getConfig(), spec.config, `${path}.config`, spec.className);
}

/** Runs `make`, turning the ConfigError of an unknown name into a FormatError at `path`. */
function resolve<T>(make: () => T, path: string): T {
  try {
    return make();
  } catch (e) {
    fail({ expected: `${path}: ${(e as Error).message}` });
  }
}

function checkCompileConfig(cc: unknown): void {
  if (!isObject(cc)) fail({ expected: '"compileConfig" must be an object or null', got: show(cc) });
  onlyFields(cc, COMPILE_FIELDS, 'compileConfig');
  // One optimizer {className, config}, or several by name (a model compiled with {generator, discriminator}).
  const named = isObject(cc.optimizer) && !('className' in cc.optimizer);
  const specs = named ? Object.entries(cc.optimizer as Record<string, unknown>) : [['', cc.optimizer] as const];
  if (specs.length === 0) fail({ expected: 'compileConfig.optimizer names no optimizer', got: '{}' });
  for (const [key, spec] of specs) {
    const path = named ? `compileConfig.optimizer.${key}` : 'compileConfig.optimizer';
    checkSpecObject(spec, path);
    const { className, config } = spec;
    const optimizer = resolve(() => getOptimizer({ className, config: {} }), `${path}.className`);
    checkOptionTypes(optimizer.getConfig(), config, `${path}.config`, optimizer.className);
  }
  // Empty when compile had no loss (the model's loss comes from addLoss or its own trainStep).
  if (!Array.isArray(cc.loss)) {
    fail({ expected: 'compileConfig.loss must be an array of loss names or {className, config}', got: show(cc.loss) });
  }
  cc.loss.forEach((l, i) => {
    const path = `compileConfig.loss[${i}]`;
    if (typeof l === 'string') {
      resolve(() => getLoss(l), path);
      return;
    }
    checkSpecObject(l, path);
    const cls = ownEntry(lossesModule as Record<string, unknown>, l.className);
    if (typeof cls !== 'function' || !(cls.prototype instanceof Loss)) {
      const known = Object.entries(lossesModule)
        .filter(([, v]) => typeof v === 'function' && v.prototype instanceof Loss)
        .map(([k]) => k);
      fail({ expected: `${path}.className: unknown loss class ${JSON.stringify(l.className)}`, hint: `known: ${known.join(', ')}` });
    }
    const reference = resolve(() => new (cls as new () => Loss)().getConfig(), `${path}.className`);
    checkOptionTypes(reference, l.config, `${path}.config`, l.className);
  });
  if (!Array.isArray(cc.metrics) || !cc.metrics.every((m) => Array.isArray(m))) {
    fail({ expected: 'compileConfig.metrics must be an array of arrays of metric names', got: show(cc.metrics) });
  }
  cc.metrics.forEach((list: unknown[], i) =>
    list.forEach((m, j) => {
      const path = `compileConfig.metrics[${i}][${j}]`;
      if (typeof m !== 'string') fail({ expected: `${path} must be a metric name (a string)`, got: show(m) });
      resolve(() => getMetric(m), path);
    }),
  );
  if (!Array.isArray(cc.lossWeights) || !cc.lossWeights.every(isFiniteNumber)) {
    fail({ expected: 'compileConfig.lossWeights must be an array of finite numbers', got: show(cc.lossWeights) });
  }
}

/** Checks a parsed model.json against the schema; returns it typed. */
export function validateModelJson(raw: unknown): ModelJson {
  if (!isObject(raw)) fail({ expected: 'expected a JSON object', got: show(raw) });
  checkPlainJson(raw, 'model.json', 0);
  if (raw.format !== FORMAT_NAME) {
    fail({ expected: `"format" must be "${FORMAT_NAME}"`, got: show(raw.format), hint: 'this is not a neurona model' });
  }
  if (raw.formatVersion !== FORMAT_VERSION) {
    const newer = typeof raw.formatVersion === 'number' && raw.formatVersion > FORMAT_VERSION;
    fail({
      expected: `formatVersion ${show(raw.formatVersion)} is not supported`,
      hint: `this neurona reads version ${FORMAT_VERSION}${newer ? ' (the file is from a newer neurona: upgrade)' : ''}`,
    });
  }
  onlyFields(raw, TOP_LEVEL_FIELDS, 'the top level');
  const unknownClasses = new Set<string>();
  checkLayerSpec(raw.modelConfig, 'modelConfig', unknownClasses);
  if (unknownClasses.size > 0) {
    const names = [...unknownClasses].map((n) => `"${n}"`).join(', ');
    const many = unknownClasses.size > 1;
    fail({
      expected: `unknown layer class${many ? 'es' : ''} ${names}`,
      hint:
        `if ${many ? 'they are' : 'it is a'} custom layer${many ? 's' : ''}, register ${many ? 'them' : 'it'} before loading: ` +
        'nr.layers.registerLayer(MyLayer) (the class name must match and its constructor must accept its getConfig()). ' +
        `Known classes: ${[...MODEL_CLASSES, ...LAYER_CLASSES.keys()].sort().join(', ')}`,
    });
  }
  if (!Array.isArray(raw.weights) || !raw.weights.every((w) => typeof w === 'string')) {
    fail({ expected: '"weights" must be an array of weight names (strings)', got: show(raw.weights) });
  }
  if (new Set(raw.weights).size !== raw.weights.length) fail({ expected: '"weights" lists a name twice' });
  if (raw.buildInputShape !== undefined && raw.buildInputShape !== null && !isShape(raw.buildInputShape)) {
    fail({ expected: '"buildInputShape" must be null or an array of integers and nulls', got: show(raw.buildInputShape) });
  }
  if (raw.saveId !== undefined && !(typeof raw.saveId === 'string' && SAVE_ID_PATTERN.test(raw.saveId))) {
    fail({ expected: '"saveId" must be a string like "1234-0123456789abcdef"', got: show(raw.saveId) });
  }
  if (raw.compileConfig === undefined) fail({ expected: '"compileConfig" is missing', rule: 'null for a model saved before compile' });
  if (raw.compileConfig !== null) checkCompileConfig(raw.compileConfig);
  return raw as unknown as ModelJson;
}
