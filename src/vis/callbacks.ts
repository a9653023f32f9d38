/**
 * The Node entry's `nr.callbacks`: every callback of src/nn/callbacks plus Report, which lives here
 * because it draws with src/vis (and src/nn may not import src/vis: docs/architecture.md, "Layers of the code").
 */
export * from '../nn/callbacks/index.js';
export { Report, type ReportOptions, type ReportSamples } from './report.js';
