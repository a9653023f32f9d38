/**
 * The run report: a training callback that writes `<dir>/index.html`, a self-contained page that
 * follows training live and, at the end, holds the model summary, the learning curves, the confusion
 * matrix and sample predictions. Node only (it writes files).
 *
 * It lives in src/vis rather than src/nn/callbacks because it draws with the chart functions here,
 * and src/nn may not import src/vis (docs/architecture.md, "Layers of the code").
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { configError, formatShape, shapeError, show } from '../core/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodePng } from '../io/png.js';
import { Callback, type Logs } from '../nn/callbacks/callback.js';
import { confusionMatrix } from '../nn/metrics.js';
import { Model } from '../nn/models/model.js';
import { Tensor, tensor } from '../tensor/index.js';
import { renderConfusionMatrix } from './confusion.js';
import { renderLearningCurves } from './curves.js';
import { loadVega } from './vega.js';
import { renderReportPage, type ReportState, type SamplePrediction } from './report-page.js';

export interface ReportSamples {
  /** Inputs: images [N, H, W] or [N, H, W, C] (C = 1, 3 or 4), or flat square images [N, H*W]. */
  x: Tensor;
  /** Labels: class indices [N] or one-hot rows [N, classes]. */
  y: Tensor;
  /** A name per class (default: the class index). */
  classNames?: readonly string[];
  /** How many samples to show (default 24; the first ones). */
  count?: number;
}

export interface ReportOptions {
  /** Directory of the report (created if needed); the page is `<dir>/index.html`. */
  dir: string;
  /** Page title (default 'Training report'). */
  title?: string;
  /** Samples whose predictions are shown as thumbnails at the end (and counted in the confusion matrix when no validationData is given). */
  samples?: ReportSamples;
  /** `[x, y]` counted in the confusion matrix at the end (default: the samples). */
  validationData?: readonly [Tensor, Tensor];
  /** Seconds between reloads of an open page while training runs (default 2). */
  refreshSeconds?: number;
  /** Least seconds between rewrites of the page on batch end (default 2); every epoch end rewrites it. */
  updateSeconds?: number;
  /**
   * An open page stops reloading once the file is this many seconds old and says that training
   * seems to have stopped (default 120, or 3 x updateSeconds when that is longer).
   */
  staleSeconds?: number;
}

const DEFAULT_SAMPLE_COUNT = 24;
const DEFAULT_STALE_SECONDS = 120;

/** One line for an error shown on the page: the name and message of an Error, else its text. */
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function checkLabels(owner: string, role: string, x: Tensor, y: Tensor): void {
  if (!(x instanceof Tensor) || !(y instanceof Tensor)) {
    throw configError(owner, { expected: `${role} needs tensors x and y`, got: `${show(x)} and ${show(y)}` });
  }
  if (x.rank < 2) throw shapeError(owner, { expected: `${role} x must have a batch axis`, got: `shape ${formatShape(x.shape)}` });
  if (y.rank < 1 || y.rank > 2 || y.shape[0] !== x.shape[0]) {
    throw shapeError(owner, {
      expected:
        `${role} y must be class indices [${x.shape[0]}] or one-hot rows [${x.shape[0]}, classes] ` + `matching x ${formatShape(x.shape)}`,
      got: formatShape(y.shape),
    });
  }
}

/** Class indices of labels: [N] as is, [N, k] by argmax (k = 1: threshold 0.5, binary). */
function classIndicesOf(t: Tensor): Int32Array {
  const values = t.cast('float32').data();
  const n = t.shape[0]!;
  const k = t.rank === 2 ? t.shape[1]! : 1;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (t.rank === 1) out[i] = Math.round(values[i]!);
    else if (k === 1) out[i] = values[i]! > 0.5 ? 1 : 0;
    else {
      let best = 0;
      for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
      out[i] = best;
    }
  }
  return out;
}

