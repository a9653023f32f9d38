/**
 * Where a layer's weights sit in a Keras 3 weight file, for the reader (keras-h5.ts) and the writer
 * (keras-h5-write.ts) alike, so the two cannot drift apart (docs/saving.md, "Keras weight files").
 *
 * Keras's keras/src/saving/saving_lib.py `_save_state` gives every saveable its own `vars` group and
 * then walks its attributes (`_walk_saveable`: `dir()` sorted, public names before `_private`
 * ones, those of a bare Layer skipped): each child Layer goes under `<path>/<attribute>`, each list
 * under `<path>/<attribute>/<class in snake case>[_n]` (`_save_container_state`), and an object seen
 * before is not written again. So where neurona keeps one flat layer, Keras may keep sub-layers:
 * - LSTM, GRU, SimpleRNN: the layer's own `vars` is empty; the weights are its `cell`'s
 *   (keras/src/layers/rnn/rnn.py `self.cell = cell`; lstm.py names it `lstm_cell`).
 * - RNN: `cell`; StackedRNNCells: `cells/<cell class>[_n]` (stacked_rnn_cells.py `self.cells`).
 * - Bidirectional: `backward_layer`, `forward_layer`, and `layer`, the wrapped original, never built
 *   (bidirectional.py rebuilds both directions from its config), so its groups hold no weights.
 * - TimeDistributed: `layer` (core/wrapper.py `self.layer = layer`).
 * - MultiHeadAttention: EinsumDense layers reached first through the public properties
 *   `key_dense`, `output_dense`, `query_dense`, `value_dense` (multi_head_attention.py; Keras 3.0.0
 *   to 3.0.2 had no properties and wrote `_query_dense` ...), then `_dropout_layer` and `_softmax`.
 * - TokenAndPositionEmbedding (keras_hub): `position_embedding`, `token_embedding`.
 */
import { configError } from '../../core/index.js';
import type { Variable } from '../../tensor/index.js';
import { type Layer, snakeCase } from '../layer.js';

/** A layer's weights in Keras's order: trainable ones first, each kind in creation order. */
export function kerasOrder(layer: Layer): Variable[] {
  const all = [...new Set(layer.weights)];
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)];
}

/** One Keras saveable inside a layer: its group below the layer's ('' for the layer's own), name and weights. */
export interface KerasPart {
  path: string;
  /** The saveable's name, Keras's `name` attribute of the `vars` group. */
  name: string;
  weights: Variable[];
  /** Where older Keras releases put the same weights. */
  oldPath?: string;
}

type Props = Record<string, unknown>;
const RNN_LAYERS = new Set(['LSTM', 'GRU', 'SimpleRNN']);
const MHA_PARTS = [
  ['key_dense', 'key'],
  ['output_dense', 'attention_output'],
  ['query_dense', 'query'],
  ['value_dense', 'value'],
] as const;

/** The Keras saveables of one layer (not a nested model: its layers are walked by the caller), in Keras's order. */
export function kerasParts(layer: Layer): KerasPart[] {
  const own = (weights: Variable[] = []): KerasPart => ({ path: '', name: layer.name, weights });
  const join = (path: string, sub: string) => (sub ? `${path}/${sub}` : path);
  const under = (path: string, parts: KerasPart[]): KerasPart[] =>
    parts.map((p) => ({ ...p, path: join(path, p.path), ...(p.oldPath === undefined ? {} : { oldPath: join(path, p.oldPath) }) }));
  const ending = (suffix: string) => kerasOrder(layer).filter((v) => v.name.endsWith(suffix));
  const props = layer as unknown as Props;
  const className = layer.className;
  if (RNN_LAYERS.has(className)) return [own(), { path: 'cell', name: `${snakeCase(className)}_cell`, weights: kerasOrder(layer) }];
  if (className === 'RNN') return [own(), ...under('cell', kerasParts(props.cell as Layer))];
  if (className === 'StackedRNNCells') {
    const counts = new Map<string, number>();
    const cells = (props.cells as Layer[]).flatMap((cell) => {
      const base = snakeCase(cell.className);
      const n = counts.get(base) ?? -1;
      counts.set(base, n + 1);
      return under(`cells/${n < 0 ? base : `${base}_${n + 1}`}`, kerasParts(cell));
    });
    return [own(), ...cells];
  }
  if (className === 'Bidirectional') {
    const [forward, backward] = [props.forwardLayer as Layer, props.backwardLayer as Layer];
    const forwardParts = kerasParts(forward);
    const original = forward.name.replace(/^forward_/, '');
    const unbuilt = forwardParts.map((p) => ({ ...p, name: p.path ? p.name : original, weights: [] }));
    return [own(), ...under('backward_layer', kerasParts(backward)), ...under('forward_layer', forwardParts), ...under('layer', unbuilt)];
  }
  if (className === 'TimeDistributed') return [own(), ...under('layer', kerasParts(props.layer as Layer))];
  if (className === 'MultiHeadAttention') {
    const dense = MHA_PARTS.map(([path, name]) => ({
      path,
      name,
      weights: [...ending(`${name}/kernel`), ...ending(`${name}/bias`)],
      oldPath: `_${path}`,
    }));
    return [own(), ...dense, { path: '_dropout_layer', name: 'dropout', weights: [] }, { path: '_softmax', name: 'softmax', weights: [] }];
  }
  if (className === 'TokenAndPositionEmbedding') {
    const embedding = (name: string) => ({ path: name, name, weights: ending(`${name}/embeddings`) });
    return [own(), embedding('position_embedding'), embedding('token_embedding')];
  }
  return [own(kerasOrder(layer))];
}

/** kerasParts, checked to place every weight of the layer once. */
export function kerasPartsOf(layer: Layer): KerasPart[] {
  const parts = kerasParts(layer);
  const placed = parts.flatMap((p) => p.weights);
  const all = kerasOrder(layer);
  if (placed.length !== all.length || !all.every((v) => placed.includes(v))) {
    throw configError(`Keras weight file: layer "${layer.name}" (${layer.className})`, {
      expected: `its ${all.length} weights placed in Keras's sub-layers, ${placed.length} were`,
      hint: 'src/nn/saving/keras-layout.ts must learn where this layer keeps its weights',
    });
  }
  return parts;
}
