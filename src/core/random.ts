/**
 * The one seeded random stream of neurona. It lives in TypeScript so that every backend draws the
 * same numbers: initializers, dropout, shuffling and augmentation all read from `globalRandom()`.
 *
 * The generator is xoshiro128** (fast, 2^128 - 1 period, passes BigCrush), seeded through
 * splitmix32 so that nearby seeds give unrelated streams.
 */
export interface RandomState {
  s: [number, number, number, number];
  /** The second value of the last Box-Muller pair, kept so a restored state continues exactly. */
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** Restarts the stream from `seed` (any finite number; its low 32 bits and high bits both count). */
  seed(seed: number): void {
    const mix = splitmix32((seed >>> 0) ^ Math.floor(seed / 4294967296));
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spare = null;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal sample (Box-Muller, both values of each pair used). */
  nextNormal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * v;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  getState(): RandomState {
    return { s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  setState(state: RandomState): void {
    [this.s0, this.s1, this.s2, this.s3] = state.s.map((v) => v | 0) as [number, number, number, number];
    this.spare = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// Unseeded runs start from a different stream each time, as in Keras and PyTorch.
const global = new Random(Math.floor(Math.random() * 4294967296));

/** The shared stream. */
export function globalRandom(): Random {
  return global;
}

/**
 * Seeds the shared stream: the same seed, backend and thread count give the same run, bit for bit.
 *
 * ```ts
 * nr.setSeed(7);
 * const a = nr.randn([3]);
 * nr.setSeed(7);
 * const b = nr.randn([3]); // same values as a
 * ```
 */
export function setSeed(seed: number): void {
  global.seed(seed);
}
