/*
 * "Same loss curve for the same initial weights" (issue 18, W9 and W10), neurona's half. First
 * `/usr/bin/python3 bench/sequence-curves.py [dir]` writes PyTorch's initial weights, a token stream,
 * the batches and PyTorch's losses per step into dir (default /tmp/neurona-sequence-curves); then
 *   node --import tsx bench/sequence-curves.ts [dir] [--backend native] [--steps n] [--only W9|W10]
 *        [--out bench/results/<date>-curves] [--png docs/images/sequence-loss-curves.png]
 * loads those weights into bench/sequence.ts's models, trains them on the same batches with neurona's
 * Adam, prints both curves and their largest relative difference, and writes curves.json into --out
 * and the plot to --png (each only when given).
 *
 * Weight mapping, PyTorch -> Keras (neurona) layouts:
 *   nn.Embedding weight [vocab, dim]             -> Embedding embeddings, and TokenAndPositionEmbedding
 *                                                   token_embedding/embeddings (same layout); GPT.pos
 *                                                   [ctx, dim] -> position_embedding/embeddings
 *   nn.Linear weight [out, in], bias [out]       -> Dense kernel = weightᵀ [in, out], bias
 *   nn.LayerNorm weight, bias                    -> LayerNormalization gamma, beta (epsilon 1e-5 both)
 *   nn.LSTM weight_ih_l0 [4u, in], weight_hh_l0 [4u, u], bias_ih_l0 + bias_hh_l0 [4u]
 *                                                -> LSTM kernel = weight_ihᵀ [in, 4u], recurrent_kernel
 *                                                   = weight_hhᵀ [u, 4u], bias = their sum; the gate
 *                                                   order is the same (i, f, g/c, o)
 *   nn.MultiheadAttention in_proj_weight [3E, E] (rows: query, key, value), in_proj_bias [3E]
 *                                                -> query|key|value kernel [E, heads, keyDim] =
 *                                                   (rows of that projection)ᵀ reshaped, bias [heads, keyDim]
 *   out_proj weight [E, E], bias [E]             -> attention_output kernel [heads, keyDim, E] =
 *                                                   weightᵀ reshaped, bias [E]
 * Both libraries scale scores by 1/sqrt(keyDim) and use the exact (erf) GELU.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as nr from '../src/index.js';
import { CONTEXT, SEQUENCE_SETTINGS, SEQUENCE_WORKLOADS, sequenceModel, type SequenceWorkload } from './sequence.js';

interface Saved {
  workload: SequenceWorkload;
  torch: string;
  batch: number;
  steps: number;
  tensors: { name: string; shape: number[]; offset: number }[];
  stream: number[];
  offsets: number[][];
  losses: { torch: number[]; keras_adam: number[] };
}

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined) throw new Error(`sequence-curves: ${name} needs a value`);
  argv.splice(i, 2);
  return value;
}

/** The saved PyTorch tensors by state_dict name, as float32 tensors in PyTorch's layouts. */
function readWeights(dir: string, saved: Saved): Map<string, nr.Tensor> {
  const bytes = fs.readFileSync(path.join(dir, `${saved.workload}.bin`));
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const weights = new Map<string, nr.Tensor>();
  for (const { name, shape, offset } of saved.tensors) {
    const size = shape.reduce((p, d) => p * d, 1);
    if (offset + size > all.length) throw new Error(`${saved.workload}.bin is shorter than its manifest says (${name})`);
    weights.set(name, nr.tensor(all.slice(offset, offset + size), shape));
  }
  return weights;
}

/** Sets a layer's weights by their Keras names (`kernel`, `query/bias`, ...), checking that each is given once. */
function assign(model: nr.Model, layerName: string, values: Record<string, nr.Tensor>): void {
  const layer = model.getLayer(layerName);
  const prefix = `${layer.name}/`;
  const names = layer.weights.map((v) => (v.name.startsWith(prefix) ? v.name.slice(prefix.length) : v.name));
  const missing = names.filter((n) => !(n in values));
  const extra = Object.keys(values).filter((n) => !names.includes(n));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`layer ${layerName} has weights [${names.join(', ')}]; the mapping gave [${Object.keys(values).join(', ')}]`);
  }
  layer.setWeights(names.map((n) => values[n]!));
}

