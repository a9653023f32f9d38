/*
 * A RealNVP normalizing flow on two moons with a custom trainStep maximising the exact
 * log-likelihood: the test NLL beside a single Gaussian's, density.png and samples.png.
 *
 * The exercise is in src/cli/jobs/realnvp.ts; this script runs it as `neurona train realnvp` does,
 * with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/realnvp.ts [--points 3000] [--couplings 6] [--hidden 64] [--epochs 100] [--out out/realnvp] [--report dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'realnvp', ...process.argv.slice(2)]);
