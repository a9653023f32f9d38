/*
 * A denoising diffusion model (DDPM) on MNIST with a small U-Net: a sample grid, the denoising chain
 * from noise to digit, and the class coverage and mean confidence of a separately trained MNIST
 * classifier; --ddim-steps 50 samples by DDIM on 50 steps instead of the T ancestral steps.
 *
 * The exercise is in src/cli/jobs/diffusion.ts; this script runs it as `neurona train diffusion`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/diffusion.ts [--epochs 5] [--timesteps 1000] [--ddim-steps 0] [--out out/diffusion]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'diffusion', ...process.argv.slice(2)]);
