/**
 * A small `torch.distributions`: Normal, Bernoulli and Categorical with `sample`, `rsample` (Normal),
 * `logProb`, `entropy`, `mean`, `variance`, `stddev`, batch shapes broadcast as in PyTorch, and
 * `klDivergence(p, q)` for pairs of the same family. Every value is built from differentiable ops, so
 * gradients reach the parameters (the reparameterisation trick through `Normal.rsample`).
 */
import { broadcastShapes, configError, formatShape, isFloat, shapeError, show } from '../../core/index.js';
import { type Tensor, full, noGrad, randn } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { categorical, uniform } from '../../ops/random.js';

type Operand = ops.Operand;

const isTensor = (v: unknown): v is Tensor => v !== null && typeof v === 'object' && 'shape' in v && 'dtype' in v && '_data' in v;

/** Throws when any value of `t` breaks `ok`, naming the distribution and the parameter. */
function validate(t: Tensor, where: string, role: string, ok: (v: number) => boolean, rule: string): void {
  const bad = Array.from(t.data()).find((v) => !ok(v));
  if (bad !== undefined)
    throw configError(where, { expected: `${role} must be ${rule}`, got: show(bad), hint: 'pass validateArgs: false to skip this check' });
}

export interface DistributionOptions {
  /** Check the parameters' ranges at construction (default true, as PyTorch). */
  validateArgs?: boolean;
}

/** What Normal, Bernoulli and Categorical share. */
export abstract class Distribution {
  /** The shape of the parameters' broadcast, one distribution per element (PyTorch's `batch_shape`). */
  abstract readonly batchShape: number[];
  abstract get mean(): Tensor;
  abstract get variance(): Tensor;
  get stddev(): Tensor {
    return ops.sqrt(this.variance);
  }
  /** Samples of shape `[...shape, ...batchShape]`, with no gradient. */
  sample(shape: readonly number[] = []): Tensor {
    return noGrad(() => this.draw(shape));
  }
  /** Reparameterised samples through which gradients reach the parameters (Normal only). */
  rsample(_shape: readonly number[] = []): Tensor {
    throw configError(`${this.constructor.name}.rsample`, {
      expected: 'a reparameterised sample exists for Normal only',
      hint: 'use sample() (no gradient), or a score-function estimator with logProb',
    });
  }
  abstract logProb(value: Operand): Tensor;
  abstract entropy(): Tensor;
  protected abstract draw(shape: readonly number[]): Tensor;
}

/**
 * The normal distribution N(loc, scale^2), `loc` and `scale` broadcast to the batch shape.
 *
 * ```ts
 * const d = new nr.distributions.Normal(0, 1);
 * d.logProb(0).item(); // -0.9189 = -log(sqrt(2 pi))
 * d.rsample([3]).shape; // [3]: loc + scale * noise, differentiable w.r.t. loc and scale
 * ```
 */
export class Normal extends Distribution {
  readonly loc: Tensor;
  readonly scale: Tensor;
  readonly batchShape: number[];

  constructor(loc: Operand, scale: Operand, options: DistributionOptions = {}) {
    super();
    const l = floatParameter(loc, scale);
    const s = floatParameter(scale, l);
    this.batchShape = broadcastShapes(l.shape, s.shape, 'distributions.Normal');
    this.loc = ops.broadcastTo(l, this.batchShape);
    this.scale = ops.broadcastTo(s, this.batchShape);
    if (options.validateArgs ?? true) validate(this.scale, 'distributions.Normal', 'scale', (v) => v > 0, 'positive');
  }
  get mean(): Tensor {
    return this.loc;
  }
  get variance(): Tensor {
    return ops.square(this.scale);
  }
  override get stddev(): Tensor {
    return this.scale;
  }
  override rsample(shape: readonly number[] = []): Tensor {
    return this.draw(shape);
  }
  protected draw(shape: readonly number[]): Tensor {
    return ops.add(this.loc, ops.mul(randn([...shape, ...this.batchShape], { dtype: this.loc.dtype }), this.scale));
  }
  logProb(value: Operand): Tensor {
    const z = ops.div(ops.sub(floatParameter(value, this.loc), this.loc), this.scale);
    return ops.sub(ops.sub(ops.mul(ops.square(z), -0.5), ops.log(this.scale)), 0.5 * Math.log(2 * Math.PI));
  }
  entropy(): Tensor {
    return ops.add(ops.log(this.scale), 0.5 + 0.5 * Math.log(2 * Math.PI));
  }
}