/** The predicted class and its probability for each row of model outputs [N, k] (or [N, 1] / [N] binary). */
function predictionsOf(outputs: Tensor): { classes: Int32Array; confidence: Float64Array; numClasses: number } {
  const values = outputs.cast('float32').data();
  const n = outputs.shape[0]!;
  const k = outputs.rank === 2 ? outputs.shape[1]! : 1;
  const classes = new Int32Array(n);
  const confidence = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (k === 1) {
      const p = values[i]!;
      classes[i] = p > 0.5 ? 1 : 0;
      confidence[i] = p > 0.5 ? p : 1 - p;
    } else {
      let best = 0;
      for (let j = 1; j < k; j++) if (values[i * k + j]! > values[i * k + best]!) best = j;
      classes[i] = best;
      confidence[i] = values[i * k + best]!;
    }
  }
  return { classes, confidence, numClasses: k === 1 ? 2 : k };
}

/**
 * Sample `index` of x as a PNG data URL, or null when x is not image-like. Float inputs whose values
 * all lie in [0, 1] are read as 0..1, anything else as 0..255 (clipped).
 */
function thumbnail(x: Tensor, values: ArrayLike<number>, unitRange: boolean, index: number): string | null {
  let height: number;
  let width: number;
  let channels: number;
  if (x.rank === 2) {
    const side = Math.round(Math.sqrt(x.shape[1]!));
    if (side * side !== x.shape[1]) return null;
    [height, width, channels] = [side, side, 1];
  } else if (x.rank === 3) [height, width, channels] = [x.shape[1]!, x.shape[2]!, 1];
  else if (x.rank === 4 && [1, 3, 4].includes(x.shape[3]!)) [height, width, channels] = [x.shape[1]!, x.shape[2]!, x.shape[3]!];
  else return null;
  const size = height * width * channels;
  const pixels = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[index * size + i]! * (unitRange ? 255 : 1);
    pixels[i] = Math.max(0, Math.min(255, Math.round(v)));
  }
  const png = encodePng({ width, height, channels: channels as 1 | 3 | 4, pixels });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

/**
 * Writes a live HTML report of a `fit` to `<dir>/index.html` (atomically on every update). While
 * training runs the page shows progress, the current metrics, epoch times and the learning curves,
 * and reloads itself every `refreshSeconds`, so a tab opened on the file follows along; it is
 * rewritten at each epoch end and at most every `updateSeconds` on batch end. When training ends it
 * holds the final metrics (the History's last values), total time, curves, the confusion matrix
 * (on `validationData`, else on the samples), sample predictions (thumbnails with true and predicted
 * class, misclassified ones marked) and `model.summary()`. Everything is inline: no server, no
 * network. Node only.
 *
 * `fit` has no hook for a failure, so when it throws the page would still say "training". Call
 * `report.fail(error)` where `fit` is awaited to write a final page with the error; and as a safety
 * net an open page stops reloading once the file is `staleSeconds` old (a crashed process).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * const report = new nr.callbacks.Report({ dir: `${tmpdir()}/neurona-report`, title: 'XOR' });
 * ```
 */
export class Report extends Callback {
  readonly dir: string;
  readonly title: string;
  readonly samples: ReportSamples | null;
  readonly validationData: readonly [Tensor, Tensor] | null;
  readonly refreshSeconds: number;
  readonly updateSeconds: number;
  readonly staleSeconds: number;
  /** Per-epoch logs so far, as in `History.history`. */
  history: Record<string, number[]> = {};
  private startTime = 0;
  private startedAt = new Date();
  private epochStart = 0;
  private epoch = 0;
  private step = 0;
  private lastWrite = 0;
  private currentMetrics: Logs = {};
  private lastEpochLogs: Logs = {};
  private epochSeconds: number[] = [];
  private curvesSvg: string | null = null;
  /** Between onTrainBegin and the final page (onTrainEnd or fail): only then are live pages written. */
  private training = false;

