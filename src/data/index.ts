/** Datasets (`nr.datasets`): loaders that return `{train: [x, y], test: [x, y]}` like Keras. */
export {
  mnist,
  fashionMnist,
  type IdxDataset,
  type Dataset,
  type RawDataset,
  type RawSplit,
  type DatasetSource,
  type LoadDataOptions,
} from './mnist.js';
export { cifar10, type CifarRawDataset, type CifarSplit } from './cifar10.js';
export {
  names,
  spamAssassin,
  cmudict,
  type NamesOptions,
  type SpamAssassinOptions,
  type SpamAssassinData,
  type TextSplit,
  type CmudictOptions,
} from './text-datasets.js';
export { karateClub } from './graph/karate.js';
