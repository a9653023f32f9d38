/**
 * Loading Keras's HDF5 weight files into a neurona model (docs/saving.md, "Keras weight files").
 *
 * Two layouts:
 * - legacy (`model.save_weights('x.h5')` in Keras 2, the keras-applications files, and the
 *   `model_weights` group of a full-model `.h5`): attribute `layer_names` lists the layers; each
 *   layer's group has attribute `weight_names` (`conv1_conv/kernel:0`, ...) naming its datasets in
 *   the layer's order. Layers are matched by name when the file's layers with weights are exactly
 *   the model's; otherwise by order, as Keras's `load_weights(by_name=False)` does (a model built
 *   twice in one session has `dense_1` where the file says `dense`).
 * - Keras 3 (`x.weights.h5`): no names; a layer's weights are datasets `0, 1, ...` in
 *   `layers/<class in snake case>[_n]/vars`, `_n` counting earlier layers of the same class in
 *   the model's layer order; a nested model's layers sit under its own `layers/` group.
 *
 * Inside a layer, weights are Keras's order (trainable first, then creation order: Dense
 * [kernel, bias], Conv2D [kernel, bias], DepthwiseConv2D [depthwise_kernel, bias],
 * BatchNormalization [gamma, beta, moving_mean, moving_variance], ...); neurona's layers create
 * them in the same order and the same shapes (kernels [h, w, in, out], Dense [in, out]). Every
 * layer and every shape is checked before anything is assigned: a mismatch is a FormatError
 * naming the layer, the weight and both shapes.
 */
import { readFile } from 'node:fs/promises';
import { configError, formatError } from '../../core/index.js';
import { Tensor, type Variable } from '../../tensor/index.js';
import { openHdf5, type Hdf5Array, type Hdf5Dataset, type Hdf5Group } from '../../io/hdf5.js';
import { Model } from '../models/model.js';
import { snakeCase } from '../layer.js';
import { kerasOrder } from './keras-h5-write.js';

/** Whether `path` names a Keras HDF5 file (`.h5`, `.weights.h5`, `.hdf5`), which loadWeights reads here. */
export const isKerasWeightsPath = (path: string): boolean => /\.(h5|hdf5)$/i.test(path);

/** Reads a Keras weight file and assigns it to `model` (all or nothing). */
export async function loadKerasWeights(model: Model, path: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw formatError(`model.loadWeights: ${path}`, { expected: 'cannot read the file', rule: code ?? String(e), cause: e });
  }
  assignKerasWeights(model, openHdf5(bytes, path), path);
}

/** One model layer (or nested model, for the legacy layout) and its weights in Keras's order. */
interface Unit {
  name: string;
  className: string;
  weights: Variable[];
}

/** Where a model weight's value comes from. */
interface Pairing {
  unit: Unit;
  variable: Variable;
  dataset: Hdf5Dataset;
}

/** Checks the whole file against `model`, then assigns every weight; `source` names the file in errors. */
export function assignKerasWeights(model: Model, root: Hdf5Group, source: string): void {
  const where = `model.loadWeights: ${source}`;
  if (!model.built) {
    throw configError(where, {
      expected: `model "${model.name}" is not built yet, so it has no weights to load into`,
      hint: 'start it with nr.Input, give the first layer an inputShape, or call it once',
    });
  }
  const isLegacy = (g: Hdf5Group | null) => !!g && (g.attrs().layer_names !== undefined || g.attrs().layer_names0 !== undefined);
  const legacyRoot = isLegacy(root) ? root : groupAt(root, 'model_weights');
  let pairs: Pairing[];
  if (legacyRoot && isLegacy(legacyRoot)) pairs = legacyPairs(model, legacyRoot, where);
  else if (root.get('layers')?.kind === 'group' || root.get('_layer_checkpoint_dependencies')?.kind === 'group') {
    pairs = keras3Pairs(model, root, where);
  } else {
    throw formatError(where, {
      expected: 'is not a Keras weight file: it has neither a layer_names attribute (Keras 2 .h5) nor a layers group (Keras 3 .weights.h5)',
      hint: 'save the weights in Keras with model.save_weights(path), or give a .safetensors file written by neurona',
    });
  }
  for (const { unit, variable, dataset } of pairs) {
    const same = dataset.shape.length === variable.shape.length && dataset.shape.every((d, i) => d === variable.shape[i]);
    if (!same) {
      throw formatError(where, {
        expected:
          `layer "${unit.name}" (${unit.className}) weight "${variable.name}": the file's ${dataset.path} has shape ` +
          `[${dataset.shape.join(', ')}], the model's weight [${variable.shape.join(', ')}]`,
        hint: 'the file was saved from another model or configuration (check includeTop, classes, inputShape and alpha)',
      });
    }
  }
  // Everything matches: only now is anything read in full and assigned, so a damaged dataset leaves the model as it was.
  const values: [Variable, Hdf5Array][] = pairs.map((p) => [p.variable, p.dataset.read()]);
  for (const [variable, data] of values) {
    variable.assign(new Tensor(data, variable.shape, data instanceof Float32Array ? 'float32' : 'float64'));
  }
}

