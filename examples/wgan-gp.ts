/*
 * A Wasserstein GAN with gradient penalty on MNIST: 5 critic steps per generator step, the penalty
 * lambda * (||grad D(x_hat)|| - 1)^2 on interpolates (a gradient nested in a gradient), sample grids
 * and the class coverage and mean confidence of a separately trained MNIST classifier.
 *
 * The exercise is in src/cli/jobs/wgan-gp.ts; this script runs it as `neurona train wgan-gp` does,
 * with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/wgan-gp.ts [--epochs 5] [--critic-steps 5] [--out out/wgan-gp] [--report out/wgan-gp-report]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'wgan-gp', ...process.argv.slice(2)]);