/** probs or logits, exactly one, as PyTorch's Bernoulli and Categorical take them. */
export type ProbsOrLogits = { probs: Operand; logits?: undefined } | { logits: Operand; probs?: undefined };

function probsOrLogits(where: string, args: ProbsOrLogits): { probs?: Tensor; logits?: Tensor } {
  const given = args && typeof args === 'object' ? (['probs', 'logits'] as const).filter((k) => args[k] !== undefined) : [];
  if (given.length !== 1) {
    throw configError(where, { expected: 'exactly one of {probs} or {logits}', got: show(args), hint: `e.g. new nr.${where}({ logits })` });
  }
  return given[0] === 'probs' ? { probs: floatParameter(args.probs!) } : { logits: floatParameter(args.logits!) };
}

/**
 * The Bernoulli distribution over {0, 1}, from `{probs}` or `{logits}` (log-odds); samples are floats.
 *
 * ```ts
 * const d = new nr.distributions.Bernoulli({ probs: [0.2, 0.9] });
 * d.logProb([0, 1]).toArray(); // [log 0.8, log 0.9]
 * ```
 */
export class Bernoulli extends Distribution {
  readonly probs: Tensor;
  readonly logits: Tensor;
  readonly batchShape: number[];

  constructor(args: ProbsOrLogits, options: DistributionOptions = {}) {
    super();
    const { probs, logits } = probsOrLogits('distributions.Bernoulli', args);
    if (probs && (options.validateArgs ?? true)) validate(probs, 'distributions.Bernoulli', 'probs', (v) => v >= 0 && v <= 1, 'in [0, 1]');
    // As PyTorch: the log-odds of the clamped probs, and probs from logits by the sigmoid.
    this.probs = probs ?? ops.sigmoid(logits!);
    const clamped = probs && clampProbs(probs);
    this.logits = logits ?? ops.sub(ops.log(clamped!), ops.log1p(ops.neg(clamped!)));
    this.batchShape = [...this.probs.shape];
  }
  get mean(): Tensor {
    return this.probs;
  }
  get variance(): Tensor {
    return ops.mul(this.probs, ops.sub(1, this.probs));
  }
  protected draw(shape: readonly number[]): Tensor {
    const u = uniform([...shape, ...this.batchShape], { dtype: this.probs.dtype });
    return ops.cast(ops.less(u, this.probs), this.probs.dtype);
  }
  /** `value * logits - softplus(logits)`: minus the binary crossentropy with logits, stable for large |logits|. */
  logProb(value: Operand): Tensor {
    return ops.sub(ops.mul(floatParameter(value, this.logits), this.logits), ops.softplus(this.logits));
  }
  entropy(): Tensor {
    return ops.sub(ops.softplus(this.logits), ops.mul(this.probs, this.logits));
  }
}

/**
 * The categorical distribution over `K` classes, the last axis of `{probs}` (normalized here) or
 * `{logits}` (unnormalized log-probabilities); batch shape: the other axes. Samples are int32 indices.
 *
 * ```ts
 * const d = new nr.distributions.Categorical({ probs: [0.1, 0.6, 0.3] });
 * d.logProb(1).item(); // log 0.6
 * d.sample([4]).shape; // [4]
 * ```
 */
export class Categorical extends Distribution {
  readonly probs: Tensor;
  /** Normalized log-probabilities (logsumexp 0 over the last axis). */
  readonly logits: Tensor;
  readonly batchShape: number[];
  readonly numCategories: number;

