/**
 * What `neurona train <example>` runs. There are two kinds of example:
 * - a model example declares its data and its model; `trainExample` does the rest the same way for
 *   all of them (seed, fit with progress, test metrics, summary, and optionally a run report and a
 *   saved model);
 * - a program example (a course exercise that is more than one fit: several models, a classic
 *   model, gradients by hand) declares its flags and a `run` function that does everything itself.
 */
import * as nr from '../../index.js';
import { Report } from '../../vis/report.js';

/** Train and test splits, inputs already scaled the way the model expects. */
export interface ExampleData {
  train: [nr.Tensor, nr.Tensor];
  test: [nr.Tensor, nr.Tensor];
  /** A name per class, shown in the report (default: the class index). */
  classNames?: string[];
}

export interface DataOptions {
  /** A directory holding the dataset's files (default: the dataset's cache, package or download). */
  data?: string;
  /** Use only the first N training and N/6 test examples (for quick runs and CI). */
  limit?: number;
}

/** One runnable example; register it in src/cli/examples.ts (one line). */
export type Example = ModelExample | ProgramExample;

/** An example that is one model trained on one dataset. */
export interface ModelExample {
  /** One line for `neurona examples`. */
  description: string;
  /** Defaults of --epochs and --batch-size. */
  epochs: number;
  batchSize: number;
  loadData(options: DataOptions): Promise<ExampleData>;
  /** A new compiled model. */
  buildModel(): nr.Model;
}

/**
 * A flag of a program example: `--kebab-case-name value` on the command line, the camelCase key in
 * the options `run` gets. `positive`/`count`: an integer >= 1 / >= 0; `text`: any string (no
 * default: undefined); `switch`: no value, true when given.
 */
export type Flag =
  | { kind: 'positive' | 'count'; default: number; help: string }
  | { kind: 'text'; default?: string; help: string }
  | { kind: 'switch'; help: string };

/** The options `run` gets: every flag's value or its default, typed by its kind. */
export type FlagValues<F extends Record<string, Flag>> = {
  [K in keyof F]: F[K] extends { kind: 'switch' }
    ? boolean
    : F[K] extends { kind: 'text' }
      ? F[K] extends { default: string }
        ? string
        : string | undefined
      : number;
};

/** An example that is a program of its own; `program({...})` types `run`'s options from the flags. */
export interface ProgramExample<F extends Record<string, Flag> = Record<string, Flag>> {
  /** One line for `neurona examples`. */
  description: string;
  flags: F;
  /** Runs the exercise with every flag's value (or default), printing through `print`. */
  run(options: FlagValues<F>, print: (line: string) => void): Promise<void>;
}

export function program<F extends Record<string, Flag>>(example: ProgramExample<F>): ProgramExample {
  return example as unknown as ProgramExample;
}

export const isProgram = (example: Example): example is ProgramExample => 'run' in example;

/** `batchSize` -> `--batch-size`. */
export const flagName = (key: string): string => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

export interface TrainOptions extends DataOptions {
  epochs?: number;
  batchSize?: number;
  seed?: number;
  verbose?: 0 | 1 | 2;
  /** Extra callbacks for fit. */
  callbacks?: nr.callbacks.Callback[];
  /** Write a run report (nr.callbacks.Report, samples from the test set) into this directory. */
  report?: string;
  /** Save the trained model into this directory. */
  save?: string;
  print?: (line: string) => void;
}

export interface TrainResult {
  model: nr.Model;
  history: nr.callbacks.History;
  test: { loss: number; accuracy: number };
}

/** How many test images the report shows as thumbnails. */
const REPORT_SAMPLES = 32;

/** Trains an example: prints Keras-style progress, the test metrics and the summary. */
export async function trainExample(name: string, example: ModelExample, options: TrainOptions = {}): Promise<TrainResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  nr.setSeed(options.seed ?? 42);
  const { train, test, classNames } = await example.loadData({ data: options.data, limit: options.limit });
  const model = example.buildModel();
  const callbacks = [...(options.callbacks ?? [])];
  const report = options.report
    ? new Report({
        dir: options.report,
        title: `neurona train ${name}`,
        samples: { x: test[0], y: test[1], classNames, count: REPORT_SAMPLES },
        validationData: test,
      })
    : null;
  if (report) callbacks.push(report);
  let history: nr.callbacks.History;
  try {
    // The test split doubles as validation data, so the progress lines, the report's curves and its
    // final metrics show val_loss and val_accuracy beside the training figures.
    history = await model.fit(train[0], train[1], {
      epochs: options.epochs ?? example.epochs,
      batchSize: options.batchSize ?? example.batchSize,
      verbose: options.verbose ?? 1,
      callbacks,
      validationData: test,
    });
  } catch (error) {
    // Without this the open report page would keep saying "training..." and reload forever.
    await report?.fail(error);
    throw error;
  }
  const result = await model.evaluate(test[0], test[1], { verbose: 0 });
  print(`Test accuracy: ${result.accuracy!.toFixed(4)} - test loss: ${result.loss!.toFixed(4)}`);
  model.summary(print);
  if (options.save) {
    await model.save(options.save);
    print(`Saved the model to ${options.save} (load it with nr.loadModel or 'neurona summary ${options.save}')`);
  }
  if (options.report) print(`Report: ${options.report}/index.html`);
  return { model, history, test: { loss: result.loss!, accuracy: result.accuracy! } };
}
