import { configError, is, parseOptions, show, type OptionKeys } from '../core/index.js';
import { getActivation, type ActivationIdentifier } from '../nn/activations.js';
import { SymbolicTensor } from '../nn/layer.js';
import { Dense } from '../nn/layers/core/dense.js';
import { GlobalAveragePooling2D, GlobalMaxPooling2D } from '../nn/layers/pooling/pooling-2d.js';
import { Input, Model } from '../nn/models/index.js';
import { loadApplicationWeights } from './weights.js';

/*
 * The plumbing every application (VGG16, ResNet50, ...) shares, after Keras's applications and
 * imagenet_utils.obtain_input_shape: options, the checks on them, the input tensor, the top or
 * pooling, the model, and the weights. A family file only builds its feature extractor.
 */

/** The options of every application function, as in Keras (`include_top` etc. are accepted too). */
export interface ApplicationOptions {
  /** Whether to end with the family's classifier (default true); false ends at the features. */
  includeTop?: boolean;
  /** null (random initialisation), 'imagenet' (Keras's published weights, the default) or a weight file's path. */
  weights?: null | 'imagenet' | (string & {});
  /** A symbolic tensor (from `nr.Input` or a layer) to build the model on, instead of a new input. */
  inputTensor?: SymbolicTensor;
  /** One image's shape [height, width, channels]; each family has a default size and a minimum. */
  inputShape?: readonly (number | null)[];
  /** With includeTop false: null (4-D feature maps), 'avg' or 'max' (global pooling to [batch, channels]). */
  pooling?: null | 'avg' | 'max';
  /** Classes of the classifier (default 1000; only with includeTop, and 1000 with weights 'imagenet'). */
  classes?: number;
  /** The classifier's activation (default 'softmax'; null for logits). */
  classifierActivation?: ActivationIdentifier;
  /** The model's name (default the family's, e.g. 'vgg16'). */
  name?: string;
}

/** The options after parsing: every default filled in. */
export interface ParsedApplicationOptions {
  includeTop: boolean;
  weights: string | null;
  inputTensor: SymbolicTensor | null;
  inputShape: readonly (number | null)[] | null;
  pooling: 'avg' | 'max' | null;
  classes: number;
  classifierActivation: ActivationIdentifier;
  name: string | null;
}

const APPLICATION_KEYS: OptionKeys = {
  includeTop: is.boolean,
  weights: is.nullable(is.string),
  inputTensor: is.any,
  inputShape: is.shape,
  pooling: is.nullable(is.oneOf('avg', 'max')),
  classes: is.positiveInteger,
  classifierActivation: is.nullable(is.identifier),
  name: is.string,
};

/**
 * Parses an application's options (camelCase or Keras's snake_case) and applies Keras's checks on
 * them. `owner` names the function in errors ('ResNet50'); `extraKeys` declares a family's own
 * options (MobileNetV2's alpha), returned unchecked beside the shared ones for the family to check;
 * `defaultWeights` is 'imagenet' as in Keras, null for models Keras publishes no weights for.
 */
