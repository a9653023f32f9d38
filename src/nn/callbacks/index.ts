/** Training callbacks (Keras names and semantics). Node entry: includes CSVLogger, which writes files. */
export * from './browser.js';
export { CSVLogger, type CSVLoggerOptions } from './csv-logger.js';