  constructor(options: ReportOptions) {
    super();
    const owner = 'Report';
    if (!options || typeof options.dir !== 'string' || options.dir.length === 0) {
      throw configError(owner, { expected: 'option dir must be a non-empty directory path', got: show(options?.dir) });
    }
    this.dir = options.dir;
    this.title = options.title ?? 'Training report';
    for (const key of ['refreshSeconds', 'updateSeconds', 'staleSeconds'] as const) {
      const v = options[key];
      if (v !== undefined && (typeof v !== 'number' || !(v > 0))) {
        throw configError(owner, { expected: `option ${key} must be a positive number of seconds`, got: show(v) });
      }
    }
    this.refreshSeconds = options.refreshSeconds ?? 2;
    this.updateSeconds = options.updateSeconds ?? 2;
    this.staleSeconds = options.staleSeconds ?? Math.max(DEFAULT_STALE_SECONDS, 3 * this.updateSeconds);
    this.samples = options.samples ?? null;
    if (this.samples) {
      checkLabels(owner, 'samples', this.samples.x, this.samples.y);
      const { count, classNames } = this.samples;
      if (count !== undefined && (!Number.isInteger(count) || count < 1)) {
        throw configError(owner, { expected: 'samples.count must be a positive integer', got: show(count) });
      }
      if (classNames !== undefined && (!Array.isArray(classNames) || classNames.some((c) => typeof c !== 'string'))) {
        throw configError(owner, { expected: 'samples.classNames must be an array of strings, one per class', got: show(classNames) });
      }
    }
    this.validationData = options.validationData ?? null;
    if (this.validationData) {
      if (!Array.isArray(this.validationData) || this.validationData.length !== 2) {
        throw configError(owner, { expected: 'validationData must be [x, y]', got: show(this.validationData) });
      }
      checkLabels(owner, 'validationData', this.validationData[0], this.validationData[1]);
    }
  }

  /** Where the page is written. */
  get path(): string {
    return join(this.dir, 'index.html');
  }

  override async onTrainBegin(): Promise<void> {
    if (!(this.model instanceof Model)) {
      throw configError('Report', { expected: 'needs a neurona Model (Sequential, functional or subclassed)', got: show(this.model) });
    }
    // The charts are drawn at the first epoch's end; a missing chart package should fail before it.
    await loadVega('Report');
    await mkdir(this.dir, { recursive: true });
    this.history = {};
    this.epochSeconds = [];
    this.curvesSvg = null;
    this.currentMetrics = {};
    this.lastEpochLogs = {};
    this.startTime = performance.now();
    this.startedAt = new Date();
    this.epoch = 1;
    this.step = 0;
    this.training = true;
    await this.write();
  }

  override onEpochBegin(epoch: number): void {
    this.epoch = epoch + 1;
    this.step = 0;
    this.epochStart = performance.now();
  }

  override async onTrainBatchEnd(batch: number, logs: Logs = {}): Promise<void> {
    this.step = batch + 1;
    this.currentMetrics = { ...logs };
    if (this.training && performance.now() - this.lastWrite >= this.updateSeconds * 1000) await this.write();
  }

  /** Validation can take long: rewriting the page keeps it fresh, so it is not taken for stale. */
  override async onTestBatchEnd(): Promise<void> {
    if (this.training && performance.now() - this.lastWrite >= this.updateSeconds * 1000) await this.write();
  }

