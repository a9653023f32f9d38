import { VERSION } from '../version.js';
import { getBackend, setBackend, setNumThreads } from '../backend/index.js';
import { mnistMlp, type JobOptions } from './jobs/mnist-mlp.js';
import { inspect } from '../nn/saving/index.js';

/** Training jobs that `neurona train <name>` runs. */
export const JOBS: Record<string, { description: string; run: (options: JobOptions) => Promise<unknown> }> = {
  'mnist-mlp': { description: 'deck 001: Flatten -> Dense(8, relu) -> Dense(10, softmax) with Adam on full MNIST', run: mnistMlp },
};

const HELP = `neurona ${VERSION}: deep learning for TypeScript

Usage:
  neurona train <job> [--epochs N] [--batch-size N] [--seed N] [--limit N] [--backend js] [--threads N] [--verbose 0|1|2]
  neurona inspect <model dir | file.safetensors>
                        print the format, layers, tensors and parameter count (builds nothing)
  neurona jobs          list the training jobs
  neurona info          print the version and the active backend
  neurona --version     print the version
  neurona --help        print this help
`;

type Out = (s: string) => void;

function parseFlags(args: readonly string[], err: Out): JobOptions | null {
  const options: JobOptions = {};
  const numeric: Record<string, keyof JobOptions> = { '--epochs': 'epochs', '--batch-size': 'batchSize', '--seed': 'seed', '--limit': 'limit', '--verbose': 'verbose' };
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    if (flag === '--backend' && value) { setBackend(value); i++; continue; }
    if (flag === '--threads' && value) { setNumThreads(Number(value)); i++; continue; }
    const key = numeric[flag];
    const n = Number(value);
    if (!key || value === undefined || !Number.isInteger(n) || n < 0) {
      err(`neurona: bad option '${flag}${value === undefined ? '' : ` ${value}`}'. Run 'neurona --help' for the options.\n`);
      return null;
    }
    (options as Record<string, number>)[key] = n;
    i++;
  }
  return options;
}

/** Runs the CLI with the given arguments and resolves to the exit code. */
export async function main(args: readonly string[], out: Out = (s) => process.stdout.write(s),
  err: Out = (s) => process.stderr.write(s)): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    out(`${VERSION}\n`);
    return 0;
  }
  if (command === 'info') {
    out(`neurona ${VERSION}\nbackend: ${getBackend()}\nnode: ${process.version}\n`);
    return 0;
  }
  if (command === 'jobs') {
    for (const [name, job] of Object.entries(JOBS)) out(`${name.padEnd(14)}${job.description}\n`);
    return 0;
  }
  if (command === 'inspect') {
    const [path] = rest;
    if (!path) {
      err(`neurona: inspect needs a model directory or a .safetensors file, e.g. 'neurona inspect my-model'\n`);
      return 2;
    }
    try {
      for (const line of await inspect(path)) out(`${line}\n`);
      return 0;
    } catch (e) {
      err(`neurona: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
      return 1;
    }
  }
  if (command === 'train') {
    const [name, ...flags] = rest;
    const job = name ? JOBS[name] : undefined;
    if (!job) {
      err(`neurona: unknown job '${name ?? ''}'; available: ${Object.keys(JOBS).join(', ')}\n`);
      return 2;
    }
    try {
      const options = parseFlags(flags, err);
      if (!options) return 2;
      await job.run({ ...options, print: (line) => out(`${line}\n`) });
      return 0;
    } catch (e) {
      err(`neurona: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
      return 1;
    }
  }
  err(`neurona: unknown command '${command}'. Run 'neurona --help' for the list of commands.\n`);
  return 2;
}
