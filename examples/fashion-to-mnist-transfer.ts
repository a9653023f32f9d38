/*
 * Transfer learning with weights neurona made itself (deck 004's recipe without ImageNet): a small
 * ResNet-style base pretrained on MNIST digits 0-4 (`--task digits-0-4-to-5-9`, the default) or on
 * Fashion-MNIST (`--task fashion-to-digits`) and saved, then loaded as a frozen base under a new head
 * for 500 labelled digits 5-9 (or 0-9) (phase 1), fine-tuned from its first stage on (phase 2), and
 * compared with the same network trained from scratch on the same digits. The measured tables are
 * in docs/transfer-learning.md.
 *
 * The exercise is in src/cli/jobs/fashion-to-mnist-transfer.ts; this script runs it as
 * `neurona train fashion-to-mnist-transfer` does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/fashion-to-mnist-transfer.ts [--task fashion-to-digits] [--pretrain-epochs 2] [--labels 500]
 *      [--seeds 3] [--save dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'fashion-to-mnist-transfer', ...process.argv.slice(2)]);
