/*
 * The code of the worker thread that owns the GPUDevice, kept as plain JavaScript text: in Node it runs
 * in a `worker_threads` Worker started with `eval`, in a browser in a Web Worker made from a Blob URL,
 * so it needs no file of its own next to the build (src/, dist/ and cjs/ would each need one) and no
 * transform of TypeScript. A prelude per environment defines how answers travel (`answer`,
 * `answerAsync`), where batches arrive (`onBatches`) and where the GPU comes from (`loadGpu`). It knows nothing of kernels:
 * the main thread sends WGSL text, buffer ids and uniform bytes, and the worker compiles (once per
 * key), binds and dispatches in the order received. Only `read` and `init` answer, on `port`, then
 * bump the shared word the main thread waits on.
 *
 * Messages (each post is a batch, an array of them):
 *   {t: 'alloc', id, bytes} / {t: 'destroy', id} / {t: 'write', id, data: ArrayBuffer}
 *   {t: 'run', key, code, ids: number[], uniform: ArrayBuffer | null, groups: [x, y, z]}
 *   {t: 'copy', from, fromOffset, to, toOffset, bytes} (bytes in order with the dispatches around it)
 *   {t: 'read', id, bytes}  -> {data: ArrayBuffer} or {error}
 *   {t: 'readAsync', id, bytes, token} -> through answerAsync: {token, data} or {token, error}
 *   {t: 'shared', flag, reply} (browser) the shared words and reply buffer `answer` writes into
 */

/** Node: answers on a MessagePort the main thread drains with receiveMessageOnPort, then a shared word bumped. */
const NODE_PRELUDE = `
const { workerData, parentPort } = require('node:worker_threads');
const { port, flag: flagBuffer } = workerData;
const flag = new Int32Array(flagBuffer);
function answer(message, transfer) {
  port.postMessage(message, transfer || []);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
function answerAsync(message, transfer) { parentPort.postMessage(message, transfer || []); }
function onBatches(handler) { parentPort.on('message', handler); }
async function loadGpu(mod) {
  const m = await import(mod);
  if (m.globals) Object.assign(globalThis, m.globals);
  return m.create([]);
}
`;

/**
 * Browser: a Web Worker has no receiveMessageOnPort, so an answer is written into a SharedArrayBuffer
 * (kind 1 bytes, kind 2 JSON, after a kind and a length word) before the shared word is bumped.
 */
const BROWSER_PRELUDE = `
let flag = null;
let reply = null;
function answer(message) {
  let kind = 1;
  let bytes = message.data instanceof ArrayBuffer ? new Uint8Array(message.data) : null;
  if (!bytes) { kind = 2; bytes = new TextEncoder().encode(JSON.stringify(message)); }
  const room = reply.byteLength - 8;
  if (bytes.length > room) {
    kind = 2;
    bytes = new TextEncoder().encode(JSON.stringify({ error: 'an answer of ' + bytes.length + ' bytes did not fit the reply buffer' }));
  }
  const head = new Int32Array(reply, 0, 2);
  head[0] = kind;
  head[1] = bytes.length;
  new Uint8Array(reply, 8, bytes.length).set(bytes);
  Atomics.add(flag, 0, 1);
  Atomics.notify(flag, 0);
}
function answerAsync(message, transfer) { self.postMessage(message, transfer || []); }
function onBatches(handler) { self.onmessage = (e) => handler(e.data); }
async function loadGpu() {
  if (!navigator.gpu) throw new Error('navigator.gpu is missing (WebGPU needs a secure context and a browser that has it)');
  return navigator.gpu;
}
`;

