import { configError, is, show } from '../../../core/index.js';
import { Tensor, noGrad, randu, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { scatterAdd } from '../../../ops/shape.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, declareLayerOptions, registerLayer, type CallOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import type { LinearOptions } from '../core/linear.js';
import { LINEAR_OPTIONS } from '../core/linear.js';
import { getRegularizer, type Regularizer } from '../../regularizers.js';
import { asDType, graphApply, graphOf, type GraphCallOptions, type GraphLayerInput } from './base.js';

export interface GATConvOptions extends LinearOptions {
  /** Output features per head. */
  units: number;
  /** Number of attention heads (default 1). */
  heads?: number;
  /** Concatenate the heads' outputs (`[n, heads * units]`, default true) or average them (`[n, units]`). */
  concatHeads?: boolean;
  /** Dropout rate on the attention coefficients during training (default 0). */
  dropout?: number;
  /** Slope of the LeakyReLU on the attention logits for negative inputs (default 0.2). */
  negativeSlope?: number;
  /** Initializer of the attention vectors (default 'glorot_uniform'). */
  attentionInitializer?: InitializerIdentifier;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
}

/**
 * Graph attention (Veličković et al., ICLR 2018, eqs. 1-6). Per head k, with `h = x W_k`:
 * `e_ij = LeakyReLU(a_self . h_i + a_neighbor . h_j)` for each neighbour j of i (i itself
 * included), `alpha_ij = softmax_j(e_ij)` over i's neighbours, `out_i = sum_j alpha_ij h_j`; the heads
 * are concatenated or averaged, then the bias is added and the activation applied. Weights `[kernel
 * [features, heads * units], attention_self [heads, units], attention_neighbor [heads, units], bias]`
 * (bias `[heads * units]` when concatenating, `[units]` when averaging). The softmax runs over each
 * node's neighbours including itself, so the graph must hold its self-loops (a ConfigError otherwise).
 *
 * ```ts
 * const g = nr.graph.Graph.fromEdges([[0, 1], [1, 2]], { undirected: true, selfLoops: true });
 * const gat = new nr.layers.GATConv({ units: 4, heads: 2 });
 * console.log(gat.apply([nr.ones([3, 5]), g]).shape); // [ 3, 8 ]
 * ```
 */
export class GATConv extends Layer {
  readonly units: number;
  readonly heads: number;
  readonly concatHeads: boolean;
  readonly dropout: number;
  readonly negativeSlope: number;
  readonly useBias: boolean;
  readonly activation: ActivationIdentifier;
  private readonly initializers: Record<'kernel' | 'bias' | 'attention', InitializerIdentifier>;
  private readonly weightRegularizers: Record<'kernel' | 'bias', Regularizer | null>;
  private readonly activationFn: ActivationFn;
  kernel: Variable | null = null;
  attentionSelf: Variable | null = null;
  attentionNeighbor: Variable | null = null;
  bias: Variable | null = null;

  constructor(units: number, options?: Omit<GATConvOptions, 'units'>);
  constructor(options: GATConvOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GATConvOptions>();
    const own = `GATConv "${this.name}"`;
    const positive = (key: 'units' | 'heads', v: unknown) => {
      if (!Number.isInteger(v) || (v as number) < 1)
        throw configError(own, { expected: `${key} must be a positive integer`, got: show(v) });
      return v as number;
    };
    this.units = positive('units', options.units);
    this.heads = positive('heads', options.heads ?? 1);
    this.concatHeads = options.concatHeads ?? true;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw configError(own, { expected: 'dropout must be in [0, 1)', got: show(this.dropout) });
    this.negativeSlope = options.negativeSlope ?? 0.2;
    this.useBias = options.useBias ?? true;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, own);
    this.initializers = {
      kernel: options.kernelInitializer ?? 'glorot_uniform',
      bias: options.biasInitializer ?? 'zeros',
      attention: options.attentionInitializer ?? 'glorot_uniform',
    };
    this.weightRegularizers = { kernel: getRegularizer(options.kernelRegularizer), bias: getRegularizer(options.biasRegularizer) };
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return typeof this.activation !== 'function';
  }

  override get callKeywords(): readonly string[] {
    return ['graph'];
  }

  override apply<T = Tensor>(inputs: GraphLayerInput, options: CallOptions = {}): NoInfer<T> {
    return graphApply(this, inputs, options, (x, o) => super.apply(x, o)) as NoInfer<T>;
  }

  override build(inputShape: LayerShape): void {
    const features = inputShape.at(-1);
    if (typeof features !== 'number') {
      throw configError(`GATConv "${this.name}"`, { expected: 'node features with a known last dimension', got: show(inputShape) });
    }
    const { heads, units } = this;
    this.kernel = this.addWeight({
      name: 'kernel',
      shape: [features, heads * units],
      initializer: this.initializers.kernel,
      regularizer: this.weightRegularizers.kernel,
    });
    this.attentionSelf = this.addWeight({ name: 'attention_self', shape: [heads, units], initializer: this.initializers.attention });
    this.attentionNeighbor = this.addWeight({
      name: 'attention_neighbor',
      shape: [heads, units],
      initializer: this.initializers.attention,
    });
    if (this.useBias) {
      const width = this.concatHeads ? heads * units : units;
      this.bias = this.addWeight({
        name: 'bias',
        shape: [width],
        initializer: this.initializers.bias,
        regularizer: this.weightRegularizers.bias,
      });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, options: GraphCallOptions): Tensor {
    const graph = graphOf(this, options);
    graph.requireSelfLoops(`GATConv "${this.name}"`);
    const { heads, units } = this;
    const n = graph.numNodes;
    const rows = new Tensor(graph.rowIndices(), [graph.numEdges], 'int32');
    const cols = new Tensor(graph.colIdx, [graph.numEdges], 'int32');
    const h = ops.reshape(ops.matmul(asDType(inputs, this.dtype), this.kernel!), [n, heads, units]);
    const scoreSelf = ops.sum(ops.mul(h, this.attentionSelf!), -1);
    const scoreNeighbor = ops.sum(ops.mul(h, this.attentionNeighbor!), -1);
    const logits = ops.leakyRelu(ops.add(ops.gather(scoreSelf, rows), ops.gather(scoreNeighbor, cols)), this.negativeSlope);
    // Softmax over each row's entries; the shift by the row's largest logit only guards exp and carries no gradient.
    const shift = noGrad(() => rowMax(logits, graph.rowPtr, n, heads));
    const weights = ops.exp(ops.sub(logits, ops.gather(shift, rows)));
    let alpha = ops.div(weights, ops.gather(scatterAdd(weights, rows, 0, [n, heads]), rows));
    if (options.training && this.dropout > 0) {
      const keep = ops.cast(ops.greaterEqual(randu([...alpha.shape], { dtype: alpha.dtype }), this.dropout), alpha.dtype);
      alpha = ops.mul(alpha, ops.mul(keep, 1 / (1 - this.dropout)));
    }
    const shape = [n, n] as const;
    const perHead = Array.from({ length: heads }, (_, k) => {
      const values = ops.reshape(ops.slice(alpha, [0, k], [graph.numEdges, 1]), [graph.numEdges]);
      const hk = ops.reshape(ops.slice(h, [0, k, 0], [n, 1, units]), [n, units]);
      return ops.sparseMatmul({ shape, rowPtr: graph.rowPtr, colIdx: graph.colIdx, values }, hk);
    });
    const merged =
      heads === 1
        ? perHead[0]!
        : this.concatHeads
          ? ops.concat(perHead, -1)
          : ops.div(
              perHead.reduce((a, b) => ops.add(a, b)),
              heads,
            );
    return this.activationFn(this.bias ? ops.add(merged, this.bias) : merged);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.concatHeads ? this.heads * this.units : this.units];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      units: this.units,
      heads: this.heads,
      concatHeads: this.concatHeads,
      dropout: this.dropout,
      negativeSlope: this.negativeSlope,
      activation: activationName(this.activation),
      useBias: this.useBias,
      kernelInitializer: this.initializers.kernel,
      biasInitializer: this.initializers.bias,
      attentionInitializer: this.initializers.attention,
    };
    if (this.weightRegularizers.kernel?.config) config.kernelRegularizer = this.weightRegularizers.kernel.config;
    if (this.weightRegularizers.bias?.config) config.biasRegularizer = this.weightRegularizers.bias.config;
    return config;
  }
}

/** The largest entry of each row and head, `[n, heads]` (0 for a row without entries, which nothing reads). */
function rowMax(logits: Tensor, rowPtr: Int32Array, n: number, heads: number): Tensor {
  const data = logits.data();
  const out = new Float64Array(n * heads);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < heads; k++) {
      let m = Number.NEGATIVE_INFINITY;
      for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) m = Math.max(m, data[p * heads + k]!);
      out[i * heads + k] = Number.isFinite(m) ? m : 0;
    }
  }
  return ops.cast(new Tensor(out, [n, heads], 'float64'), logits.dtype);
}
declareLayerOptions(GATConv, {
  positional: ['units'],
  keys: {
    ...LINEAR_OPTIONS,
    units: is.any,
    heads: is.positiveInteger,
    concatHeads: is.boolean,
    dropout: is.number,
    negativeSlope: is.number,
    attentionInitializer: is.identifier,
    activation: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<GATConvOptions, LinearOptions> & typeof LINEAR_OPTIONS,
});
registerLayer(GATConv, 'GATConv');
