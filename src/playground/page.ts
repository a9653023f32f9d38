/**
 * The playground page (served by `neurona playground`, src/cli/playground.ts): buttons, the drawing
 * pad and the pictures. The model lives in a Web Worker (worker.ts), so training never blocks the
 * page; the learning curves are nr.vis's, rendered here to SVG.
 */
import { renderLearningCurves } from '../vis/curves.js';
import type { FeatureMaps, Reply, Request } from '../cli/playground-protocol.js';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const worker = new Worker(new URL('worker.js', import.meta.url), { type: 'module' });
const ask = (request: Request, transfer: Transferable[] = []) => worker.postMessage(request, transfer);

const params = new URLSearchParams(location.search);
const param = (name: string, fallback: number) => {
  const value = Number(params.get(name));
  return params.has(name) && Number.isFinite(value) && value > 0 ? value : fallback;
};

const status = (text: string) => {
  $('status').textContent = text;
};
const problem = (text: string) => {
  const line = document.createElement('li');
  line.textContent = text;
  $('problems').append(line);
};

// ---- training and the learning curves --------------------------------------------------------

/** Whether the worker holds a model to predict with (trained here or loaded). */
let haveModel = false;
let pendingChart: { history: Record<string, number[]>; pointsPerEpoch: number } | null = null;
let drawing = false;

/** Renders the latest curves; progress that arrives meanwhile is drawn next (only the newest). */
async function drawChart(): Promise<void> {
  if (drawing) return;
  drawing = true;
  try {
    while (pendingChart) {
      const { history, pointsPerEpoch } = pendingChart;
      pendingChart = null;
      const svg = await renderLearningCurves(history, { pointsPerEpoch, width: 230, height: 130 });
      const chart = $('curves');
      chart.innerHTML = svg;
      chart.dataset.points = String(history.loss!.length);
    }
  } finally {
    drawing = false;
  }
}

// The URL's ?limit=&epochs= fill the form (a link can set up a short run); the form is what counts.
const field = (id: string) => $(id) as HTMLInputElement;
field('epochs').value = String(Math.floor(param('epochs', 3)));
$('train').addEventListener('click', () => {
  const limit = Math.max(1, Math.floor(Number(field('limit').value) || 1));
  const epochs = Math.max(1, Math.floor(Number(field('epochs').value) || 1));
  ask({
    type: 'train',
    limit,
    epochs,
    batchSize: Math.floor(param('batch', 32)),
    seed: Math.floor(param('seed', 42)),
    learningRate: param('lr', 0.003),
  });
  ($('train') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
  $('curves').dataset.points = '0';
  status(`training on ${limit} digits for ${epochs} epoch${epochs === 1 ? '' : 's'}...`);
});
$('stop').addEventListener('click', () => ask({ type: 'stop' }));

// ---- the drawing pad --------------------------------------------------------------------------

const pad = $('pad') as HTMLCanvasElement;
const pen = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  pen.fillStyle = '#000';
  pen.fillRect(0, 0, pad.width, pad.height);
  $('top').replaceChildren();
  $('maps').replaceChildren();
}
clearPad();
let last: [number, number] | null = null;
const at = (e: PointerEvent): [number, number] => {
  const box = pad.getBoundingClientRect();
  return [((e.clientX - box.left) * pad.width) / box.width, ((e.clientY - box.top) * pad.height) / box.height];
};
pad.addEventListener('pointerdown', (e) => {
  pad.setPointerCapture(e.pointerId);
  last = at(e);
  stroke(last, last);
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  const point = at(e);
  stroke(last, point);
  last = point;
});
const lift = () => {
  if (!last) return;
  last = null;
  predict();
};
pad.addEventListener('pointerup', lift);
pad.addEventListener('pointercancel', lift);
function stroke(from: [number, number], to: [number, number]): void {
  pen.strokeStyle = '#fff';
  pen.lineWidth = pad.width / 14;
  pen.lineCap = 'round';
  pen.lineJoin = 'round';
  pen.beginPath();
  pen.moveTo(...from);
  pen.lineTo(...to);
  pen.stroke();
}
$('clear').addEventListener('click', clearPad);

/**
 * The drawing as MNIST prepares its digits: the ink's bounding box scaled to fit 20x20, placed so that
 * its centre of mass is the centre of the 28x28 image, each pixel the mean of 4x4 samples. Null when
 * nothing is drawn.
 */
function digitPixels(): Float32Array | null {
  const { width, height } = pad;
  const rgba = pen.getImageData(0, 0, width, height).data;
  let [x0, y0, x1, y1, mass, mx, my] = [width, height, -1, -1, 0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = rgba[(y * width + x) * 4]! / 255;
      if (v === 0) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  }
  if (mass === 0) return null;
  const scale = 20 / Math.max(x1 - x0 + 1, y1 - y0 + 1);
  const [cx, cy] = [mx / mass, my / mass];
  const out = new Float32Array(28 * 28);
  for (let ty = 0; ty < 28; ty++) {
    for (let tx = 0; tx < 28; tx++) {
      let sum = 0;
      for (let s = 0; s < 16; s++) {
        const sx = Math.floor(cx + (tx + ((s % 4) + 0.5) / 4 - 14) / scale);
        const sy = Math.floor(cy + (ty + (Math.floor(s / 4) + 0.5) / 4 - 14) / scale);
        if (sx >= 0 && sy >= 0 && sx < width && sy < height) sum += rgba[(sy * width + sx) * 4]! / 255;
      }
      out[ty * 28 + tx] = sum / 16;
    }
  }
  return out;
}

