/** Text utilities (`nr.text`): tokenizers, padSequences, and sampling for generation. */
export {
  CharTokenizer,
  WordTokenizer,
  padSequences,
  type TokenizerOptions,
  type EncodeOptions,
  type SpecialTokens,
  type PadSequencesOptions,
} from '../data/text/tokenizer.js';
export type { Standardize, Split } from '../data/text/preprocess.js';
export { sample, generate, type SampleOptions, type GenerateOptions, type SequenceModel } from './sampling.js';
