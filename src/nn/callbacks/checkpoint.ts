/**
 * ModelCheckpoint and BackupAndRestore (Node only: they write files through the saving module).
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  FormatError,
  configError,
  formatError,
  globalRandom,
  notice,
  type RandomState,
  is,
  parseOptions,
  parseArguments,
  ownEntry,
  show,
} from '../../core/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { encodeSafetensors } from '../../io/safetensors.js';
import { Model } from '../models/model.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  isOptimizerKey,
  matchWeights,
  optimizersOf,
  prepareOptimizerState,
  weightTensors,
} from '../saving/format.js';
import { readSafetensors } from '../saving/index.js';
import { Callback, type Logs, type ResumePoint } from './callback.js';
import { checkMode, checkNumber, type MonitorMode } from './monitor.js';
import { pyFormat } from './pyformat.js';

/** JSON that keeps Infinity, -Infinity and NaN (monitored "best" values start at ±Infinity). */
export function stringifyState(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

export function parseState(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) =>
    v && typeof v === 'object' && '$number' in v && Object.keys(v).length === 1 ? Number((v as { $number: string }).$number) : v,
  );
}

function modelOf(owner: string, model: unknown): Model {
  if (!(model instanceof Model)) {
    throw configError(owner, { expected: 'needs a neurona Model (Sequential, functional or subclassed)', got: show(model) });
  }
  return model;
}

function checkSaveFreq(owner: string, saveFreq: unknown): 'epoch' | number {
  if (saveFreq === 'epoch') return saveFreq;
  if (typeof saveFreq !== 'number' || !Number.isInteger(saveFreq) || saveFreq < 1) {
    throw configError(owner, { expected: "option saveFreq must be 'epoch' or a positive integer number of batches", got: show(saveFreq) });
  }
  return saveFreq;
}

export interface ModelCheckpointOptions {
  /** Log key compared for saveBestOnly. Default 'val_loss'. */
  monitor?: string;
  /** 1 prints a line on each save. Default 0. */
  verbose?: 0 | 1;
  /** Save only when `monitor` improves on the best so far. Default false. */
  saveBestOnly?: boolean;
  /** Save only the weights, to a `.safetensors` file (else a model directory). Default false. */
  saveWeightsOnly?: boolean;
  /** 'min', 'max' or 'auto' ('max' when the monitor names an accuracy or fmeasure, else 'min'). */
  mode?: MonitorMode;
  /** 'epoch' (default) or every this many batches. */
  saveFreq?: 'epoch' | number;
  /** The best value to beat at the start (saveBestOnly). */
  initialValueThreshold?: number;
  print?: (line: string) => void;
}

const CHECKPOINT_OPTIONS = {
  keys: {
    monitor: is.string,
    verbose: is.any,
    saveBestOnly: is.boolean,
    saveWeightsOnly: is.boolean,
    mode: is.any,
    saveFreq: is.any,
    initialValueThreshold: is.number,
    print: is.function,
  } satisfies Record<keyof ModelCheckpointOptions, unknown>,
};

