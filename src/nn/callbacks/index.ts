/** Training callbacks (Keras names and semantics). Node entry: includes CSVLogger, which writes files. */
export * from './browser.js';
export { CSVLogger, type CSVLoggerOptions } from './csv-logger.js';
export { ModelCheckpoint, BackupAndRestore, BACKUP_FILE, type ModelCheckpointOptions, type BackupAndRestoreOptions } from './checkpoint.js';
