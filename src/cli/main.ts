#!/usr/bin/env node
// The `neurona` command (package.json "bin"). Every error line it prints starts with "neurona: ",
// including failures to load the library itself and errors that escape after main() returned.
const fatal = (error: unknown): void => {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  process.stderr.write(`neurona: ${text.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exitCode = 1;
};
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);
try {
  const { main } = await import('./commands.js');
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  fatal(error);
}