function groupAt(group: Hdf5Group, path: string): Hdf5Group | null {
  const found = group.get(path);
  return found?.kind === 'group' ? found : null;
}

/** Keras splits attributes larger than 64 KB into `name0`, `name1`, ...; this joins them back. */
function stringList(group: Hdf5Group, name: string, where: string): string[] {
  const attrs = group.attrs();
  let value = attrs[name];
  if (value === undefined && attrs[`${name}0`] !== undefined) {
    const parts: unknown[] = [];
    for (let i = 0; attrs[`${name}${i}`] !== undefined; i++) parts.push(...toArray(attrs[`${name}${i}`]));
    value = parts;
  }
  const list = toArray(value ?? []);
  if (!list.every((s) => typeof s === 'string')) {
    throw formatError(where, { expected: `attribute ${name} of ${group.path} must be a list of strings`, got: JSON.stringify(value) });
  }
  return list as string[];
}

const join = (path: string, name: string) => `${path.replace(/\/$/, '')}/${name}`;
const toArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

function legacyPairs(model: Model, group: Hdf5Group, where: string): Pairing[] {
  const fileLayers: { name: string; weights: { name: string; dataset: Hdf5Dataset }[] }[] = [];
  for (const name of stringList(group, 'layer_names', where)) {
    const layerGroup = groupAt(group, name);
    if (!layerGroup) {
      throw formatError(where, { expected: `layer_names lists "${name}" but the file has no group ${join(group.path, name)}` });
    }
    const weights = stringList(layerGroup, 'weight_names', where).map((weightName) => {
      const dataset = layerGroup.get(weightName);
      if (dataset?.kind !== 'dataset') {
        throw formatError(where, { expected: `layer "${name}" lists weight "${weightName}" but the file has no such dataset` });
      }
      return { name: weightName.replace(/:\d+$/, ''), dataset };
    });
    if (weights.length > 0) fileLayers.push({ name, weights });
  }
  const units: Unit[] = [];
  for (const layer of model.layers) {
    const weights = layer instanceof Model ? flatWeights(layer) : kerasOrder(layer);
    if (weights.length > 0) units.push({ name: layer.name, className: layer.className, weights });
  }
  const fileByName = new Map(fileLayers.map((l) => [l.name, l]));
  const byName = units.length === fileLayers.length && units.every((u) => fileByName.has(u.name));
  if (!byName && units.length !== fileLayers.length) {
    const missing = units.filter((u) => !fileByName.has(u.name)).map((u) => `"${u.name}"`);
    const modelNames = new Set(units.map((u) => u.name));
    const extra = fileLayers.filter((l) => !modelNames.has(l.name)).map((l) => `"${l.name}"`);
    throw formatError(where, {
      expected: `the file has ${fileLayers.length} layers with weights, model "${model.name}" has ${units.length}`,
      rule: [missing.length ? `not in the file: ${missing.join(', ')}` : '', extra.length ? `not in the model: ${extra.join(', ')}` : '']
        .filter(Boolean)
        .join('; '),
      hint: 'the file belongs to another model (check includeTop: Keras publishes separate "notop" files without the classifier)',
    });
  }
  return units.flatMap((unit, i) => pairLayer(unit, byName ? fileByName.get(unit.name)! : fileLayers[i]!, where));
}

/** A nested model's weights as the legacy layout stores them under its one group: layer by layer. */
function flatWeights(model: Model): Variable[] {
  return [...new Set(model.layers.flatMap((l) => (l instanceof Model ? flatWeights(l) : kerasOrder(l))))];
}

