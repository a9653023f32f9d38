/**
 * The chart packages (vega, vega-lite, @resvg/resvg-wasm) are optional peer dependencies: they are
 * most of what a full install would weigh (80 of its 83 packages, 21.8 of 22.9 MB), and many users
 * never draw a chart.
 * The chart code imports them on first use, and `chartImportFailed` turns "not installed" into one
 * line that says what to install. Platform-independent (no `node:` imports): the browser
 * entry's charts use it too.
 */
import { configError } from '../core/index.js';

/** The packages that charts need, in the order of the install command. */
export const CHART_PACKAGES: readonly string[] = ['vega', 'vega-lite', '@resvg/resvg-wasm'];

/** The command that installs them. */
export const CHART_INSTALL_COMMAND = `npm install ${CHART_PACKAGES.join(' ')}`;

/**
 * Whether `error` says that the package `name` itself cannot be found: Node's ERR_MODULE_NOT_FOUND
 * ("Cannot find package 'vega' imported from ..."), or a browser's failure to resolve the bare
 * specifier. A package that is installed but fails to load (or lacks one of its own dependencies,
 * which the message then names) is not this case: its own error says more.
 */
function isNotInstalled(error: unknown, name: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  const quoted = error.message.includes(`'${name}'`) || error.message.includes(`"${name}"`);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return quoted;
  // Browsers: "Failed to resolve module specifier "vega"" (Chromium), "The specifier "vega" was a bare
  // specifier" (Firefox), "Module name, 'vega' does not resolve" (Safari); all TypeErrors.
  return error instanceof TypeError && quoted;
}

/**
 * The `.catch` handler of a chart package's import, written right at it:
 * `import('vega').catch((error) => chartImportFailed('renderVegaLite', 'vega', error))`. When the
 * package is not installed it throws a ConfigError whose one line names it and gives the install
 * command; any other failure is rethrown as it is. The `.catch` on the `import()` itself matters to
 * bundlers: esbuild then leaves a package that is not installed to fail at run time (here) instead of
 * failing the build, and still bundles it where it is installed.
 */
export function chartImportFailed(where: string, name: string, error: unknown): never {
  if (!isNotInstalled(error, name)) throw error;
  throw configError(where, {
    expected: `charts need the optional packages ${CHART_PACKAGES.join(', ')}, and ${name} is not installed`,
    hint: `run \`${CHART_INSTALL_COMMAND}\``,
    cause: error,
  });
}
