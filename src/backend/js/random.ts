import type { TypedArray, Random } from '../../core/index.js';

export function fillUniform(out: TypedArray, low: number, high: number, random: Random): void {
  const span = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + span * random.next();
}

export function fillNormal(out: TypedArray, mean: number, std: number, random: Random): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * random.nextNormal();
}