function pairLayer(unit: Unit, file: { name: string; weights: { name: string; dataset: Hdf5Dataset }[] }, where: string): Pairing[] {
  let fileWeights = file.weights;
  // Keras 2's Normalization also stores its sample count; a layer without that weight ignores it.
  if (
    unit.className === 'Normalization' &&
    fileWeights.length === unit.weights.length + 1 &&
    !unit.weights.some((v) => /count$/.test(v.name))
  ) {
    fileWeights = fileWeights.filter((w) => !/(^|\/)count$/.test(w.name));
  }
  if (fileWeights.length !== unit.weights.length) {
    throw formatError(where, {
      expected:
        `layer "${unit.name}" (${unit.className}) has ${unit.weights.length} weights (${unit.weights.map((v) => v.name).join(', ')}), ` +
        `the file's layer "${file.name}" has ${fileWeights.length} (${fileWeights.map((w) => w.name).join(', ')})`,
      hint: 'the layer was configured differently (e.g. useBias, center or scale) or the file belongs to another model',
    });
  }
  const fileByName = new Map(fileWeights.map((w) => [w.name, w]));
  const byName = unit.weights.every((v) => fileByName.has(v.name));
  return unit.weights.map((variable, i) => ({
    unit,
    variable,
    dataset: (byName ? fileByName.get(variable.name)! : fileWeights[i]!).dataset,
  }));
}

function keras3Pairs(model: Model, root: Hdf5Group, where: string): Pairing[] {
  const container = root.get('layers')?.kind === 'group' ? 'layers' : '_layer_checkpoint_dependencies';
  const pairs: Pairing[] = [];
  const used = new Set<string>();
  const walk = (m: Model, path: string) => {
    const counts = new Map<string, number>();
    for (const layer of m.layers) {
      const base = snakeCase(layer.className);
      const n = counts.get(base) ?? 0;
      counts.set(base, n + 1);
      const layerPath = `${path}${container}/${n === 0 ? base : `${base}_${n}`}`;
      if (layer instanceof Model) {
        walk(layer, `${layerPath}/`);
        continue;
      }
      const weights = kerasOrder(layer);
      if (weights.length === 0) continue;
      const unit: Unit = { name: layer.name, className: layer.className, weights };
      const numbered = (g: Hdf5Group | null) => (g ? g.keys().filter((k) => /^\d+$/.test(k)) : []);
      // Keras 3's LSTM, GRU and SimpleRNN hold their weights in a cell, saved as its own object: <layer>/cell/vars.
      const inCell = numbered(groupAt(root, `${layerPath}/vars`)).length === 0 && !!groupAt(root, `${layerPath}/cell/vars`);
      const varsPath = inCell ? `${layerPath}/cell/vars` : `${layerPath}/vars`;
      const vars = groupAt(root, varsPath);
      const stored = numbered(vars);
      if (stored.length !== weights.length) {
        throw formatError(where, {
          expected: `layer "${layer.name}" (${layer.className}) has ${weights.length} weights, the file's ${varsPath} ${
            vars ? `has ${stored.length}` : 'does not exist'
          }`,
          hint: 'the file belongs to another model, or its layers come in another order',
        });
      }
      used.add(`/${varsPath}`);
      weights.forEach((variable, i) => {
        const dataset = vars!.get(String(i));
        if (dataset?.kind !== 'dataset') throw formatError(where, { expected: `${varsPath}/${i} is not a dataset` });
        pairs.push({ unit, variable, dataset });
      });
    }
  };
  walk(model, '');
  const extra: string[] = [];
  const scan = (group: Hdf5Group, depth: number) => {
    // A damaged file can link a group into its own subtree; real files nest a few levels per nested model.
    if (depth > 64) {
      throw formatError(where, { expected: `groups nest more than 64 deep at ${group.path.slice(0, 200)}: the file is damaged` });
    }
    for (const key of group.keys()) {
      const child = group.get(key);
      if (child?.kind !== 'group') continue;
      if (key === 'vars' && child.keys().length > 0 && !used.has(child.path)) extra.push(child.path);
      else scan(child, depth + 1);
    }
  };
  scan(groupAt(root, container)!, 0);
  if (extra.length > 0) {
    throw formatError(where, {
      expected: `the file holds weights that model "${model.name}" has no layer for: ${extra.slice(0, 10).join(', ')}${
        extra.length > 10 ? `, ... (${extra.length} in all)` : ''
      }`,
      hint: 'the file belongs to another model (check includeTop and the layers of the model)',
    });
  }
  return pairs;
}
