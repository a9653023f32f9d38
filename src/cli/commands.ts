import { VERSION } from '../version.js';
import { backendReason, getBackend, nativeInfo, probeWebgpu, setBackend, setNumThreads, wasmInfo } from '../backend/index.js';
import { NeuronaError, ownEntry, problem, type Problem } from '../core/index.js';
import { inspect, loadModel } from '../nn/saving/index.js';
import { fromKeras, fromOnnx, fromTfjs, saveTfjs, toKeras, toOnnx } from '../interop/index.js';
import type { Model } from '../nn/models/model.js';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../io/atomic.js';
import { benchUnavailable, runBench } from './bench.js';
import { EXAMPLES } from './examples.js';
import { flagName, isProgram, trainExample, type Flag, type ModelExample, type ProgramExample, type TrainOptions } from './jobs/example.js';
import { exportPlayground, playgroundFiles, servePlayground, type PlaygroundOptions } from './playground.js';
import { loadModelDir, predictImages, type InvertMode, type ResizeMode } from './predict.js';

export { EXAMPLES } from './examples.js';

/** MNIST digits the playground serves by default: training, and test digits for its validation curve. */
const PLAYGROUND_DIGITS = 3000;
const PLAYGROUND_TEST_DIGITS = 500;

const HELP = `neurona ${VERSION}: deep learning for TypeScript

Usage:
  neurona examples      list the examples that 'train' runs ('jobs' is an alias)
  neurona train <example> [flags]
                        run an example. All take [--backend js|native] [--threads N].
                        The model examples (mnist-mlp, mnist-lenet, cifar10-v1..v5, fashion-mnist-v1..v5) take
                        [--epochs N] [--batch-size N] [--seed N] [--limit N] [--verbose 0|1|2]
                        [--data <path>] [--report <dir>] [--save <dir>]: --data: the dataset's directory
                        (CIFAR-10: or its .tar.gz), --limit: first N training examples,
                        --report: write a live HTML run report, --save: save the trained model.
                        The others take their own flags: 'neurona train <example> --help' lists an example's flags
  neurona summary <model dir>
                        load a saved model and print its summary
  neurona predict <model dir> <image.png|.jpg ...> [--top N] [--resize bilinear|nearest] [--invert auto|yes|no]
                [--max-pixels N]
                        top classes with probabilities for each PNG or JPEG (resized and converted to the
                        model's input; 'auto' inverts dark-on-light images for gray digit models;
                        a file that cannot be read is reported, the others are still predicted)
  neurona inspect <model dir | file.safetensors>
                        print the format, layers, tensors and parameter count (builds nothing)
  neurona convert <in> <out> [--layout NCHW|NHWC]
                        convert between a model directory, ONNX, Keras 3 and TF.js (the format follows
                        the extension: .onnx, .keras, .json for TF.js's model.json with its shard beside
                        it, else a directory; a directory holding TF.js's model.json reads as TF.js);
                        --layout: the image layout of the ONNX side (import: the model's input; export:
                        the file's input)
  neurona playground [--port N] [--host <address>] [--model <dir>] [--digits N] [--data <path>] [--export <dir>]
                        serve the browser playground (train a CNN on MNIST in the page, draw digits, see
                        the feature maps; default http://127.0.0.1:8080/, --port 0: any free port);
                        --model: a saved model to open with, --digits: MNIST training digits served
                        (default ${PLAYGROUND_DIGITS}), --export: write the page as a static folder instead
  neurona bench [args]  run the benchmarks (bench/run.ts; needs the source checkout)
  neurona info          print the version and the active backend
  neurona --version     print the version
  neurona --help        print this help
`;

type Out = (s: string) => void;

/** A mistake in the command line: printed as one line, exit code 2. */
class UsageError extends Error {}
/**
 * A UsageError worded like every other error (`where: expected, got X; hint`). Command-line values are
 * quoted as a shell user writes them ('two'), not as JSON.
 */
function usage(where: string, parts: Problem): UsageError {
  return new UsageError(problem(where, parts));
}
/** A command that cannot run here (e.g. bench outside a checkout): printed as one line, exit code 1. */
class CommandError extends Error {}

/** How a flag's value is checked: an integer >= 0 or >= 1, any text, no value at all, or one of a list. */
type FlagKind = 'count' | 'positive' | 'text' | 'switch' | readonly string[];
/**
 * The flags a command takes: how each value is checked, how it is shown in a message (default: from
 * the kind), e.g. `--epochs N (default 5)`, and a line of help for `neurona train <example> --help`.
 */