/**
 * Saves the model (a directory, `model.save`) or its weights (`.safetensors`, `model.saveWeights`)
 * during `fit`, Keras 3 semantics. `filepath` is a Python format template: `{epoch}` (1-based),
 * `{epoch:02d}`, `{batch}` and any log key, e.g. `ckpt/{epoch:02d}-{val_loss:.2f}`. Every file is
 * written atomically.
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly verbose: number;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: MonitorMode;
  readonly saveFreq: 'epoch' | number;
  best: number;
  private readonly maximize: boolean;
  private batchesSinceSave = 0;
  private currentEpoch = 0;
  private readonly print: (line: string) => void;

  constructor(filepath: string, raw: ModelCheckpointOptions = {}) {
    super();
    const owner = 'ModelCheckpoint';
    const options = parseOptions<ModelCheckpointOptions>(owner, raw, CHECKPOINT_OPTIONS);
    if (typeof filepath !== 'string' || filepath.length === 0) {
      throw configError(owner, { expected: 'expected a filepath template', got: show(filepath) });
    }
    this.filepath = filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.verbose = checkNumber(owner, 'verbose', options.verbose ?? 0, { min: 0, integer: true });
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    this.mode = checkMode(owner, options.mode ?? 'auto');
    this.saveFreq = checkSaveFreq(owner, options.saveFreq ?? 'epoch');
    if (this.saveWeightsOnly && !filepath.endsWith('.safetensors')) {
      throw configError(owner, { expected: 'with saveWeightsOnly the filepath must end in .safetensors', got: JSON.stringify(filepath) });
    }
    if (!this.saveWeightsOnly && filepath.endsWith('.safetensors')) {
      throw configError(owner, {
        expected: `${JSON.stringify(filepath)} names a .safetensors file, but a whole model is saved as a directory`,
        hint: 'pass saveWeightsOnly: true or drop the extension',
      });
    }
    // Keras 3: 'auto' maximizes accuracies and fmeasures, minimizes everything else.
    this.maximize = this.mode === 'max' || (this.mode === 'auto' && (this.monitor.includes('acc') || this.monitor.startsWith('fmeasure')));
    const threshold =
      options.initialValueThreshold === undefined ? undefined : checkNumber(owner, 'initialValueThreshold', options.initialValueThreshold);
    this.best = threshold ?? (this.maximize ? -Infinity : Infinity);
    this.print = options.print ?? ((line) => console.log(line));
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += 1;
    if (this.batchesSinceSave >= this.saveFreq) {
      this.batchesSinceSave = 0;
      await this.saveModel(this.currentEpoch, batch, logs);
    }
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    if (this.saveFreq === 'epoch') await this.saveModel(epoch, null, logs);
  }

  /** The path for this save: the template formatted as Python's str.format with epoch + 1 and the logs. */
  filePath(epoch: number, batch: number | null, logs: Logs): string {
    const values: Record<string, number> = { ...logs, epoch: epoch + 1 };
    const ints = new Set(['epoch']);
    if (batch !== null) {
      values.batch = batch + 1;
      ints.add('batch');
    }
    return pyFormat(this.filepath, values, ints);
  }

  private async saveModel(epoch: number, batch: number | null, logs: Logs): Promise<void> {
    const path = this.filePath(epoch, batch, logs);
    if (this.saveBestOnly) {
      const current = ownEntry(logs, this.monitor);
      if (current === undefined) {
        notice(
          `ModelCheckpoint: can save best model only with "${this.monitor}" available, skipping; ` +
            `available: ${Object.keys(logs).join(', ') || '(none)'}`,
        );
        return;
      }
      const improved = this.maximize ? current > this.best : current < this.best;
      if (!improved) {
        if (this.verbose > 0) this.print(`\nEpoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best}`);
        return;
      }
      if (this.verbose > 0)
        this.print(`\nEpoch ${epoch + 1}: ${this.monitor} improved from ${this.best} to ${current}, saving model to ${path}`);
      this.best = current;
    } else if (this.verbose > 0) {
      this.print(`\nEpoch ${epoch + 1}: saving model to ${path}`);
    }
    const model = modelOf('ModelCheckpoint', this.model);
    if (this.saveWeightsOnly) {
      await mkdir(dirname(path), { recursive: true });
      await model.saveWeights(path);
    } else {
      await model.save(path);
    }
  }

  override getState(): unknown {
    return { best: this.best, batchesSinceSave: this.batchesSinceSave, currentEpoch: this.currentEpoch };
  }

  override setState(state: unknown): void {
    const s = state as { best: number; batchesSinceSave: number; currentEpoch: number };
    Object.assign(this, { best: s.best, batchesSinceSave: s.batchesSinceSave, currentEpoch: s.currentEpoch });
  }
}

