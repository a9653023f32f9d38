/** The callbacks that need no file system (the browser entry's `nr.callbacks`). */
export { Callback, CallbackList, type CallbackModel, type CallbackParams, type Logs } from './callback.js';
export { History } from './history.js';
export { ProgbarLogger, type ProgbarLoggerOptions, type ProgressStream } from './progbar.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { TerminateOnNaN } from './terminate-on-nan.js';
export { LearningRateScheduler, ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './learning-rate.js';
export { LambdaCallback, type LambdaCallbackOptions } from './lambda.js';
export type { MonitorMode } from './monitor.js';