  constructor(args: ProbsOrLogits, options: DistributionOptions = {}) {
    super();
    const where = 'distributions.Categorical';
    const { probs, logits } = probsOrLogits(where, args);
    const given = (probs ?? logits)!;
    if (given.rank < 1) throw shapeError(where, { expected: 'probs or logits need a last axis of classes', got: formatShape(given.shape) });
    if (probs && (options.validateArgs ?? true)) validate(probs, where, 'probs', (v) => v >= 0 && Number.isFinite(v), 'finite and >= 0');
    this.probs = probs ? ops.div(probs, ops.sum(probs, -1, true)) : ops.softmax(logits!);
    this.logits = logits ? ops.sub(logits, ops.logsumexp(logits, -1, true)) : ops.log(clampProbs(this.probs));
    this.batchShape = given.shape.slice(0, -1);
    this.numCategories = given.shape.at(-1)!;
  }
  /** NaN, as PyTorch: classes are labels, not numbers. */
  get mean(): Tensor {
    return full(this.batchShape, Number.NaN, this.probs.dtype);
  }
  get variance(): Tensor {
    return this.mean;
  }
  protected draw(shape: readonly number[]): Tensor {
    const count = shape.reduce((a, b) => a * b, 1);
    const rows = ops.reshape(this.logits, [-1, this.numCategories]);
    // categorical gives [rows, count]; samples go first, as PyTorch's [...shape, ...batchShape].
    const drawn = ops.transpose(categorical(rows, count), [1, 0]);
    return ops.reshape(drawn, [...shape, ...this.batchShape]);
  }
  logProb(value: Operand): Tensor {
    const v = ops.cast(value, 'int32');
    const shape = broadcastShapes(v.shape, this.batchShape, 'distributions.Categorical.logProb');
    const bad = Array.from(v.data()).find((k) => k < 0 || k >= this.numCategories);
    if (bad !== undefined) {
      throw shapeError('distributions.Categorical.logProb', { expected: `class indices in 0..${this.numCategories - 1}`, got: show(bad) });
    }
    const picked = ops.mul(ops.oneHot(ops.broadcastTo(v, shape), this.numCategories, { dtype: this.logits.dtype }), this.logits);
    return ops.sum(picked, -1);
  }
  entropy(): Tensor {
    // 0 * log 0 counts as 0: a class of probability 0 has logits -inf.
    const pLogP = ops.where(ops.equal(this.probs, 0), 0, ops.mul(this.probs, this.logits));
    return ops.neg(ops.sum(pLogP, -1));
  }
}

/**
 * KL(p || q) per batch element, for two distributions of the same family (Normal, Bernoulli,
 * Categorical), PyTorch's formulas; another pair is a ConfigError naming both.
 *
 * ```ts
 * const p = new nr.distributions.Normal(0, 1);
 * nr.distributions.klDivergence(p, new nr.distributions.Normal(1, 2)).item(); // log 2 + 2/8 - 1/2 = 0.4431
 * ```
 */
export function klDivergence(p: Distribution, q: Distribution): Tensor {
  if (p instanceof Normal && q instanceof Normal) {
    const varianceRatio = ops.square(ops.div(p.scale, q.scale));
    const t1 = ops.square(ops.div(ops.sub(p.loc, q.loc), q.scale));
    return ops.mul(ops.sub(ops.sub(ops.add(varianceRatio, t1), 1), ops.log(varianceRatio)), 0.5);
  }
  if (p instanceof Bernoulli && q instanceof Bernoulli) {
    // A term whose weight (p or 1 - p) is 0 counts as 0, as PyTorch.
    const t1 = ops.mul(p.probs, ops.sub(ops.softplus(ops.neg(q.logits)), ops.softplus(ops.neg(p.logits))));
    const t2 = ops.mul(ops.sub(1, p.probs), ops.sub(ops.softplus(q.logits), ops.softplus(p.logits)));
    return ops.add(ops.where(ops.equal(p.probs, 0), 0, t1), ops.where(ops.equal(p.probs, 1), 0, t2));
  }
  if (p instanceof Categorical && q instanceof Categorical) {
    const t = ops.mul(p.probs, ops.sub(p.logits, q.logits));
    return ops.sum(ops.where(ops.equal(p.probs, 0), 0, t), -1);
  }
  const name = (d: unknown) => (d instanceof Distribution ? d.constructor.name : show(d));
  throw configError('distributions.klDivergence', {
    expected: 'p and q of the same family: Normal/Normal, Bernoulli/Bernoulli or Categorical/Categorical',
    got: `${name(p)} and ${name(q)}`,
  });
}

/** As PyTorch's clamp_probs: probabilities 0 and 1 moved in by the dtype's epsilon, so that their logits stay finite. */
function clampProbs(probs: Tensor): Tensor {
  const eps = probs.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  return ops.clip(probs, eps, 1 - eps);
}

/** A float tensor of a parameter: a float tensor as it is, anything else (numbers, ints) in `like`'s dtype or float32. */
function floatParameter(value: Operand, like?: Operand): Tensor {
  if (isTensor(value) && isFloat(value.dtype)) return value;
  const dtype = isTensor(like) && isFloat(like.dtype) ? like.dtype : 'float32';
  return ops.cast(value, dtype);
}