export interface BackupAndRestoreOptions {
  /** Directory holding the backup (created if missing). */
  backupDir: string;
  /** 'epoch' (default) or every this many batches. */
  saveFreq?: 'epoch' | number;
  /** Delete the backup when fit ends normally. Default true. */
  deleteCheckpoint?: boolean;
}

/** The single backup file inside backupDir (one atomic write: weights, optimizer and state). */
export const BACKUP_FILE = 'backup.safetensors';
const STATE_KEY = 'neurona_backup';

interface BackupState {
  epoch: number;
  step: number;
  epochRandomState: RandomState | null;
  randomState: RandomState;
  trackerState: unknown;
  stopTraining: boolean;
  learningRate: number | null;
  /** Every optimizer's rate by key prefix (`optimizer/`, `optimizers/<name>/`); older backups lack it. */
  learningRates?: Record<string, number>;
  callbacks: { className: string; state: unknown }[];
}

const BACKUP_OPTIONS = {
  positional: ['backupDir'],
  keys: { backupDir: is.any, saveFreq: is.any, deleteCheckpoint: is.boolean } satisfies Record<keyof BackupAndRestoreOptions, unknown>,
};

/**
 * Backs training up to `backupDir` and, when `fit` starts and a backup is there, restores it and
 * resumes at the exact next batch: weights, optimizer state and step, learning rate, the global RNG
 * (so the epoch's shuffle is drawn again identically), the running loss and metrics, History and the
 * state of every callback with getState/setState. The result is bit-identical to an uninterrupted
 * run with the same seed. The backup is one safetensors file written atomically (a crash leaves the
 * previous backup or the new one), deleted at the end of a successful fit unless deleteCheckpoint is
 * false. The model must be built before `fit` (an inputShape or an Input).
 */