const BODY = `
const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8, MAP_READ = 0x1, UNIFORM = 0x40;
let gpu = null;
let adapter = null;
let device = null;
let failure = null;
const buffers = new Map();
const pipelines = new Map();
let encoder = null;
let pass = null;
let transient = [];
let closing = false;

function submit() {
  if (pass) pass.end();
  if (encoder) device.queue.submit([encoder.finish()]);
  for (const b of transient) b.destroy();
  encoder = null;
  pass = null;
  transient = [];
}

function pipelineOf(key, code) {
  let entry = pipelines.get(key);
  if (!entry) {
    const module = device.createShaderModule({ code });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    entry = { pipeline, layout: pipeline.getBindGroupLayout(0) };
    pipelines.set(key, entry);
  }
  return entry;
}

function run(c) {
  const { pipeline, layout } = pipelineOf(c.key, c.code);
  const entries = c.ids.map((id, binding) => ({ binding, resource: { buffer: buffers.get(id) } }));
  if (c.uniform) {
    const size = Math.max(16, Math.ceil(c.uniform.byteLength / 16) * 16);
    const u = device.createBuffer({ size, usage: UNIFORM | COPY_DST, mappedAtCreation: true });
    new Uint8Array(u.getMappedRange()).set(new Uint8Array(c.uniform));
    u.unmap();
    transient.push(u);
    entries.push({ binding: c.ids.length, resource: { buffer: u } });
  }
  const group = device.createBindGroup({ layout, entries });
  if (!encoder) encoder = device.createCommandEncoder();
  if (!pass) pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(c.groups[0], c.groups[1], c.groups[2]);
}

async function read(c) {
  submit();
  const staging = device.createBuffer({ size: c.bytes, usage: MAP_READ | COPY_DST });
  const copy = device.createCommandEncoder();
  copy.copyBufferToBuffer(buffers.get(c.id), 0, staging, 0, c.bytes);
  device.queue.submit([copy.finish()]);
  await staging.mapAsync(1);
  const data = staging.getMappedRange().slice(0);
  staging.unmap();
  staging.destroy();
  return data;
}

async function init(mod) {
  // Kept for the worker's life: Dawn's instance must outlive the device, and a local would be collected.
  gpu = await loadGpu(mod);
  adapter = await gpu.requestAdapter();
  if (!adapter) return { ok: false, reason: 'no WebGPU adapter' };
  const limits = adapter.limits;
  device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      // The recurrent cells bind up to 9 arrays; WebGPU's default is 8.
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
  device.addEventListener?.('uncapturederror', (e) => { failure = failure || String(e.error && e.error.message || e.error); });
  // Not after close(): reading the lost info of a device Dawn is tearing down aborts the process.
  device.lost?.then((info) => { if (!closing) failure = failure || 'device lost: ' + info.message; });
  const i = adapter.info || {};
  const info = { vendor: i.vendor || '', architecture: i.architecture || '', description: i.description || '', device: i.device || '' };
  return { ok: true, info, maxStorageBuffers: limits.maxStorageBuffersPerShaderStage };
}

let chain = Promise.resolve();
onBatches((batch) => {
  chain = chain.then(async () => {
    for (const c of batch) {
      try {
        if (c.t === 'init') answer(await init(c.mod));
        else if (c.t === 'alloc') buffers.set(c.id, device.createBuffer({ size: c.bytes, usage: STORAGE | COPY_SRC | COPY_DST }));
        else if (c.t === 'destroy') { submit(); buffers.get(c.id)?.destroy(); buffers.delete(c.id); }
        else if (c.t === 'write') { submit(); device.queue.writeBuffer(buffers.get(c.id), 0, c.data); }
        else if (c.t === 'run') run(c);
        else if (c.t === 'copy') {
          if (pass) { pass.end(); pass = null; }
          if (!encoder) encoder = device.createCommandEncoder();
          encoder.copyBufferToBuffer(buffers.get(c.from), c.fromOffset, buffers.get(c.to), c.toOffset, c.bytes);
        }
        else if (c.t === 'close') {
          submit(); await device.queue.onSubmittedWorkDone();
          closing = true; device.destroy(); device = null; answer({});
        }
        else if (c.t === 'shared') { flag = new Int32Array(c.flag); reply = c.reply; }
        else if (c.t === 'readAsync') {
          try { const data = await read(c); answerAsync({ token: c.token, data }, [data]); }
          catch (e) { answerAsync({ token: c.token, error: String(e && e.message || e) }); }
        }
        else if (c.t === 'read') {
          const data = await read(c);
          // An error is reported once, by the read that follows it; the device stays usable.
          if (failure) { answer({ error: failure }); failure = null; }
          else answer({ data }, [data]);
        }
      } catch (e) {
        failure = failure || String(e && e.stack || e);
        if (c.t === 'init') answer({ ok: false, reason: 'cannot load ' + c.mod + ': ' + (e && e.message || e) });
        else if (c.t === 'read') answer({ error: failure });
      }
    }
    submit();
  });
});
`;

export const NODE_WORKER_SOURCE = NODE_PRELUDE + BODY;
export const BROWSER_WORKER_SOURCE = BROWSER_PRELUDE + BODY;