type FlagSpec = Record<string, { kind: FlagKind; shown?: string; help?: string }>;

/** Flags every example takes: where it runs. */
const RUN_FLAGS: FlagSpec = {
  '--backend': { kind: ['js', 'native'], help: 'the backend (default: native if its addon loads, else js)' },
  '--threads': { kind: 'positive', help: 'threads of the native backend (default: the number of cores)' },
};
/** Flags of the model examples (trainExample). */
const MODEL_FLAGS: FlagSpec = {
  '--epochs': { kind: 'positive', help: 'epochs to train' },
  '--batch-size': { kind: 'positive', help: 'batch size' },
  '--seed': { kind: 'count', help: 'nr.setSeed (default 42)' },
  '--limit': { kind: 'positive', help: 'train on the first N examples and test on the first N/6 (default: all)' },
  '--verbose': { kind: ['0', '1', '2'], help: 'progress output as in fit (default 1)' },
  '--data': { kind: 'text', shown: '<path>', help: "the dataset's directory (CIFAR-10: or its .tar.gz)" },
  '--report': { kind: 'text', shown: '<dir>', help: 'write a live HTML run report there' },
  '--save': { kind: 'text', shown: '<dir>', help: 'save the trained model there' },
};
const PREDICT_FLAGS: FlagSpec = {
  '--top': { kind: 'positive' },
  '--resize': { kind: ['bilinear', 'nearest'] },
  '--invert': { kind: ['auto', 'yes', 'no'] },
  '--max-pixels': { kind: 'positive' },
};

/** The model examples' flags, with this example's default epochs and batch size. */
const modelSpec = (example: ModelExample): FlagSpec => ({
  ...MODEL_FLAGS,
  '--epochs': { ...MODEL_FLAGS['--epochs']!, shown: `N (default ${example.epochs})` },
  '--batch-size': { ...MODEL_FLAGS['--batch-size']!, shown: `N (default ${example.batchSize})` },
});

/** What a flag's value looks like in a message: `N`, `js|native`, `<text>`, nothing for a switch. */
const placeholder = (kind: FlagKind): string =>
  kind === 'switch' ? '' : Array.isArray(kind) ? kind.join('|') : kind === 'text' ? '<text>' : 'N';

/** `--epochs N (default 5), --data <path>, --synthetic`: the flags listed in a message. */
const describeFlags = (spec: FlagSpec): string =>
  Object.entries(spec)
    .map(([flag, { kind, shown }]) => [flag, shown ?? placeholder(kind)].filter(Boolean).join(' '))
    .join(', ');

/** A program example's flags as the parser's spec, each shown with its default. */
function programSpec(flags: Record<string, Flag>): FlagSpec {
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const fallback =
        'default' in flag && flag.default !== undefined ? `(default ${flag.default === Infinity ? 'all' : flag.default})` : '';
      return [flagName(key), { kind: flag.kind, shown: [placeholder(flag.kind), fallback].filter(Boolean).join(' '), help: flag.help }];
    }),
  );
}

/** The options a program example's run gets: each flag's value from the command line, or its default. */
function programOptions(flags: Record<string, Flag>, given: Record<string, string>): Parameters<ProgramExample['run']>[0] {
  return Object.fromEntries(
    Object.entries(flags).map(([key, flag]) => {
      const value = given[flagName(key)];
      if (flag.kind === 'switch') return [key, value !== undefined];
      if (value === undefined) return [key, flag.default];
      return [key, flag.kind === 'text' ? value : Number(value)];
    }),
  ) as Parameters<ProgramExample['run']>[0];
}

/**
 * Splits `args` into positional arguments and `--flag value` / `--flag=value` pairs (a switch: `--flag`)
 * checked against `spec`; an unknown flag is answered with the list of flags that `owner` takes.
 */
function parseArgs(
  command: string,
  args: readonly string[],
  spec: FlagSpec,
  owner = command,
): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    const kind = ownEntry(spec, flag)?.kind;
    if (!kind) throw usage(command, { expected: `unknown option '${flag}'`, hint: `${owner} takes ${describeFlags(spec)}` });
    if (kind === 'switch') {
      if (equals >= 0) throw usage(command, { expected: `option ${flag} takes no value`, got: `'${arg.slice(equals + 1)}'` });
      flags[flag] = 'true';
      continue;
    }
    const value = equals < 0 ? args[++i] : arg.slice(equals + 1);
    if (value === undefined || value === '') throw usage(command, { expected: `option ${flag} needs a value` });
    if (Array.isArray(kind) && !kind.includes(value)) {
      throw usage(command, { expected: `option ${flag} must be one of ${kind.join(', ')}`, got: `'${value}'` });
    }
    if (kind === 'count' || kind === 'positive') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (kind === 'positive' ? 1 : 0)) {
        throw usage(command, {
          expected: `option ${flag} needs a ${kind === 'positive' ? 'positive' : 'non-negative'} integer`,
          got: `'${value}'`,
        });
      }
    }
    flags[flag] = value;
  }
  return { positional, flags };
}

