/*
 * Deck 004's transfer-learning exercise line by line: a ResNet50 base without its top (ImageNet
 * weights when they can be had), frozen, under GlobalAveragePooling2D + Dropout(0.4) + Dense(1,
 * sigmoid); phase 1 trains the head, phase 2 fine-tunes from FINE_TUNE_AT at a low learning rate;
 * test accuracy, learning curves and confusion matrix as PNGs. --data reads a two-class image folder
 * (Kaggle's Cats vs Dogs unpacked: PetImages/Cat, PetImages/Dog); without it a generated folder is used.
 *
 * The exercise is in src/cli/jobs/transfer-learning.ts; this script runs it as `neurona train transfer-learning`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/transfer-learning.ts [--base resnet50|vgg16|efficientnetb0|mobilenetv2] [--data dir]
 *        [--weights imagenet|file|none] [--img-size 224] [--epochs 3] [--fine-tune-epochs 2] [--out dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'transfer-learning', ...process.argv.slice(2)]);
