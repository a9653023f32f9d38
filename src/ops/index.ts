import './methods.js';
export * from './elementwise.js';
export * from './activation.js';
export { sum, mean, max, min, logsumexp, argmax, argmin, unbroadcast, type Axes } from './reduce.js';
export * from './shape.js';
export * from './linalg.js';
export type { Operand } from './helpers.js';
