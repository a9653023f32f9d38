// The tests' TypeScript loader: `node --import ./scripts/ts-loader.mjs file.ts` runs a .ts or .mts file
// from the sources, as `--import tsx` does, for a fraction of tsx's start-up (under a second saved on each
// of the hundreds of processes a test run starts: every test file, docs snippet, example and CLI call).
// Hooks in ts-loader-hooks.mjs; source maps on, so stacks name the .ts lines. Test infrastructure only:
// the package itself never needs it (its users run dist/, or tsx).
import { register } from 'node:module';

process.setSourceMapsEnabled(true);
register('./ts-loader-hooks.mjs', import.meta.url);
