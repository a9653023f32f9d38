/*
 * A DCGAN on MNIST written as Keras 3's GAN guide writes it (a Model subclass overriding trainStep,
 * two Adam optimizers, Mean trackers d_loss and g_loss): a sample grid per epoch, and the class
 * coverage and mean confidence of a separately trained MNIST classifier on 1,000 generated digits.
 *
 * The exercise is in src/cli/jobs/dcgan.ts; this script runs it as `neurona train dcgan` does, with
 * the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/dcgan.ts [--epochs 5] [--limit 60000] [--out out/dcgan] [--report out/dcgan-report]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'dcgan', ...process.argv.slice(2)]);
