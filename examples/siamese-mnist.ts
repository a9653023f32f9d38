/*
 * A Siamese CNN on MNIST digit pairs, trained with the contrastive loss on digits 0-4: verification
 * accuracy (threshold chosen on validation pairs) and ROC AUC on unseen test pairs, one-shot
 * classification of the never-seen digits 5-9 from one example each, and embedding.png, the test
 * embeddings projected to 2-D and coloured by digit.
 *
 * The exercise is in src/cli/jobs/siamese-mnist.ts; this script runs it as `neurona train siamese-mnist`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/siamese-mnist.ts [--pairs 30000] [--epochs 4] [--embedding 16] [--out out/siamese-mnist]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'siamese-mnist', ...process.argv.slice(2)]);
