/**
 * The examples `neurona train <name>` runs, in the order `neurona examples` lists them (the course's
 * order). Registering one is one line here (plus its import): `'mnist-lenet': mnistLenet,` with
 * `mnistLenet: ModelExample` (or a `program({...})`) in src/cli/jobs/<name>.ts.
 */
import type { Example } from './jobs/example.js';
import { mnistMlp } from './jobs/mnist-mlp.js';
import { DECK004_EXAMPLES, mnistLenet } from './jobs/deck004.js';
import { backpropByHand } from './jobs/backprop-by-hand.js';
import { xor } from './jobs/xor.js';
import { outputHeads } from './jobs/output-heads.js';
import { mnistMlpDeep } from './jobs/mnist-mlp-deep.js';
import { optimizersComparison } from './jobs/optimizers-comparison.js';
import { perceptron2d } from './jobs/perceptron-2d.js';
import { mnistPerceptron } from './jobs/mnist-perceptron.js';
import { somDigits } from './jobs/som-digits.js';
import { fashionMnistProgression } from './jobs/fashion-mnist-progression.js';
import { fashionToMnistTransfer } from './jobs/fashion-to-mnist-transfer.js';
import { architectures } from './jobs/architectures.js';
import { transferLearning } from './jobs/transfer-learning.js';
import { sineForecast } from './jobs/sine-forecast.js';
import { namesLstm } from './jobs/names-lstm.js';
import { spamClassifier } from './jobs/spam-classifier.js';
import { miniGptExample } from './jobs/mini-gpt.js';
import { seq2seqAttention } from './jobs/seq2seq-attention.js';
import { siameseMnist } from './jobs/siamese-mnist.js';
import { gcnKarate } from './jobs/gcn-karate.js';
import { dcgan } from './jobs/dcgan.js';
import { wganGp } from './jobs/wgan-gp.js';
import { diffusion } from './jobs/diffusion.js';
import { autoencoder } from './jobs/autoencoder.js';
import { pixelcnn } from './jobs/pixelcnn.js';
import { vae } from './jobs/vae.js';
import { realnvp } from './jobs/realnvp.js';
import { ebm } from './jobs/ebm.js';

export const EXAMPLES: Record<string, Example> = {
  'mnist-mlp': mnistMlp,
  'backprop-by-hand': backpropByHand,
  xor: xor,
  'output-heads': outputHeads,
  'mnist-mlp-deep': mnistMlpDeep,
  'optimizers-comparison': optimizersComparison,
  'perceptron-2d': perceptron2d,
  'mnist-perceptron': mnistPerceptron,
  'som-digits': somDigits,
  'mnist-lenet': mnistLenet,
  ...DECK004_EXAMPLES,
  'fashion-mnist-progression': fashionMnistProgression,
  architectures: architectures,
  'transfer-learning': transferLearning,
  'fashion-to-mnist-transfer': fashionToMnistTransfer,
  'sine-forecast': sineForecast,
  'names-lstm': namesLstm,
  'spam-classifier': spamClassifier,
  'mini-gpt': miniGptExample,
  'seq2seq-attention': seq2seqAttention,
  'siamese-mnist': siameseMnist,
  'gcn-karate': gcnKarate,
  dcgan: dcgan,
  'wgan-gp': wganGp,
  diffusion: diffusion,
  autoencoder: autoencoder,
  vae: vae,
  realnvp: realnvp,
  ebm: ebm,
  pixelcnn: pixelcnn,
};
