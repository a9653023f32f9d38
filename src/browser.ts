/**
 * The browser entry (package.json "exports" condition `browser`): the whole API except what needs
 * Node's file system, i.e. the dataset loaders (`nr.datasets`). test/browser-entry.test.ts checks
 * that nothing reachable from here imports a `node:` module.
 */
export * from './api.js';
export * as callbacks from './nn/callbacks/browser.js';
export * as vis from './vis/browser.js';
export * as data from './data/pipeline/index.js';