/** PyTorch's initial weights into bench/sequence.ts's model of the same workload (mapping above). */
function loadTorchWeights(which: SequenceWorkload, model: nr.Model, torch: Map<string, nr.Tensor>): void {
  const get = (name: string) => {
    const t = torch.get(name);
    if (t === undefined) throw new Error(`${which}: PyTorch's state_dict has no ${name}`);
    return t;
  };
  const linear = (prefix: string) => ({ kernel: get(`${prefix}.weight`).transpose(), bias: get(`${prefix}.bias`) });
  const layerNorm = (prefix: string) => ({ gamma: get(`${prefix}.weight`), beta: get(`${prefix}.bias`) });
  if (which === 'W9') {
    assign(model, 'embedding', { embeddings: get('emb.weight') });
    assign(model, 'lstm', {
      kernel: get('lstm.weight_ih_l0').transpose(),
      recurrent_kernel: get('lstm.weight_hh_l0').transpose(),
      bias: get('lstm.bias_ih_l0').add(get('lstm.bias_hh_l0')),
    });
    assign(model, 'head', linear('out'));
    return;
  }
  assign(model, 'embedding', { 'token_embedding/embeddings': get('tok.weight'), 'position_embedding/embeddings': get('pos') });
  for (let i = 0; ; i++) {
    const block = `blocks.${i}`;
    if (!torch.has(`${block}.norm1.weight`)) break;
    const attention = model.getLayer(`block${i}_attention`) as nr.layers.MultiHeadAttention;
    const { numHeads: heads, keyDim } = attention;
    const width = heads * keyDim;
    const inWeight = get(`${block}.self_attn.in_proj_weight`);
    const inBias = get(`${block}.self_attn.in_proj_bias`);
    const dim = inWeight.shape[1]!;
    const projections: Record<string, nr.Tensor> = {};
    ['query', 'key', 'value'].forEach((p, j) => {
      projections[`${p}/kernel`] = inWeight
        .slice([j * width, 0], [width, dim])
        .transpose()
        .reshape([dim, heads, keyDim]);
      projections[`${p}/bias`] = inBias.slice(j * width, width).reshape([heads, keyDim]);
    });
    const out = get(`${block}.self_attn.out_proj.weight`);
    projections['attention_output/kernel'] = out.transpose().reshape([heads, keyDim, out.shape[0]!]);
    projections['attention_output/bias'] = get(`${block}.self_attn.out_proj.bias`);
    assign(model, `block${i}_attention`, projections);
    assign(model, `block${i}_norm1`, layerNorm(`${block}.norm1`));
    assign(model, `block${i}_norm2`, layerNorm(`${block}.norm2`));
    assign(model, `block${i}_mlp1`, linear(`${block}.linear1`));
    assign(model, `block${i}_mlp2`, linear(`${block}.linear2`));
  }
  assign(model, 'norm', layerNorm('norm'));
  assign(model, 'head', linear('head'));
}

/** Batch `step`: x = stream[o : o + CONTEXT], y = the next tokens, for each row's start o. */
function batchAt(saved: Saved, step: number): [nr.Tensor, nr.Tensor] {
  const rows = saved.offsets[step]!;
  const x = new Int32Array(rows.length * CONTEXT);
  const y = new Int32Array(rows.length * CONTEXT);
  rows.forEach((o, r) => {
    for (let t = 0; t < CONTEXT; t++) {
      x[r * CONTEXT + t] = saved.stream[o + t]!;
      y[r * CONTEXT + t] = saved.stream[o + t + 1]!;
    }
  });
  return [nr.tensor(x, [rows.length, CONTEXT], 'int32'), nr.tensor(y, [rows.length, CONTEXT], 'int32')];
}

const relative = (a: readonly number[], b: readonly number[]) => a.map((v, i) => Math.abs(v - b[i]!) / Math.abs(b[i]!));
const round = (v: number, digits = 6) => Number(v.toPrecision(digits));

const argv = process.argv.slice(2);
const backend = option(argv, '--backend');
const stepsOption = option(argv, '--steps');
const only = option(argv, '--only');
const outDir = option(argv, '--out');
const png = option(argv, '--png');
const dir = argv[0] ?? '/tmp/neurona-sequence-curves';
if (backend !== undefined) nr.setBackend(backend);
const workloads = only === undefined ? SEQUENCE_WORKLOADS : SEQUENCE_WORKLOADS.filter((w) => w === only);
if (workloads.length === 0) throw new Error(`sequence-curves: --only takes ${SEQUENCE_WORKLOADS.join(' or ')}, got ${only}`);