export function parseApplicationOptions<Extra extends object = Record<string, never>>(
  owner: string,
  raw: unknown,
  extraKeys: OptionKeys = {},
  defaultWeights: 'imagenet' | null = 'imagenet',
): ParsedApplicationOptions & Partial<Extra> {
  const o = parseOptions<ApplicationOptions & Record<string, unknown>>(owner, raw, { keys: { ...APPLICATION_KEYS, ...extraKeys } });
  const weights = o.weights === undefined ? defaultWeights : o.weights;
  const includeTop = o.includeTop ?? true;
  const classes = o.classes ?? 1000;
  if (weights === '') {
    throw configError(owner, {
      expected: "weights must be null (random initialisation), 'imagenet' or the path of a weight file",
      got: '""',
    });
  }
  if (weights === 'imagenet' && includeTop && classes !== 1000) {
    throw configError(owner, {
      expected: "weights 'imagenet' with includeTop true needs classes 1000 (the ImageNet classifier)",
      got: `classes ${classes}`,
      hint: 'pass weights: null to train a classifier of your own, or includeTop: false and add your own head',
    });
  }
  if (o.inputTensor !== undefined && !(o.inputTensor instanceof SymbolicTensor)) {
    throw configError(owner, {
      expected: 'inputTensor must be a symbolic tensor (from nr.Input or a layer applied to one)',
      got: show(o.inputTensor),
      hint: 'pass inputShape for a new input instead',
    });
  }
  const pooling = o.pooling ?? null;
  if (pooling !== null && includeTop) {
    throw configError(owner, {
      expected: 'pooling applies only to the features, with includeTop: false',
      got: `pooling '${pooling}' with includeTop true`,
      hint: 'pass includeTop: false to get pooled features, or drop pooling to keep the classifier',
    });
  }
  const classifierActivation = o.classifierActivation === undefined ? 'softmax' : o.classifierActivation;
  // Resolved now so that a misspelt name fails before any layer is built.
  const activation = getActivation(classifierActivation, `${owner}: classifierActivation`);
  if (weights !== null && includeTop && activation !== getActivation('softmax') && activation !== getActivation(null)) {
    throw configError(owner, {
      expected: 'with pretrained weights and includeTop, classifierActivation must be softmax or null (logits)',
      got: show(classifierActivation),
      rule: 'the published classifier was trained with softmax',
    });
  }
  const { includeTop: _t, weights: _w, inputTensor, inputShape, pooling: _p, classes: _c, classifierActivation: _a, name, ...extra } = o;
  return {
    ...(extra as Partial<Extra>),
    includeTop,
    weights,
    inputTensor: inputTensor ?? null,
    inputShape: inputShape ?? null,
    pooling,
    classes,
    classifierActivation,
    name: name ?? null,
  };
}

export interface InputShapeRules {
  /** The size the family was trained at (224 for most). */
  defaultSize: number;
  /** The smallest height and width its downsampling accepts (32 for VGG and ResNet). */
  minSize: number;
  /** Whether the top needs a fixed size (Flatten + Dense: includeTop). */
  requireFlatten: boolean;
  weights: string | null;
}

/** A shape as the user writes it: `[224, null, 3]`. */
const shown = (shape: readonly (number | null)[]) => `[${shape.map(String).join(', ')}]`;

/**
 * Keras's obtain_input_shape (channels last): the input shape an application is built for, from
 * the given one (or null) and the family's rules. ImageNet weights need 3 channels, and with the
 * top exactly the default size; without a given shape the top gets the default size and the
 * features [null, null, 3] (any size).
 */
export function obtainInputShape(owner: string, inputShape: readonly (number | null)[] | null, rules: InputShapeRules): (number | null)[] {
  const { defaultSize, minSize, requireFlatten, weights } = rules;
  const given = inputShape === null ? null : [...inputShape];
  const defaultShape =
    weights !== 'imagenet' && given !== null && given.length === 3 ? [defaultSize, defaultSize, given[2]!] : [defaultSize, defaultSize, 3];
  if (weights === 'imagenet' && requireFlatten) {
    if (given !== null && shown(given) !== shown(defaultShape)) {
      throw configError(owner, {
        expected: `with includeTop and weights 'imagenet', inputShape must be ${shown(defaultShape)}`,
        got: shown(given),
        hint: 'pass includeTop: false to use another size, or weights: null',
      });
    }
    return defaultShape;
  }
  if (given === null) return requireFlatten ? defaultShape : [null, null, 3];
  if (given.length !== 3) {
    throw configError(owner, { expected: 'inputShape must have three entries [height, width, channels]', got: shown(given) });
  }
  if (given[2] !== 3 && weights === 'imagenet') {
    throw configError(owner, {
      expected: "weights 'imagenet' need 3 input channels (RGB)",
      got: `inputShape ${shown(given)}`,
      hint: 'repeat a grayscale channel three times, or pass weights: null',
    });
  }
  if ((given[0] !== null && given[0]! < minSize) || (given[1] !== null && given[1]! < minSize)) {
    throw configError(owner, {
      expected: `the input must be at least ${minSize}x${minSize}`,
      got: `inputShape ${shown(given)}`,
      rule: "smaller images vanish in the network's downsampling",
    });
  }
  if (requireFlatten && given.includes(null)) {
    throw configError(owner, {
      expected: 'with includeTop, inputShape must be fully known (the classifier needs a fixed size)',
      got: shown(given),
      hint: 'give every size, or pass includeTop: false',
    });
  }
  return given;
}

/**
 * The input an application starts from: a new `Input` of the shape obtainInputShape gives, or the
 * given inputTensor (whose shape obeys the same rules, and must agree with inputShape when both are given).
 */