async function train(args: readonly string[], out: Out): Promise<number> {
  const [name, ...rest] = args;
  const available = Object.keys(EXAMPLES).join(', ');
  if (!name) throw usage('', { expected: 'train needs an example name', hint: `available: ${available}` });
  if (name.startsWith('--')) {
    throw usage('', {
      expected: `train needs the example name before the flags, e.g. 'neurona train mnist-mlp ${name} ...'`,
      hint: `available: ${available}`,
    });
  }
  const example = ownEntry(EXAMPLES, name);
  if (!example) throw usage('', { expected: `unknown example '${name}'`, hint: `available: ${available}` });
  const spec = { ...(isProgram(example) ? programSpec(example.flags) : modelSpec(example)), ...RUN_FLAGS };
  if (rest.includes('--help') || rest.includes('-h')) {
    const usage = Object.entries(spec).map(([flag, { kind, shown, help }]) => [
      [flag, shown ?? placeholder(kind)].filter(Boolean).join(' '),
      help ?? '',
    ]);
    const width = Math.max(...usage.map(([flag]) => flag!.length)) + 2;
    out(
      `neurona train ${name} [flags]: ${example.description}\n${usage.map(([flag, help]) => `  ${flag!.padEnd(width)}${help}\n`).join('')}`,
    );
    return 0;
  }
  const { positional, flags } = parseArgs('train', rest, spec, name);
  if (positional.length > 0) throw usage('train', { expected: `unexpected argument '${positional[0]}'` });
  if (flags['--backend']) setBackend(flags['--backend']);
  if (flags['--threads']) setNumThreads(Number(flags['--threads']));
  const print = (line: string) => out(`${line}\n`);
  if (isProgram(example)) {
    await example.run(programOptions(example.flags, flags), print);
    return 0;
  }
  const number = (flag: string) => (flags[flag] === undefined ? undefined : Number(flags[flag]));
  const options: TrainOptions = {
    epochs: number('--epochs'),
    batchSize: number('--batch-size'),
    seed: number('--seed'),
    limit: number('--limit'),
    verbose: number('--verbose') as TrainOptions['verbose'],
    data: flags['--data'],
    report: flags['--report'],
    save: flags['--save'],
    print,
  };
  await trainExample(name, example, options);
  return 0;
}

async function predict(args: readonly string[], out: Out, err: Out): Promise<number> {
  const { positional, flags } = parseArgs('predict', args, PREDICT_FLAGS);
  const [modelDir, ...images] = positional;
  if (!modelDir || images.length === 0) {
    throw usage('', {
      expected: 'predict needs a model directory and one or more PNG or JPEG images',
      hint: "e.g. 'neurona predict my-model digit.png'",
    });
  }
  const { lines, failures } = await predictImages(modelDir, images, {
    top: flags['--top'] ? Number(flags['--top']) : undefined,
    maxPixels: flags['--max-pixels'] ? Number(flags['--max-pixels']) : undefined,
    resize: flags['--resize'] as ResizeMode | undefined,
    invert: flags['--invert'] as InvertMode | undefined,
  });
  for (const line of lines) out(`${line}\n`);
  // A file that could not be read is reported and the others are still predicted; the exit status says so.
  for (const failure of failures) err(`neurona: ${failure}\n`);
  return failures.length > 0 ? 1 : 0;
}

/** One line for an error: the message of a neurona error, the name too for anything unexpected. */
function oneLine(e: unknown): string {
  const text =
    e instanceof UsageError || e instanceof CommandError || e instanceof NeuronaError
      ? e.message
      : e instanceof Error
        ? `${e.name}: ${e.message}`
        : String(e);
  return text.replace(/\s*\n\s*/g, ' ');
}

const CONVERT_FLAGS: FlagSpec = { '--layout': { kind: ['NCHW', 'NHWC'] } };

type ModelFormat = 'neurona' | 'onnx' | 'keras' | 'tfjs';