function predict(): void {
  const pixels = digitPixels();
  if (!pixels || !haveModel) return;
  paint($('input') as HTMLCanvasElement, 28, 28, (i) => Math.round(pixels[i]! * 255));
  ask({ type: 'predict', pixels }, [pixels.buffer]);
}

// ---- pictures ---------------------------------------------------------------------------------

/** Fills a canvas of width x height with gray values. */
function paint(canvas: HTMLCanvasElement, width: number, height: number, gray: (i: number) => number): void {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d')!;
  const image = context.createImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    const v = gray(i);
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

/** One canvas per channel of channel-interleaved maps, with a caption. */
function mapRow(maps: FeatureMaps, caption: string): HTMLElement {
  const row = document.createElement('figure');
  const label = document.createElement('figcaption');
  label.textContent = caption;
  row.append(label);
  for (let c = 0; c < maps.channels; c++) {
    const canvas = document.createElement('canvas');
    canvas.title = `${maps.name}, channel ${c}`;
    paint(canvas, maps.width, maps.height, (i) => maps.pixels[i * maps.channels + c]!);
    row.append(canvas);
  }
  return row;
}

function showPrediction(reply: Extract<Reply, { type: 'prediction' }>): void {
  $('top').replaceChildren(
    ...reply.top.map(({ digit, probability }) => {
      const item = document.createElement('li');
      item.dataset.digit = String(digit);
      item.innerHTML = `<b>${digit}</b><span class="bar" style="width:${(probability * 100).toFixed(1)}%"></span>`;
      item.append(`${(probability * 100).toFixed(1)} %`);
      return item;
    }),
  );
  $('maps').replaceChildren(
    ...reply.maps.map((maps) => mapRow(maps, `${maps.name}: ${maps.channels} maps of ${maps.height}x${maps.width}`)),
  );
  if (reply.filters) {
    const f = reply.filters;
    $('filters').replaceChildren(mapRow(f, `${f.name}: ${f.channels} filters of ${f.height}x${f.width} (first input channel)`));
  }
  if (reply.maps.length === 0) $('maps').textContent = 'this model has no Conv2D layers to show (or is not a Sequential model)';
}

// ---- models -----------------------------------------------------------------------------------

$('model-file').addEventListener('change', async () => {
  const input = $('model-file') as HTMLInputElement;
  const files = await Promise.all(
    Array.from(input.files ?? [], async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })),
  );
  if (files.length > 0)
    ask(
      { type: 'load-files', files },
      files.map((f) => f.bytes.buffer),
    );
});

worker.onmessage = (event: MessageEvent<Reply>) => {
  const reply = event.data;
  switch (reply.type) {
    case 'data':
      field('limit').max = String(reply.train);
      field('limit').value = String(Math.min(reply.train, Math.floor(param('limit', reply.train))));
      ($('train') as HTMLButtonElement).disabled = false;
      $('digits').textContent = `${reply.train} training and ${reply.test} test digits`;
      document.body.dataset.data = 'ready';
      if (!document.body.dataset.model) status('ready: train a model, or load one');
      return;
    case 'backend':
      $('backend').textContent =
        `backend ${reply.name}, ${reply.threads} thread${reply.threads === 1 ? '' : 's'}${reply.why ? `: ${reply.why}` : ''}`;
      document.body.dataset.backend = reply.name;
      return;
    case 'progress':
      pendingChart = { history: reply.history, pointsPerEpoch: reply.pointsPerEpoch };
      void drawChart().catch((e: unknown) => problem(`chart: ${e}`));
      status(`epoch ${reply.epoch}/${reply.epochs}, batch ${reply.step}/${reply.steps}, loss ${reply.history.loss!.at(-1)!.toFixed(3)}`);
      // A digit on the pad is predicted again, so its maps change as the network learns.
      predict();
      return;
    case 'trained': {
      ($('train') as HTMLButtonElement).disabled = false;
      ($('stop') as HTMLButtonElement).disabled = true;
      const accuracy = reply.logs.val_accuracy;
      const scored = accuracy === undefined || Number.isNaN(accuracy) ? '' : `, validation accuracy ${accuracy.toFixed(3)}`;
      const where = reply.stopped ? ` at epoch ${reply.stopped.epoch}, batch ${reply.stopped.step}/${reply.stopped.steps}` : '';
      status(`${reply.stopped ? 'stopped' : 'trained'} in ${reply.seconds.toFixed(1)} s${where}${scored}`);
      document.body.dataset.trained = 'true';
      predict();
      return;
    }
    case 'model':
      haveModel = true;
      $('model-source').textContent = reply.source;
      $('summary').textContent = reply.summary;
      // What was shown came from the previous model.
      for (const id of ['filters', 'maps', 'top']) $(id).replaceChildren();
      document.body.dataset.model = reply.source;
      if (!reply.source.startsWith('trained')) status(`loaded ${reply.source}: draw a digit`);
      predict();
      return;
    case 'prediction':
      showPrediction(reply);
      return;
    case 'error':
      problem(`${reply.where}: ${reply.message}`);
      status(`${reply.where} failed: ${reply.message}`);
      if (reply.where === 'train') ($('train') as HTMLButtonElement).disabled = false;
  }
};

// A model served beside the page (neurona playground --model) is loaded at once.
const served = document.body.dataset.servedModel;
if (served) ask({ type: 'load', url: new URL(served, location.href).href });
