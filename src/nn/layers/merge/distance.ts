import { configError, epsilon, is, shapeError, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  declareLayerOptions,
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';

/*
 * The heads of a Siamese network: two embeddings of one shape in, one score per pair out. Keras
 * writes them as Lambda layers in its examples; as layers they save and load with the model.
 */

export interface DistanceOptions extends LayerOptions {
  /** The axis the distance reduces (default -1, the features); it is kept with size 1. */
  axis?: number;
}

/** Checks the pair of inputs once, in build, computeOutputShape and call. */
abstract class PairDistance extends Layer {
  readonly axis: number = this.options<DistanceOptions>().axis ?? -1;

  constructor(options?: DistanceOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  override get takesInputList(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  private get where(): string {
    return `${this.className} "${this.name}"`;
  }

  override build(inputShape: LayerShape | readonly LayerShape[]): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape as LayerShape);
  }

  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const shapes = inputShape as readonly unknown[];
    if (shapes.length !== 2 || !shapes.every((s) => Array.isArray(s))) {
      throw configError(this.where, {
        expected: 'expects a list of two inputs [a, b] (the two embeddings of each pair)',
        got: shapes.every((s) => Array.isArray(s))
          ? `${shapes.length} inputs`
          : `one input of shape ${formatLayerShape(inputShape as LayerShape)}`,
        hint: 'call apply([a, b])',
      });
    }
    const [a, b] = shapes as unknown as [LayerShape, LayerShape];
    if (a.length !== b.length || a.some((d, i) => d !== null && b[i] !== null && d !== b[i])) {
      throw shapeError(this.where, {
        expected: 'both embeddings must have one shape',
        got: `${formatLayerShape(a)} and ${formatLayerShape(b)}`,
        hint: 'pass both members of the pair through the same encoder',
      });
    }
    const axis = this.axis < 0 ? this.axis + a.length : this.axis;
    if (axis < 1 || axis >= a.length) {
      throw shapeError(this.where, {
        expected: `axis ${this.axis} is out of range for embeddings of rank ${a.length}`,
        got: formatLayerShape(a),
        hint: a.length < 2 ? 'embeddings need a batch axis and a feature axis' : `use an axis in 1..${a.length - 1} (not the batch)`,
      });
    }
    return a.map((d, i) => (i === axis ? 1 : (d ?? b[i] ?? null)));
  }

  override call(inputs: Tensor | readonly Tensor[], _options: CallOptions): Tensor {
    const [a, b] = inputs as readonly [Tensor, Tensor];
    this.computeOutputShape([a.shape, b.shape] as never);
    return this.distance(a, b, this.axis < 0 ? this.axis + a.rank : this.axis);
  }

  protected abstract distance(a: Tensor, b: Tensor, axis: number): Tensor;

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}

const DISTANCE_KEYS = { axis: is.integer } satisfies OwnOptionChecks<DistanceOptions, LayerOptions>;

/**
 * The L1 (Manhattan) distance of each pair, sum(|a - b|) along `axis` (default -1): `[a, b]` of
 * shape [batch, dim] give [batch, 1]. Koch et al.'s one-shot Siamese network scores a pair with
 * a sigmoid Dense on |a - b|; this is its sum.
 *
 * ```ts
 * new nr.layers.L1Distance().apply([nr.tensor([[0, 0]]), nr.tensor([[3, -4]])]).toArray(); // [[7]]
 * ```
 */
export class L1Distance extends PairDistance {
  protected distance(a: Tensor, b: Tensor, axis: number): Tensor {
    return ops.sum(ops.abs(ops.sub(a, b)), axis, true);
  }
}
declareLayerOptions(L1Distance, { keys: DISTANCE_KEYS });
registerLayer(L1Distance, 'L1Distance');

export interface L2DistanceOptions extends DistanceOptions {
  /** Added to the squared distance inside the square root (default epsilon(), 1e-7). */
  epsilon?: number;
}

/**
 * The Euclidean distance of each pair, sqrt(sum((a - b)^2) + epsilon) along `axis` (default -1):
 * `[a, b]` of shape [batch, dim] give [batch, 1]. The epsilon inside the square root keeps the
 * gradient finite when a pair's embeddings coincide (sqrt'(0) is infinite), at the cost of a floor of
 * sqrt(epsilon) = 3.2e-4 on the distance; pair it with `ContrastiveLoss`.
 *
 * ```ts
 * new nr.layers.L2Distance({ epsilon: 0 }).apply([nr.tensor([[0, 0]]), nr.tensor([[3, -4]])]).toArray(); // [[5]]
 * ```
 */
export class L2Distance extends PairDistance {
  readonly epsilon: number;
  constructor(options?: L2DistanceOptions);
  constructor(...args: unknown[]) {
    super(...(args as [DistanceOptions]));
    this.epsilon = this.options<L2DistanceOptions>().epsilon ?? epsilon();
    if (!(this.epsilon >= 0)) throw configError(`L2Distance "${this.name}"`, { expected: 'epsilon must be >= 0', got: show(this.epsilon) });
  }
  protected distance(a: Tensor, b: Tensor, axis: number): Tensor {
    return ops.sqrt(ops.add(ops.sum(ops.square(ops.sub(a, b)), axis, true), this.epsilon));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
declareLayerOptions(L2Distance, { keys: { ...DISTANCE_KEYS, epsilon: is.number } });
registerLayer(L2Distance, 'L2Distance');

/**
 * The cosine similarity of each pair along `axis` (default -1), in [-1, 1] (a similarity: higher is
 * closer): `[a, b]` of shape [batch, dim] give [batch, 1]. Each side is L2-normalised as Keras's
 * l2_normalize does, x / sqrt(max(sum(x^2), 1e-12)), so a zero vector gives 0, not NaN.
 *
 * ```ts
 * new nr.layers.CosineSimilarity().apply([nr.tensor([[1, 0], [1, 1]]), nr.tensor([[0, 2], [2, 2]])]).toArray(); // [[0], [1]]
 * ```
 */
export class CosineSimilarity extends PairDistance {
  protected distance(a: Tensor, b: Tensor, axis: number): Tensor {
    const normalize = (x: Tensor) => ops.mul(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axis, true), 1e-12)));
    return ops.sum(ops.mul(normalize(a), normalize(b)), axis, true);
  }
}
declareLayerOptions(CosineSimilarity, { keys: DISTANCE_KEYS });
registerLayer(CosineSimilarity, 'CosineSimilarity');