export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly saveFreq: 'epoch' | number;
  readonly deleteCheckpoint: boolean;
  private batchesSinceSave = 0;

  constructor(backupDir: string, options?: Omit<BackupAndRestoreOptions, 'backupDir'>);
  constructor(options: BackupAndRestoreOptions);
  constructor(...args: unknown[]) {
    super();
    const owner = 'BackupAndRestore';
    const options = parseArguments<BackupAndRestoreOptions>(owner, args, BACKUP_OPTIONS);
    if (typeof options.backupDir !== 'string' || options.backupDir.length === 0) {
      throw configError(owner, { expected: 'option backupDir (a directory path) is required', got: show(options.backupDir) });
    }
    this.backupDir = options.backupDir;
    this.saveFreq = checkSaveFreq(owner, options.saveFreq ?? 'epoch');
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
  }

  get backupPath(): string {
    return join(this.backupDir, BACKUP_FILE);
  }

  override onTrainBegin(): void {
    this.batchesSinceSave = 0;
  }

  override async onSavePoint(kind: 'batch' | 'epoch'): Promise<void> {
    if (kind === 'epoch') {
      if (this.saveFreq === 'epoch') await this.backup();
      return;
    }
    if (this.saveFreq === 'epoch') return;
    this.batchesSinceSave += 1;
    if (this.batchesSinceSave >= this.saveFreq) {
      this.batchesSinceSave = 0;
      await this.backup();
    }
  }

  /** Writes the backup now (one atomic file). */
  async backup(): Promise<void> {
    const model = modelOf('BackupAndRestore', this.model);
    const context = this.fitContext;
    if (!context) throw configError('BackupAndRestore', { expected: 'can only back up during fit' });
    const state: BackupState = {
      epoch: context.epoch,
      step: context.step,
      epochRandomState: context.epochRandomState,
      randomState: globalRandom().getState(),
      trackerState: context.trackerState(),
      stopTraining: model.stopTraining,
      learningRate: model.compiled?.optimizer?.learningRate ?? null,
      learningRates: Object.fromEntries(optimizersOf(model).map(([prefix, o]) => [prefix, o.learningRate])),
      callbacks: context.callbacks.map((c) => ({
        className: c.constructor.name,
        state: c === this ? { batchesSinceSave: this.batchesSinceSave } : (c.getState?.() ?? null),
      })),
    };
    const { tensors } = weightTensors(model, true);
    const bytes = encodeSafetensors(tensors as never, {
      format: FORMAT_NAME,
      formatVersion: String(FORMAT_VERSION),
      [STATE_KEY]: stringifyState(state),
    });
    await mkdir(this.backupDir, { recursive: true });
    await writeFileAtomic(this.backupPath, bytes);
  }

  /** A process killed mid-write leaves its temporary file behind (the backup itself stays whole). */
  private async removeStaleTemporaries(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.backupDir);
    } catch {
      return;
    }
    const prefix = `.${BACKUP_FILE}.`;
    for (const name of names) {
      if (name.startsWith(prefix) && name.endsWith('.tmp')) await rm(join(this.backupDir, name), { force: true });
    }
  }

  override async restoreTraining(): Promise<ResumePoint | null> {
    await this.removeStaleTemporaries();
    let file: Awaited<ReturnType<typeof readSafetensors>>;
    try {
      file = await readSafetensors(this.backupPath);
    } catch (e) {
      if (e instanceof FormatError && /no such file/.test(e.message)) return null;
      throw e;
    }
    const model = modelOf('BackupAndRestore', this.model);
    // A model with its own trainStep (a GAN) may never run call: its sub-models' weights are what is restored.
    if (!model.built && !(model.layers.length > 0 && model.layers.every((l) => l.built))) {
      throw configError('BackupAndRestore', {
        expected: `model "${model.name}" must be built before fit to restore ${this.backupPath}`,
        hint: 'give the first layer an inputShape or start with nr.Input',
      });
    }
    const text = file.metadata[STATE_KEY];
    if (text === undefined) {
      throw formatError('BackupAndRestore', { expected: `${this.backupPath} has no "${STATE_KEY}" metadata`, rule: 'it is not a backup' });
    }
    const state = parseState(text) as BackupState;
    const callbacks = this.fitContext?.callbacks ?? [];
    if (state.callbacks.length !== callbacks.length || state.callbacks.some((c, i) => c.className !== callbacks[i]!.constructor.name)) {
      throw configError('BackupAndRestore', {
        expected: `the backup in ${this.backupDir} was made with callbacks [${state.callbacks.map((c) => c.className).join(', ')}]`,
        got: `fit with [${callbacks.map((c) => c.constructor.name).join(', ')}]`,
        hint: 'pass the same callbacks or delete the backup',
      });
    }
    // Everything is checked before anything is assigned.
    const match = matchWeights(model, file.tensors, this.backupPath, FormatError, isOptimizerKey);
    const restoreOptimizer = prepareOptimizerState(model, match.named, file.tensors, this.backupPath);
    match.assign();
    restoreOptimizer?.();
    // Only a changed rate (ReduceLROnPlateau) is set: a schedule's rate follows the restored step.
    const rates = state.learningRates ?? (state.learningRate === null ? {} : { 'optimizer/': state.learningRate });
    for (const [prefix, optimizer] of optimizersOf(model)) {
      const rate = rates[prefix];
      if (rate !== undefined && optimizer.learningRate !== rate) optimizer.learningRate = rate;
    }
    callbacks.forEach((c, i) => {
      const s = state.callbacks[i]!.state;
      if (c === this) this.batchesSinceSave = (s as { batchesSinceSave: number }).batchesSinceSave;
      else if (s !== null) c.setState?.(s);
    });
    return {
      epoch: state.epoch,
      step: state.step,
      epochRandomState: state.epochRandomState,
      randomState: state.randomState,
      trackerState: state.trackerState,
      stopTraining: state.stopTraining,
    };
  }

  override async onTrainEnd(): Promise<void> {
    if (this.deleteCheckpoint) await rm(this.backupDir, { recursive: true, force: true });
  }
}
