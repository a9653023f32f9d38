/*
 * An energy-based model on two moons trained by contrastive divergence with Langevin sampling
 * (nr.grad of the energy with respect to the points): the fraction of samples on the moons beside a
 * Gaussian's, energy.png (the landscape with samples) and samples.png.
 *
 * The exercise is in src/cli/jobs/ebm.ts; this script runs it as `neurona train ebm` does, with the
 * same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/ebm.ts [--points 2000] [--steps 30] [--chain 200] [--epochs 100] [--out out/ebm] [--report dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'ebm', ...process.argv.slice(2)]);