/** A path's format by its extension; a folder holding TF.js's model.json (it has modelTopology) reads as TF.js. */
async function formatOf(path: string, reading: boolean): Promise<ModelFormat> {
  if (/\.onnx$/i.test(path)) return 'onnx';
  if (/\.keras$/i.test(path)) return 'keras';
  if (/\.json$/i.test(path)) return 'tfjs';
  if (!reading) return 'neurona';
  const head = await readFile(join(path, 'model.json'), 'utf8').catch(() => '');
  return /"modelTopology"/.test(head) ? 'tfjs' : 'neurona';
}

/** `neurona convert <in> <out>`: between a neurona model directory, .onnx, .keras and TF.js (model.json), by extension. */
async function convert(args: readonly string[], out: Out): Promise<number> {
  const { positional, flags } = parseArgs('convert', args, CONVERT_FLAGS);
  const [from, to, ...extra] = positional;
  const kinds = from && to ? [await formatOf(from, true), await formatOf(to, false)] : [];
  if (!from || !to || extra.length > 0 || kinds[0] === kinds[1]) {
    throw usage('convert', {
      expected:
        'needs an input and an output in two different formats: a model directory, an .onnx file, a .keras archive ' +
        "or TF.js's model.json",
      got: extra.length > 0 ? `an extra argument '${extra[0]}'` : from && to ? `'${from}' and '${to}'` : undefined,
      hint:
        "e.g. 'neurona convert my-model model.onnx', 'neurona convert model.keras my-model' or " +
        "'neurona convert my-model web/model.json'",
    });
  }
  const layout = flags['--layout'] as 'NCHW' | 'NHWC' | undefined;
  if (layout && !kinds.includes('onnx')) {
    throw usage('convert', {
      expected: '--layout applies to the ONNX side of a conversion, and neither side is .onnx',
      got: `--layout ${layout}`,
    });
  }
  const readers: Record<ModelFormat, () => Promise<Model>> = {
    onnx: () => fromOnnx(from, { layout }),
    keras: () => fromKeras(from),
    tfjs: () => fromTfjs(from),
    neurona: () => loadModel(from),
  };
  const model = await readers[kinds[0]!]();
  const writers: Record<ModelFormat, () => Promise<void>> = {
    onnx: async () => writeFileAtomic(to, await toOnnx(model, { layout })),
    keras: async () => writeFileAtomic(to, await toKeras(model)),
    tfjs: () => saveTfjs(model, to),
    neurona: () => model.save(to),
  };
  await writers[kinds[1]!]();
  out(`wrote ${to}\n`);
  return 0;
}

const PLAYGROUND_FLAGS: FlagSpec = {
  '--port': { kind: 'count' },
  '--host': { kind: 'text', shown: '<address>' },
  '--model': { kind: 'text', shown: '<dir>' },
  '--digits': { kind: 'positive' },
  '--data': { kind: 'text', shown: '<path>' },
  '--export': { kind: 'text', shown: '<dir>' },
};

