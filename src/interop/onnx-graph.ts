/**
 * The pieces every ONNX layer writer uses (src/interop/onnx-export*.ts): a graph under construction,
 * activations by Keras name, and the error for a layer with no ONNX form.
 */
import { configError, show } from '../core/index.js';
import type { Tensor } from '../tensor/index.js';
import { activationName } from '../nn/activations.js';
import type { Layer } from '../nn/layer.js';
import { DataType, type AttributeProto, type NodeProto, type TensorProto } from './onnx-proto.js';

/** The layer classes toOnnx writes (docs/interop.md lists them). */
export const ONNX_EXPORTED_LAYERS = [
  'Dense',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Maxout',
  'Conv1D',
  'Conv2D',
  'MaskedConv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
  'MaxPooling1D',
  'AveragePooling1D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalMaxPooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'AdaptiveAveragePooling2D',
  'BatchNormalization',
  'LayerNormalization',
  'GroupNormalization',
  'UnitNormalization',
  'Normalization',
  'Rescaling',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'Flatten',
  'Reshape',
  'ZeroPadding1D',
  'ZeroPadding2D',
  'Cropping1D',
  'Cropping2D',
  'UpSampling1D',
  'UpSampling2D',
  'Resizing',
  'CenterCrop',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Concatenate',
  'L1Distance',
  'L2Distance',
  'CosineSimilarity',
  'Embedding',
  'PositionEmbedding',
  'TokenAndPositionEmbedding',
  'SimpleRNN',
  'LSTM',
  'GRU',
  'RNN (one cell)',
  'Bidirectional',
  'TimeDistributed',
  'Attention',
  'AdditiveAttention',
  'MultiHeadAttention',
  'Random* augmentation (identity)',
  'nested Sequential and functional models',
];
export type Attrs = Record<string, number | number[] | string>;

export class GraphBuilder {
  nodes: NodeProto[] = [];
  initializers: TensorProto[] = [];
  private count = 0;

  constructor(readonly where: string) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  constant(prefix: string, values: ArrayLike<number>, dims: readonly number[], dataType: number = DataType.FLOAT): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType, data: Array.from(values) });
    return name;
  }

  weight(prefix: string, t: Tensor): string {
    return this.constant(prefix, t.data() as Float32Array, t.shape);
  }

  ints(prefix: string, values: readonly number[]): string {
    return this.constant(prefix, values, [values.length], DataType.INT64);
  }

  node(opType: string, inputs: string[], attrs: Attrs = {}, prefix = opType.toLowerCase()): string {
    const out = this.fresh(prefix);
    const attributes: AttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string'
        ? { name, s: v }
        : Array.isArray(v)
          ? { name, ints: v }
          : Number.isInteger(v) && name !== 'alpha' && name !== 'beta' && name !== 'epsilon'
            ? { name, i: v }
            : { name, f: v },
    );
    this.nodes.push({ name: out, opType, domain: '', inputs, outputs: [out], attributes });
    return out;
  }
}

export const unsupported = (layer: Layer): never => {
  throw configError('toOnnx', {
    expected: `layer ${show(layer.name)} of class ${layer.className} has no ONNX form`,
    hint: `supported: ${ONNX_EXPORTED_LAYERS.join(', ')}`,
  });
};

/** The ONNX nodes of an activation by Keras name; the input name when it is linear. */
export function activation(g: GraphBuilder, x: string, identifier: unknown, layer: Layer): string {
  const name = activationName(identifier as never);
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x]);
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'softmax':
      return g.node('Softmax', [x], { axis: -1 });
    case 'log_softmax':
      return g.node('LogSoftmax', [x], { axis: -1 });
    case 'elu':
      return g.node('Elu', [x], { alpha: 1 });
    case 'selu':
      return g.node('Selu', [x]);
    case 'softplus':
      return g.node('Softplus', [x]);
    case 'softsign':
      return g.node('Softsign', [x]);
    case 'exponential':
      return g.node('Exp', [x]);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], { alpha: 0.2 });
    case 'relu6':
      return g.node('Clip', [x, g.constant('zero', [0], []), g.constant('six', [6], [])]);
    case 'swish':
    case 'silu':
      return g.node('Mul', [x, g.node('Sigmoid', [x])]);
    case 'hard_sigmoid':
      return g.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
    case 'hard_swish':
    case 'hard_silu':
      return g.node('Mul', [x, g.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 })]);
    case 'gelu': {
      const erf = g.node('Erf', [g.node('Mul', [x, g.constant('rsqrt2', [Math.SQRT1_2], [])])]);
      return g.node('Mul', [g.node('Mul', [x, g.constant('half', [0.5], [])]), g.node('Add', [erf, g.constant('one', [1], [])])]);
    }
    default:
      throw configError('toOnnx', { expected: `layer ${show(layer.name)}: activation ${show(name)} has no ONNX form here` });
  }
}
