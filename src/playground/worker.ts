/**
 * The playground's Web Worker: it loads the served MNIST subset, trains the small CNN, loads saved
 * models and explains a drawn digit (top 3, the feature maps of every convolution, the first
 * convolution's filters). The page only draws; see protocol.ts for the messages. Everything runs on
 * the wasm backend, whose modules are served beside this script, once nr.ready() has compiled them.
 */
import { zipSync } from 'fflate';
import * as nr from '../browser.js';
import { configError, formatError } from '../core/index.js';
import { DATA_HEADER_BYTES, DATA_MAGIC, type FeatureMaps, type Reply, type Request } from '../cli/playground-protocol.js';

const scope = globalThis as unknown as {
  postMessage(message: Reply, transfer?: Transferable[]): void;
  onmessage: ((event: { data: Request }) => void) | null;
};
const send = (message: Reply, transfer: Transferable[] = []) => scope.postMessage(message, transfer);

/** Chart points per epoch: enough for a live curve, few enough that validation stays cheap. */
const POINTS_PER_EPOCH = 8;
/** Validation digits evaluated at each chart point (at most). */
const VALIDATION_DIGITS = 256;
/** The input shapes a digit model may take, tried in this order: images with a channel, images, flat. */
const DIGIT_SHAPES: readonly number[][] = [
  [1, 28, 28, 1],
  [1, 28, 28],
  [1, 784],
];

interface Digits {
  train: number;
  test: number;
  labels: Uint8Array;
  images: Uint8Array;
}

/**
 * Until this resolves the backend is js: every model is built or loaded after it, so that its
 * weights and all of its ops live on the backend that trains it. Relative to this script's URL.
 */
const backend = nr.ready({ wasmUrl: new URL('neurona.wasm', location.href) });

/** The active backend and its threads (js: one; no native in a browser), and why one where it is one. */
function backendReply(): Extract<Reply, { type: 'backend' }> {
  const wasm = nr.wasmInfo();
  if (nr.getBackend() === 'wasm' && wasm.available) {
    return { type: 'backend', name: 'wasm', threads: wasm.threads, ...(wasm.oneThread ? { why: wasm.oneThread } : {}) };
  }
  return { type: 'backend', name: nr.getBackend(), threads: 1, ...(wasm.available ? {} : { why: `no wasm: ${wasm.reason}` }) };
}

let digits: Promise<Digits> | null = null;
let model: nr.Model | null = null;
let inputShape: number[] = DIGIT_SHAPES[0]!;
let stopRequested = false;

/** mnist.bin (see protocol.ts), fetched once, beside the worker's own script. */
function loadDigits(): Promise<Digits> {
  digits ??= (async () => {
    const response = await fetch(new URL('mnist.bin', location.href));
    if (!response.ok) throw formatError('playground', { expected: 'mnist.bin beside the page', got: `HTTP ${response.status}` });
    const bytes = new Uint8Array(await response.arrayBuffer());
    const header = new DataView(bytes.buffer, 0, DATA_HEADER_BYTES);
    const [magic, train, test, side] = [0, 4, 8, 12].map((at) => header.getUint32(at, true)) as [number, number, number, number];
    const count = train + test;
    if (magic !== DATA_MAGIC || side !== 28 || bytes.length !== DATA_HEADER_BYTES + count * (1 + 28 * 28)) {
      throw formatError('playground', {
        expected: 'mnist.bin is not a playground digit file',
        hint: 'serve or export it again with neurona playground',
      });
    }
    const labels = bytes.subarray(DATA_HEADER_BYTES, DATA_HEADER_BYTES + count);
    return { train, test, labels, images: bytes.subarray(DATA_HEADER_BYTES + count) };
  })();
  return digits;
}

/** Digits [from, from + n) as x [n, 28, 28, 1] in [0, 1] and int32 labels [n]. */
function slice(data: Digits, from: number, n: number): [nr.Tensor, nr.Tensor] {
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = data.images[from * 784 + i]! / 255;
  return [nr.tensor(pixels, [n, 28, 28, 1]), nr.tensor(Int32Array.from(data.labels.subarray(from, from + n)), [n], 'int32')];
}

