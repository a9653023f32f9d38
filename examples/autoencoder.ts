/*
 * Dense, convolutional and denoising autoencoders on MNIST: each model's test reconstruction loss
 * beside the mean image's, and reconstructions.png with test digits over the reconstructions.
 *
 * The exercise is in src/cli/jobs/autoencoder.ts; this script runs it as `neurona train autoencoder`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/autoencoder.ts [--limit 20000] [--epochs 5] [--code 32] [--noise 50] [--out out/autoencoder] [--report dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'autoencoder', ...process.argv.slice(2)]);
