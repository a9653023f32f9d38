/**
 * Writing a model's weights in Keras 3's HDF5 layout: what `model.save_weights('x.weights.h5')`
 * writes and what a `.keras` archive holds as `model.weights.h5`, so Keras's `model.load_weights`
 * takes them (docs/saving.md, "Writing Keras weight files"). No Node imports: the browser build
 * uses it too.
 *
 * The layout follows keras/src/saving/saving_lib.py (`_save_state`, `_save_container_state`,
 * H5IOStore): every saveable gets `<path>/vars` with attribute `name` (the layer's name), and its
 * weights as datasets `0, 1, ...`; the model's own group is the top-level `vars`; its layers are
 * `layers/<class in snake case>[_n]`, `_n` counting earlier layers of the same class in
 * `model.layers` order (Sequential leaves out its InputLayer, functional models list theirs first);
 * a nested model's layers sit under its own `layers/`. Layers without weights keep their empty
 * `vars` group, as Keras 3 writes them (recent releases add the `name` attribute); its first
 * releases fail to load a file without the top-level one.
 * The optimizer is not written (neurona's saveWeights writes weights only); Keras then keeps its
 * own optimizer state.
 */
import { configError } from '../../core/index.js';
import type { Variable } from '../../tensor/index.js';
import { Hdf5WriteGroup, writeHdf5 } from '../../io/hdf5-write.js';
import { Model } from '../models/model.js';
import { type Layer, snakeCase } from '../layer.js';

/** A layer's weights in Keras's order: trainable ones first, each kind in creation order. */
export function kerasOrder(layer: Layer): Variable[] {
  const all = [...new Set(layer.weights)];
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)];
}

/** The bytes of a Keras 3 `model.weights.h5` holding `model`'s weights. */
export function kerasWeightsH5(model: Model): Uint8Array {
  return writeHdf5(kerasWeightsTree(model));
}

/** The group tree of kerasWeightsH5 (the values are the weights' own arrays, not copies). */
export function kerasWeightsTree(model: Model): Hdf5WriteGroup {
  if (!(model instanceof Model)) {
    throw configError('kerasWeightsH5', { expected: 'expected a neurona Model', got: Object.prototype.toString.call(model) });
  }
  if (!model.built) {
    throw configError(`kerasWeightsH5: model "${model.name}"`, {
      expected: 'the model is not built yet, so it has no weights to write',
      hint: 'start it with nr.Input, give the first layer an inputShape, or call it once on data before saving',
    });
  }
  const root = new Hdf5WriteGroup();
  root.group('vars').attr('name', model.name);
  const walk = (m: Model, at: Hdf5WriteGroup) => {
    const counts = new Map<string, number>();
    for (const layer of m.layers) {
      const base = snakeCase(layer.className);
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      const group = at.group(`layers/${n === 0 ? base : `${base}_${n}`}`);
      const vars = group.group('vars').attr('name', layer.name);
      if (layer instanceof Model) {
        walk(layer, group);
        continue;
      }
      // bool weights are stored as uint8, as h5py stores numpy's bool.
      kerasOrder(layer).forEach((v, i) => vars.dataset(String(i), v.data(), v.shape));
    }
  };
  walk(model, root);
  return root;
}