/** The model trained on the page: two 3x3 convolutions with pooling, then softmax over the digits. */
function buildModel(learningRate: number): nr.Sequential {
  const net = new nr.Sequential([
    nr.Input({ shape: [28, 28, 1] }),
    new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
  net.compile({
    optimizer: new nr.optimizers.Adam({ learningRate }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return net;
}

class StopRequested extends Error {}

let lastYield = 0;
/**
 * Lets queued messages (stop, predict) run between batches, at most every 50 ms: a timer per batch
 * would cost its 4 ms clamp on every one of them.
 */
async function yieldToMessages(): Promise<void> {
  if (performance.now() - lastYield < 50) return;
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  lastYield = performance.now();
}

async function train(request: Extract<Request, { type: 'train' }>): Promise<void> {
  const data = await loadDigits();
  const n = Math.min(request.limit, data.train);
  const [x, y] = slice(data, 0, n);
  const validation = slice(data, data.train, Math.min(data.test, VALIDATION_DIGITS, Math.max(32, Math.floor(n / 4))));
  nr.setSeed(request.seed);
  const net = buildModel(request.learningRate);
  useModel(net, 'trained on this page');
  stopRequested = false;
  const steps = Math.ceil(n / request.batchSize);
  const points = Math.min(POINTS_PER_EPOCH, steps);
  const history: Record<string, number[]> = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
  const started = performance.now();
  let next = 1;
  /** Where training is: the page says where a stop took effect. */
  const at = { epoch: 1, step: 0, steps };
  // Training values are fit's running means over the epoch so far (as its progress bar shows them).
  const progress = new (class extends nr.callbacks.Callback {
    override onEpochBegin(epoch: number): void {
      next = 1;
      at.epoch = epoch + 1;
    }
    override async onTrainBatchEnd(batch: number, logs: nr.callbacks.Logs = {}): Promise<void> {
      at.step = batch + 1;
      if (batch + 1 === Math.round((next * steps) / points)) {
        next++;
        const val = await net.evaluate(validation[0], validation[1], { verbose: 0, batchSize: 128 });
        history.loss!.push(logs.loss!);
        history.accuracy!.push(logs.accuracy!);
        history.val_loss!.push(val.loss!);
        history.val_accuracy!.push(val.accuracy!);
        const epoch = Math.floor((history.loss!.length - 1) / points) + 1;
        send({ type: 'progress', history, pointsPerEpoch: points, epoch, epochs: request.epochs, step: batch + 1, steps });
      }
      await yieldToMessages();
      // fit's stopTraining waits for the epoch's end; a user who pressed stop wants it now.
      if (stopRequested) throw new StopRequested();
    }
  })();
  try {
    await net.fit(x, y, { epochs: request.epochs, batchSize: request.batchSize, verbose: 0, callbacks: [progress] });
  } catch (error) {
    if (!(error instanceof StopRequested)) throw error;
  }
  const last = Object.fromEntries(Object.entries(history).map(([key, values]) => [key, values.at(-1) ?? NaN]));
  send({ type: 'trained', seconds: (performance.now() - started) / 1000, stopped: stopRequested ? at : null, logs: last });
}

/** Makes `net` the model that predictions use, and tells the page what it is. */
function useModel(net: nr.Model, source: string): void {
  const lines: string[] = [];
  net.summary((line: string) => lines.push(line));
  const probe = DIGIT_SHAPES.find((shape) => {
    try {
      net.predict(nr.zeros(shape));
      return true;
    } catch {
      return false;
    }
  });
  if (!probe) {
    throw configError(`playground: ${source}`, {
      expected: 'a model of 28x28 gray digits: its input must be [28, 28, 1], [28, 28] or [784]',
    });
  }
  model = net;
  inputShape = probe;
  const convolutions = net instanceof nr.Sequential ? net.layers.filter((l) => l.className === 'Conv2D').length : 0;
  send({ type: 'model', source, summary: lines.join('\n'), convolutions });
}

/** Each of `count` blocks of `size` values (or channel-interleaved: stride `count`) min-max scaled to 0..255. */
function toPixels(values: Float32Array, count: number, size: number, interleaved: boolean): Uint8Array {
  const out = new Uint8Array(values.length);
  const at = (block: number, i: number) => (interleaved ? i * count + block : block * size + i);
  for (let b = 0; b < count; b++) {
    let low = Infinity;
    let high = -Infinity;
    for (let i = 0; i < size; i++) {
      low = Math.min(low, values[at(b, i)]!);
      high = Math.max(high, values[at(b, i)]!);
    }
    const span = high - low;
    for (let i = 0; i < size; i++) out[at(b, i)] = span > 0 ? Math.round(((values[at(b, i)]! - low) / span) * 255) : 0;
  }
  return out;
}

function explain(pixels: Float32Array): void {
  if (!model) return;
  const x = nr.tensor(pixels, inputShape);
  const maps: FeatureMaps[] = [];
  let filters: FeatureMaps | null = null;
  let probabilities: Float32Array;
  if (model instanceof nr.Sequential) {
    // Layer by layer, so that every convolution's output can be kept on the way.
    let h = x;
    for (const layer of model.layers) {
      h = layer.apply(h) as nr.Tensor;
      if (layer.className !== 'Conv2D' || h.rank !== 4) continue;
      const [, height, width, channels] = h.shape as [number, number, number, number];
      maps.push({ name: layer.name, height, width, channels, pixels: toPixels(h.data() as Float32Array, channels, height * width, true) });
      if (!filters) {
        // The kernel is [kh, kw, in, out] (Keras's layout): the first input channel of each filter.
        const kernel = layer.getWeights()[0]!;
        const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
        const values = kernel.data();
        const first = Float32Array.from({ length: kh * kw * cout }, (_, i) => values[Math.floor(i / cout) * cin * cout + (i % cout)]!);
        filters = { name: layer.name, height: kh, width: kw, channels: cout, pixels: toPixels(first, cout, kh * kw, true) };
      }
    }
    probabilities = h.data() as Float32Array;
  } else {
    probabilities = (model.predict(x) as nr.Tensor).data() as Float32Array;
  }
  const top = Array.from(probabilities, (probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3);
  send({ type: 'prediction', top, maps, filters }, [...maps.map((m) => m.pixels.buffer), ...(filters ? [filters.pixels.buffer] : [])]);
}

async function handle(request: Request): Promise<void> {
  if (request.type !== 'stop') await backend;
  switch (request.type) {
    case 'train':
      return train(request);
    case 'stop':
      stopRequested = true;
      return;
    case 'predict':
      return explain(request.pixels);
    case 'load':
      return useModel(await nr.loadModel(request.url), request.url);
    case 'load-files': {
      const [first, ...rest] = request.files;
      const byName = new Map(request.files.map((f) => [f.name.replace(/^.*[\\/]/, ''), f.bytes]));
      const [json, weights] = [byName.get('model.json'), byName.get('model.safetensors')];
      // A model directory's two files become the one-file container that loadModel reads from bytes.
      const bytes =
        first && rest.length === 0 && /\.neurona$/i.test(first.name)
          ? first.bytes
          : json && weights && request.files.length === 2
            ? zipSync({ 'model.json': json, 'model.safetensors': [weights, { level: 0 }] })
            : null;
      if (!bytes) {
        throw configError('playground', {
          expected: 'pick a .neurona file, or the model.json and model.safetensors of a saved model directory together',
          got: request.files.map((f) => f.name).join(', '),
        });
      }
      return useModel(await nr.loadModel(bytes), request.files.map((f) => f.name).join(' + '));
    }
  }
}

scope.onmessage = (event) => {
  handle(event.data).catch((error: unknown) =>
    send({ type: 'error', where: event.data.type, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
};
// The data is fetched at once, so that the page can say how many digits it holds, and which backend runs.
loadDigits().then(
  (data) => send({ type: 'data', train: data.train, test: data.test }),
  (error: unknown) => send({ type: 'error', where: 'data', message: String(error) }),
);
void backend.then(() => send(backendReply()));