const summary: Record<string, unknown>[] = [];
/** Rows of the plot: losses (top row) and relative differences per step (bottom row, log scale). */
const lossRows: { workload: string; series: string; step: number; value: number }[] = [];
const diffRows: typeof lossRows = [];
for (const which of workloads) {
  const file = path.join(dir, `${which}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run /usr/bin/python3 bench/sequence-curves.py ${dir} first`);
  const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Saved;
  const { batch } = SEQUENCE_SETTINGS[which];
  if (saved.batch !== batch) throw new Error(`${file}: batch ${saved.batch}, bench/sequence.ts uses ${batch}`);
  const steps = Math.min(saved.steps, stepsOption === undefined ? saved.steps : Number(stepsOption));
  const model = sequenceModel(which);
  loadTorchWeights(which, model, readWeights(dir, saved));
  const losses: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const [x, y] = batchAt(saved, s);
    losses.push(model.trainOnBatch(x, y).loss!);
    if (s % 10 === 0 || s === steps - 1) {
      const torch = saved.losses.keras_adam[s]!;
      console.log(`${which} step ${String(s + 1).padStart(3)}  neurona ${losses[s]!.toFixed(5)}  torch ${torch.toFixed(5)}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const keras = saved.losses.keras_adam.slice(0, steps);
  const torchAdam = saved.losses.torch.slice(0, steps);
  const vsKeras = relative(losses, keras);
  const vsTorch = relative(losses, torchAdam);
  const row = {
    workload: which,
    backend: nr.getBackend(),
    torch: saved.torch,
    steps,
    seconds: round(seconds, 3),
    first_step_rel_diff: round(vsKeras[0]!, 3),
    max_rel_diff_keras_adam: round(Math.max(...vsKeras), 3),
    max_rel_diff_torch_adam: round(Math.max(...vsTorch), 3),
    torch_adam_vs_keras_adam: round(Math.max(...relative(torchAdam, keras)), 3),
    neurona: losses.map((v) => round(v)),
    torch_keras_adam: keras.map((v) => round(v)),
    torch_adam: torchAdam.map((v) => round(v)),
  };
  console.log(JSON.stringify({ ...row, neurona: undefined, torch_keras_adam: undefined, torch_adam: undefined }));
  summary.push(row);
  // PyTorch first, so that neurona's thinner line is drawn over it where the two coincide.
  keras.forEach((value, s) => lossRows.push({ workload: which, series: `PyTorch ${saved.torch}`, step: s + 1, value }));
  losses.forEach((value, s) => lossRows.push({ workload: which, series: 'neurona', step: s + 1, value }));
  // An exact match (a difference of 0) has no place on a log scale: those steps are left out.
  const diffs: [string, number[]][] = [
    ['neurona vs PyTorch, same Adam', vsKeras],
    ['PyTorch: torch.optim.Adam vs Keras\u2019s Adam', relative(torchAdam, keras)],
  ];
  for (const [series, values] of diffs) {
    values.forEach((value, s) => value > 0 && diffRows.push({ workload: which, series, step: s + 1, value }));
  }
}
if (outDir !== undefined) {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'curves.json'), `${JSON.stringify(summary, null, 1)}\n`);
}
if (png !== undefined) {
  const steps = Math.max(...lossRows.map((r) => r.step));
  const panel = (rows: typeof lossRows, title: string, log: boolean, widths: number[]) => {
    const domain = [...new Set(rows.map((r) => r.series))];
    return {
      data: { values: rows },
      facet: { field: 'workload', type: 'nominal', title: null, sort: [...SEQUENCE_WORKLOADS], header: { labelFontWeight: 'bold' } },
      spec: {
        width: 320,
        height: 190,
        mark: { type: 'line', clip: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step', scale: { domain: [1, steps], nice: false } },
          y: {
            field: 'value',
            type: 'quantitative',
            title,
            scale: log ? { type: 'log' } : { zero: false, padding: 6 },
            axis: log ? { format: '.0e', values: [1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2] } : {},
          },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', labelLimit: 400 } },
          strokeWidth: { field: 'series', type: 'nominal', sort: domain, legend: null, scale: { domain, range: widths } },
        },
      },
      resolve: { scale: { y: 'independent' } },
    };
  };
  const svg = await nr.vis.renderVegaLite({
    title: 'W9 and W10 from PyTorch\u2019s initial weights, on the same batches',
    vconcat: [panel(lossRows, 'training loss (nats/token)', false, [4, 1.5]), panel(diffRows, 'relative difference', true, [1.5, 1.5])],
    resolve: { scale: { color: 'independent', strokeWidth: 'independent' } },
  });
  fs.mkdirSync(path.dirname(png), { recursive: true });
  fs.writeFileSync(png, nr.vis.encodeRgbaPng(await nr.vis.svgToImage(svg, { scale: 2 })));
  console.log(`wrote ${png}`);
}
