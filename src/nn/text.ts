/** Text utilities (`nr.text`): tokenizers and padSequences. */
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
