export * from './errors.js';
export * from './dtype.js';
export * from './shape.js';
export * from './random.js';
export * from './notice.js';
export * from './settings.js';
export * from './buffer-pool.js';
export * from './names.js';
