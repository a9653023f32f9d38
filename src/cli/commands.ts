import { VERSION } from '../version.js';
import { getBackend } from '../backend/index.js';

const HELP = `neurona ${VERSION}: deep learning for TypeScript

Usage:
  neurona --version     print the version
  neurona --help        print this help
  neurona info          print the version and the active backend

Training commands (neurona train, summary, predict, bench) arrive with the model API.
`;

/** Runs the CLI with the given arguments and returns the exit code. */
export function main(args: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = (s) => process.stderr.write(s)): number {
  const [command] = args;
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
  err(`neurona: unknown command '${command}'. Run 'neurona --help' for the list of commands.\n`);
  return 2;
}

