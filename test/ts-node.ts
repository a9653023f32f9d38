import { fileURLToPath } from 'node:url';

/**
 * The `node` arguments that run TypeScript from the sources in a child process: scripts/ts-loader.mjs,
 * which starts in a fraction of tsx's time (the test run starts hundreds of children). Spread before
 * the file: `spawnSync(process.execPath, [...TS_NODE, 'src/cli/main.ts', 'info'])`.
 */
export const TS_NODE: readonly string[] = ['--import', fileURLToPath(new URL('../scripts/ts-loader.mjs', import.meta.url))];
