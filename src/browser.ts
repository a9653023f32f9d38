/**
 * The browser entry (package.json "exports" condition `browser`): the whole API except what needs
 * Node's file system (the dataset loaders `nr.datasets`, `nr.io`, `nr.interop`); models are saved to
 * IndexedDB or a download and loaded from IndexedDB, a URL or bytes (src/nn/saving/browser.ts).
 * test/browser-entry.test.ts checks that nothing reachable from here imports a `node:` module.
 */
export * from './api.js';
export * as callbacks from './nn/callbacks/browser.js';
export * as vis from './vis/browser.js';
export * as data from './data/pipeline/index.js';
export { loadModel, listModels, removeModel, type SaveOptions, type LoadModelOptions } from './nn/saving/browser.js';
