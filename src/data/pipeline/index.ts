/** Input pipelines (`nr.data`): `nr.data.Dataset`, a tf.data-like async iterable that fit, evaluate and predict accept. */
export { Dataset, INFINITE, UNKNOWN, type MapOptions, type BatchOptions, type ShuffleOptions } from './dataset.js';
export type { Element } from './structure.js';
export { makePairs, makeTriplets, type MakePairsOptions, type MakeTripletsOptions } from './pairs.js';