  override async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.epochSeconds.push((performance.now() - this.epochStart) / 1000);
    for (const [key, value] of Object.entries(logs)) {
      // A key that first appears late (or skips epochs) is padded with NaN so epochs stay aligned.
      let series = this.history[key];
      if (series === undefined) {
        series = new Array<number>(epoch).fill(Number.NaN);
        this.history[key] = series;
      }
      while (series.length < epoch) series.push(Number.NaN);
      series.push(value);
    }
    this.epoch = epoch + 1;
    this.step = this.params?.steps ?? this.step;
    this.currentMetrics = { ...logs };
    this.lastEpochLogs = { ...logs };
    this.curvesSvg = await renderLearningCurves(this.history);
    await this.write();
  }

  override async onTrainEnd(): Promise<void> {
    this.training = false;
    const model = this.model as unknown as Model;
    const state = this.state('finished');
    state.finalMetrics = { ...this.lastEpochLogs };
    const summary: string[] = [];
    model.summary((line) => summary.push(line));
    state.summary = summary.join('\n');
    state.notes = [];
    const confusionData = this.validationData ?? (this.samples ? ([this.samples.x, this.samples.y] as const) : null);
    const classNames = this.samples?.classNames;
    if (confusionData) {
      const [x, y] = confusionData;
      const predicted = predictionsOf(model.predict(x));
      const numClasses = predicted.numClasses;
      if (classNames && classNames.length !== numClasses) {
        throw configError('Report', {
          expected: `samples.classNames has ${classNames.length} names but the model predicts ${numClasses} classes`,
          hint: 'give one name per class',
        });
      }
      const truth = classIndicesOf(y);
      const matrix = confusionMatrix(
        tensor(truth, [truth.length], 'int32'),
        tensor(predicted.classes, [truth.length], 'int32'),
        numClasses,
      );
      state.confusionSvg = await renderConfusionMatrix(matrix, classNames ? { classNames: [...classNames] } : {});
      const correct = predicted.classes.filter((c, i) => c === truth[i]).length;
      state.confusionCaption =
        `${this.validationData ? 'Validation data' : 'Samples'}: ${x.shape[0]} examples, ${correct} classified correctly ` +
        `(${((100 * correct) / x.shape[0]!).toFixed(2)}%). Rows: true class, columns: predicted class.`;
    } else {
      state.notes.push('No confusion matrix: give the Report samples or validationData to see one.');
    }
    if (this.samples) state.samples = this.samplePredictions(model, this.samples);
    this.currentMetrics = { ...this.lastEpochLogs };
    await writeFileAtomic(this.path, renderReportPage(state));
  }

  /**
   * Writes the final page of a run that stopped with `error`: the error, the progress, metrics and
   * curves recorded so far and the summary, with no reload script. `fit` calls no hook when it
   * throws, so call this where it is awaited:
   * `try { await model.fit(x, y, {callbacks: [report]}); } catch (e) { await report.fail(e); throw e; }`.
   */
  async fail(error: unknown): Promise<void> {
    this.training = false;
    const state = this.state('failed');
    state.error = errorText(error);
    if (this.startTime === 0) state.elapsedSeconds = 0; // fit threw before training began
    if (this.model instanceof Model && this.model.built) {
      const summary: string[] = [];
      this.model.summary((line) => summary.push(line));
      state.summary = summary.join('\n');
    }
    await mkdir(this.dir, { recursive: true });
    await writeFileAtomic(this.path, renderReportPage(state));
  }

  private samplePredictions(model: Model, samples: ReportSamples): SamplePrediction[] {
    const count = Math.min(samples.count ?? DEFAULT_SAMPLE_COUNT, samples.x.shape[0]!);
    const x = samples.x.slice(0, count);
    const y = samples.y.slice(0, count);
    const predicted = predictionsOf(model.predict(x));
    const truth = classIndicesOf(y);
    const values = x.cast('float32').data();
    let unitRange = x.dtype === 'float32' || x.dtype === 'float64';
    if (unitRange) for (let i = 0; i < values.length && unitRange; i++) if (values[i]! < 0 || values[i]! > 1) unitRange = false;
    const name = (c: number) => samples.classNames?.[c] ?? String(c);
    return Array.from({ length: count }, (_, i) => ({
      image: thumbnail(x, values, unitRange, i),
      trueLabel: name(truth[i]!),
      predictedLabel: name(predicted.classes[i]!),
      confidence: predicted.confidence[i]!,
    }));
  }

  private state(status: ReportState['status']): ReportState {
    return {
      title: this.title,
      status,
      startedAt: this.startedAt,
      elapsedSeconds: (performance.now() - this.startTime) / 1000,
      epoch: this.epoch,
      epochs: this.params?.epochs ?? this.epoch,
      step: this.step,
      steps: this.params?.steps ?? 0,
      currentMetrics: this.currentMetrics,
      epochSeconds: [...this.epochSeconds],
      curvesSvg: this.curvesSvg,
      refreshSeconds: this.refreshSeconds,
      staleSeconds: this.staleSeconds,
      writtenAt: new Date(),
    };
  }

  private async write(): Promise<void> {
    await writeFileAtomic(this.path, renderReportPage(this.state('running')));
    this.lastWrite = performance.now();
  }
}
