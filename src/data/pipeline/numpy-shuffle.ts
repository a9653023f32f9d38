/**
 * numpy's legacy `np.random.RandomState(seed).shuffle(list)`: Keras's image_dataset_from_directory
 * shuffles its file list with it before splitting off validation files, so the same seed puts the
 * same files in each subset here as in Keras. MT19937 seeded by init_genrand (numpy's integer seed),
 * then Fisher-Yates from the end with numpy's masked rejection sampling for each index.
 */
import { configError, show } from '../../core/index.js';

function mt19937(seed: number): () => number {
  const state = new Uint32Array(624);
  state[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) {
    const previous = state[i - 1]! ^ (state[i - 1]! >>> 30);
    // 1812433253 * previous + i, modulo 2^32, in two halves to stay exact in doubles
    state[i] = (((((previous & 0xffff0000) >>> 16) * 1812433253) << 16) + (previous & 0x0000ffff) * 1812433253 + i) >>> 0;
  }
  let index = 624;
  return () => {
    if (index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (state[k]! & 0x80000000) | (state[(k + 1) % 624]! & 0x7fffffff);
        state[k] = state[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = state[index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

/** Shuffles `items` in place exactly as numpy's `RandomState(seed).shuffle` (seed 0 to 2^32 - 1, lists below 2^32 items). */
export function numpyShuffle<T>(items: T[], seed: number): T[] {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw configError('shuffle', { expected: 'seed must be an integer from 0 to 2^32 - 1 (as numpy requires)', got: show(seed) });
  }
  const next = mt19937(seed);
  for (let i = items.length - 1; i > 0; i--) {
    let mask = i;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let j: number;
    do j = (next() & mask) >>> 0;
    while (j > i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
