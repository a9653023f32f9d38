/**
 * The chart packages (vega, vega-lite, @resvg/resvg-wasm) are optional peer dependencies: they are
 * most of what a full install would weigh (26 MB, 77 packages), and many users never draw a chart.
 * The chart code imports them on first use through `importChartPackage`, which turns "not installed"
 * into one line that says what to install. Platform-independent (no `node:` imports): the browser
 * entry's charts use it too.
 */
import { ConfigError } from '../core/index.js';

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
 * Runs `load` (a function that contains the literal `import('<name>')`, so that bundlers still find
 * and bundle the package where it is installed) and, when the package is not installed, throws a
 * ConfigError whose one line names it and gives the install command.
 */
export async function importChartPackage<T>(where: string, name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isNotInstalled(error, name)) throw error;
    throw new ConfigError(`${where}: charts need the optional packages ${CHART_PACKAGES.join(', ')}, `
      + `and ${name} is not installed; run \`${CHART_INSTALL_COMMAND}\``, { cause: error });
  }
}