export function applicationInput(
  owner: string,
  options: ParsedApplicationOptions,
  rules: Omit<InputShapeRules, 'weights' | 'requireFlatten'>,
) {
  const shapeRules = { ...rules, requireFlatten: options.includeTop, weights: options.weights };
  const tensor = options.inputTensor;
  if (tensor === null) return Input({ shape: obtainInputShape(owner, options.inputShape, shapeRules) });
  if (tensor.shape.length !== 4) {
    throw configError(owner, {
      expected: 'inputTensor must be a batch of images [batch, height, width, channels]',
      got: `a symbolic tensor of shape ${shown(tensor.shape)}`,
    });
  }
  const own = tensor.shape.slice(1);
  if (options.inputShape !== null && shown(own) !== shown(options.inputShape)) {
    throw configError(owner, {
      expected: 'inputShape and inputTensor disagree',
      got: `inputShape ${shown(options.inputShape)} and an inputTensor of shape ${shown(tensor.shape)}`,
      hint: 'give one of them',
    });
  }
  obtainInputShape(owner, own, shapeRules);
  return tensor;
}

/** The model inputs a symbolic tensor was computed from (Keras's get_source_inputs). */
export function sourceInputs(tensor: SymbolicTensor): SymbolicTensor[] {
  const found: SymbolicTensor[] = [];
  const seen = new Set<SymbolicTensor>();
  const stack = [tensor];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.layer === null) found.push(t);
    else stack.push(...[...t.inputs].reverse());
  }
  return found;
}

/** Keras's classifier: Dense(classes, classifierActivation) named 'predictions'. */
export function classifier(x: SymbolicTensor, options: ParsedApplicationOptions): SymbolicTensor {
  return new Dense({ units: options.classes, activation: options.classifierActivation, name: 'predictions' }).apply(x);
}

export interface FinishOptions {
  /** The model's name unless options.name is given ('vgg16'). */
  defaultName: string;
  /** The Keras weight file's stem, for loadApplicationWeights ('vgg16', 'resnet50v2'). */
  weightsKey: string;
  /** The family's top, from the features to the class scores (usually ending with `classifier`). */
  top: (features: SymbolicTensor) => SymbolicTensor;
  /** Names of the pooling layers with includeTop false, where the family names them ({avg: 'avg_pool', max: 'max_pool'}). */
  poolingNames?: { avg: string; max: string };
  /** Outputs after the top's, with includeTop (GoogLeNet's auxiliary classifiers). */
  extraOutputs?: readonly SymbolicTensor[];
}

/**
 * Ends an application: the top (includeTop) or the pooling, the functional model on the source
 * inputs, then the weights ('imagenet' or a path; none with null).
 */
export async function finishApplication(
  input: SymbolicTensor,
  features: SymbolicTensor,
  options: ParsedApplicationOptions,
  finish: FinishOptions,
): Promise<Model> {
  let x = features;
  if (options.includeTop) x = finish.top(x);
  else if (options.pooling === 'avg') x = new GlobalAveragePooling2D({ name: finish.poolingNames?.avg }).apply(x);
  else if (options.pooling === 'max') x = new GlobalMaxPooling2D({ name: finish.poolingNames?.max }).apply(x);
  const sources = options.inputTensor === null ? [input] : sourceInputs(options.inputTensor);
  const inputs = sources.length === 1 ? sources[0]! : sources;
  const outputs = options.includeTop && finish.extraOutputs?.length ? [x, ...finish.extraOutputs] : x;
  const model = new Model(inputs, outputs, { name: options.name ?? finish.defaultName });
  if (options.weights !== null) await loadApplicationWeights(model, finish.weightsKey, options.weights, options.includeTop);
  return model;
}

/** For models without Keras-published weights (AlexNet, GoogLeNet): weights 'imagenet' is an error that says why. */
export function requireNoImagenetWeights(owner: string, options: ParsedApplicationOptions): void {
  if (options.weights !== 'imagenet') return;
  throw configError(owner, {
    expected: "weights 'imagenet' is not available: Keras publishes no weights for this model",
    rule: "torchvision's are PyTorch pickles, which neurona does not read (loading a file never runs code)",
    hint: 'pass weights: null (the default), or the path of a weight file saved from this model',
  });
}
