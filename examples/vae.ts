/*
 * A convolutional variational autoencoder on binarised MNIST with a custom trainStep (Keras 3's VAE
 * guide): the test negative ELBO per image for a 2-D and a 16-D latent, manifold.png (digits decoded
 * from a grid of latent points) and latent.png (test digits' latent means by class).
 *
 * The exercise is in src/cli/jobs/vae.ts; this script runs it as `neurona train vae` does, with the
 * same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/vae.ts [--limit 60000] [--latents 2,16] [--epochs 10] [--grid 20] [--out out/vae] [--report dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'vae', ...process.argv.slice(2)]);