/** `neurona playground`: serves the page until interrupted, or writes it as a folder with --export. */
async function playground(args: readonly string[], out: Out): Promise<number> {
  const { positional, flags } = parseArgs('playground', args, PLAYGROUND_FLAGS);
  if (positional.length > 0)
    throw usage('playground', { expected: `unexpected argument '${positional[0]}'`, hint: 'give a model as --model <dir>' });
  if (flags['--export'] && (flags['--port'] || flags['--host'])) {
    throw usage('playground', { expected: '--export writes a folder and serves nothing: --port and --host do not apply' });
  }
  const options: PlaygroundOptions = {
    trainDigits: Number(flags['--digits'] ?? PLAYGROUND_DIGITS),
    testDigits: PLAYGROUND_TEST_DIGITS,
    model: flags['--model'],
    data: flags['--data'],
  };
  if (flags['--export']) {
    const files = await exportPlayground(flags['--export'], options);
    out(`wrote ${files.length} files to ${flags['--export']} (open index.html through any static web server)\n`);
    return 0;
  }
  const port = Number(flags['--port'] ?? 8080);
  if (port > 65535) throw usage('playground', { expected: 'option --port needs a port number up to 65535', got: `'${port}'` });
  // Listening comes first, so that a busy port is said before a second of bundling and reading MNIST.
  const files = new Map<string, Uint8Array | string>();
  const { server, url } = await servePlayground(files, flags['--host'] ?? '127.0.0.1', port);
  try {
    for (const [path, contents] of await playgroundFiles(options)) files.set(path, contents);
  } catch (error) {
    server.close();
    throw error;
  }
  out(`playground: ${url} (Ctrl-C stops it)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  // An open page keeps its connections alive; they would hold the process open after close().
  server.closeAllConnections();
  server.close();
  return 0;
}

/**
 * `probeWebgpu()` in a child process, for `neurona info`: Dawn and the Vulkan loader write their own
 * diagnostics (a missing XDG_RUNTIME_DIR, an unsuitable driver) straight to the process's stderr, which
 * only a process of its own keeps off the user's terminal.
 */
function probeWebgpuQuietly(): ReturnType<typeof probeWebgpu> {
  // This file's own extension: .js in dist/, .ts when run from the sources through tsx.
  const probe = fileURLToPath(new URL(`./webgpu-probe${extname(fileURLToPath(import.meta.url))}`, import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, probe], { encoding: 'utf8', timeout: 60_000 });
  try {
    return JSON.parse(child.stdout) as ReturnType<typeof probeWebgpu>;
  } catch {
    return { ok: false, reason: `the probe process failed (${child.error?.message ?? `exit code ${child.status}`})` };
  }
}

/** Runs the CLI with the given arguments and resolves to the exit code. */
export async function main(
  args: readonly string[],
  out: Out = (s) => process.stdout.write(s),
  err: Out = (s) => process.stderr.write(s),
): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(HELP);
        return 0;
      case '--version':
      case '-v':
        out(`${VERSION}\n`);
        return 0;
      case 'info':
        {
          // Activating the backend first sets its thread count, which the lines below report.
          const backend = getBackend();
          const native = nativeInfo();
          const nativeLine = native.available
            ? `native: ${native.isa}, ${native.threads} threads (${native.path})`
            : `native: unavailable (${native.reason})`;
          const wasm = wasmInfo();
          const simd = wasm.available && wasm.simd === 'relaxed' ? 'relaxed SIMD (fused multiply-add)' : 'SIMD128';
          const wasmLine = wasm.available
            ? `wasm: ${simd}${wasm.noRelaxed ? ` (${wasm.noRelaxed})` : ''}, ` +
              `${backend === 'wasm' ? `${wasm.threads} thread(s)` : 'available, not active'} ` +
              `(${wasm.path}${wasm.oneThread ? `; one thread only: ${wasm.oneThread}` : ''})`
            : `wasm: unavailable (${wasm.reason})`;
          const gpu = backend === 'webgpu' ? probeWebgpu() : probeWebgpuQuietly();
          const gpuLine = gpu.ok
            ? `webgpu: ${[gpu.info.vendor, gpu.info.architecture].filter(Boolean).join(' ')} (${gpu.info.description || gpu.info.device})`
            : `webgpu: unavailable (${gpu.reason.replace(/^webgpu: /, '')})`;
          const lines = [`neurona ${VERSION}`, `backend: ${backend} (${backendReason()})`, nativeLine, wasmLine, gpuLine];
          out(`${lines.join('\n')}\nnode: ${process.version}\n`);
        }
        return 0;
      case 'examples':
      case 'jobs': {
        // Names are padded to the longest one plus two spaces, so every description starts in one column.
        const width = Math.max(...Object.keys(EXAMPLES).map((name) => name.length)) + 2;
        for (const [name, example] of Object.entries(EXAMPLES)) out(`${name.padEnd(width)}${example.description}\n`);
        return 0;
      }
      case 'train':
        return await train(rest, out);
      case 'summary': {
        const [dir, ...extra] = rest;
        if (!dir || extra.length > 0) {
          throw usage('', {
            expected: 'summary needs one model directory',
            got: extra.length > 0 ? `an extra argument '${extra[0]}'` : undefined,
            hint: "e.g. 'neurona summary my-model'",
          });
        }
        (await loadModelDir(dir)).summary((line) => out(`${line}\n`));
        return 0;
      }
      case 'predict':
        return await predict(rest, out, err);
      case 'inspect': {
        const [path, ...extra] = rest;
        if (!path || extra.length > 0) {
          throw usage('', {
            expected: 'inspect needs one model directory or .safetensors file',
            got: extra.length > 0 ? `an extra argument '${extra[0]}'` : undefined,
            hint: "e.g. 'neurona inspect my-model'",
          });
        }
        for (const line of await inspect(path)) out(`${line}\n`);
        return 0;
      }
      case 'convert':
        return await convert(rest, out);
      case 'playground':
        return await playground(rest, out);
      case 'bench': {
        const reason = benchUnavailable();
        if (reason) throw new CommandError(reason);
        return await runBench(rest, out, err);
      }
      default:
        throw usage('', { expected: `unknown command '${command}'`, hint: "run 'neurona --help' for the list of commands" });
    }
  } catch (e) {
    err(`neurona: ${oneLine(e)}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}
