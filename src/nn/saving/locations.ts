/**
 * Where a model goes that is not a directory: `indexeddb://name` and `downloads://name` (browsers),
 * `http://` and `https://` URLs (loading, in browsers and on Node 20, whose fetch is the same). No
 * `node:` import: the browser entry and the Node entry share this file.
 */
import { configError, formatError, show } from '../../core/index.js';
import type { Model } from '../models/model.js';
import { SAVE_ID_KEY, decodeSafetensors, parseModelJson } from './format.js';
import type { SaveOptions } from './hooks.js';
import {
  MAX_MODEL_JSON_BYTES,
  MODEL_JSON,
  MODEL_WEIGHTS,
  decodeModel,
  decodeModelFiles,
  encodeModel,
  modelFromBytes,
  modelJsonText,
  modelToBytes,
  type LoadModelOptions,
} from './model-bytes.js';

/** The lower-cased scheme of `scheme://...`, or null for a plain path. */
export function schemeOf(path: string): string | null {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(path)?.[1]?.toLowerCase() ?? null;
}

export function unknownScheme(where: string, path: string, known: string): Error {
  return configError(where, { expected: `unknown scheme in ${show(path)}`, hint: `the schemes here are ${known}` });
}

// ---------------------------------------------------------------------------------------------
// IndexedDB. The lib here has no DOM types: the few members used are declared below.

interface Request<T> {
  result: T;
  error: unknown;
  onsuccess: (() => void) | null;
  onerror: (() => void) | null;
}
interface Store {
  put(value: unknown, key: string): Request<unknown>;
  get(key: string): Request<unknown>;
  getAllKeys(): Request<string[]>;
  delete(key: string): Request<undefined>;
}
interface Transaction {
  objectStore(name: string): Store;
  oncomplete: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  error: unknown;
}
interface Database {
  transaction(store: string, mode: 'readonly' | 'readwrite'): Transaction;
  createObjectStore(name: string): Store;
  close(): void;
}

const DB_NAME = 'neurona';
const STORE = 'models';

/** A model as stored: both files in one record, so that one put (one transaction) replaces both. */
interface StoredModel {
  modelJson: string;
  weights: Uint8Array;
}

function openDatabase(where: string): Promise<Database> {
  const factory = (globalThis as { indexedDB?: { open(name: string, version: number): Request<Database> & { onupgradeneeded: unknown } } })
    .indexedDB;
  if (!factory) {
    throw configError(where, {
      expected: 'indexeddb:// needs IndexedDB, which this runtime lacks',
      hint: 'IndexedDB is a browser API: on Node save to a directory, or keep the bytes of model.toBytes()',
    });
  }
  return new Promise((resolve, reject) => {
    const request = factory.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(configError(where, { expected: `cannot open IndexedDB "${DB_NAME}"`, rule: String(request.error) }));
  });
}

/** Runs one transaction on the models store; resolves with `use`'s request result once the transaction commits. */
async function inStore<T>(where: string, mode: 'readonly' | 'readwrite', use: (store: Store) => Request<T>): Promise<T> {
  const db = await openDatabase(where);
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = use(tx.objectStore(STORE));
      const fail = () =>
        reject(configError(where, { expected: 'the IndexedDB transaction failed', rule: String(tx.error ?? request.error) }));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = fail;
      tx.onabort = fail;
    });
  } finally {
    db.close();
  }
}

/** The key of `indexeddb://name` (ConfigError when the name is empty). */
function storeKey(where: string, path: string): string {
  const name = path.slice('indexeddb://'.length);
  if (name.length === 0)
    throw configError(where, { expected: 'indexeddb:// needs a model name, as in indexeddb://my-model', got: show(path) });
  return name;
}

async function saveToIndexedDb(model: Model, path: string, options: SaveOptions): Promise<void> {
  const key = storeKey('model.save', path);
  const { text, weights } = encodeModel(model, options);
  const record: StoredModel = { modelJson: text, weights };
  // One put in one readwrite transaction: a failed or aborted save leaves the previous model whole.
  await inStore('model.save', 'readwrite', (store) => store.put(record, key));
}

async function loadFromIndexedDb(path: string, options: LoadModelOptions): Promise<Model> {
  const key = storeKey('loadModel', path);
  const record = (await inStore('loadModel', 'readonly', (store) => store.get(key))) as Partial<StoredModel> | undefined;
  if (record === undefined) {
    const names = await listModels();
    throw formatError('loadModel', {
      expected: `no model is saved at ${path}`,
      hint: names.length ? `saved models: ${names.map((n) => `indexeddb://${n}`).join(', ')}` : 'nothing is saved in IndexedDB yet',
    });
  }
  if (typeof record?.modelJson !== 'string' || !(record.weights instanceof Uint8Array)) {
    throw formatError('loadModel', { expected: `${path} does not hold a neurona model record` });
  }
  const json = parseModelJson(record.modelJson);
  const { tensors } = decodeSafetensors(record.weights, `${path}/${MODEL_WEIGHTS}`);
  return decodeModel(json, tensors, `${path}/${MODEL_JSON}`, `${path}/${MODEL_WEIGHTS}`, options);
}

/** The names of the models saved in IndexedDB (`model.save('indexeddb://name')`), sorted. */
export async function listModels(): Promise<string[]> {
  return [...(await inStore('listModels', 'readonly', (store) => store.getAllKeys()))].map(String).sort();
}

/** Deletes the model saved at `indexeddb://name` (nothing happens when there is none). */
export async function removeModel(path: string): Promise<void> {
  if (typeof path !== 'string' || schemeOf(path) !== 'indexeddb') {
    throw configError('removeModel', { expected: 'expected an indexeddb://name path', got: show(path) });
  }
  const key = storeKey('removeModel', path);
  await inStore('removeModel', 'readwrite', (store) => store.delete(key));
}

// ---------------------------------------------------------------------------------------------
// Downloads: one `<name>.neurona` file (the zip of model.toBytes()) rather than model.json and the
// weights as two downloads, which browsers ask the user to allow and may save apart.

interface Anchor {
  href: string;
  download: string;
  click(): void;
}

function saveToDownloads(model: Model, path: string, options: SaveOptions): void {
  const doc = (globalThis as { document?: { createElement(tag: 'a'): Anchor } }).document;
  if (!doc) {
    throw configError('model.save', {
      expected: 'downloads:// needs a browser page',
      hint: 'on Node save to a directory, or write the bytes of model.toBytes() to a file',
    });
  }
  const name = path.slice('downloads://'.length) || 'model';
  const bytes = modelToBytes(model, options);
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/zip' }));
  const anchor = doc.createElement('a');
  anchor.href = url;
  anchor.download = name.endsWith('.neurona') ? name : `${name}.neurona`;
  anchor.click();
  // The download has started from the click; the URL may go once the click's task is done.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// ---------------------------------------------------------------------------------------------
// http(s): model.json and model.safetensors fetched relative to the URL of a model directory (or of
// its model.json), or one .neurona file.

/** The largest weights file fetched (the most one ArrayBuffer holds in browsers). */
const MAX_FETCHED_WEIGHTS = 2 ** 32;

async function fetchBounded(url: string, max: number): Promise<Uint8Array> {
  let response: Awaited<ReturnType<typeof fetch>>;
  try {
    response = await fetch(url);
  } catch (e) {
    throw formatError('loadModel', { expected: `cannot fetch ${url}`, rule: e instanceof Error ? e.message : String(e) });
  }
  if (!response.ok) throw formatError('loadModel', { expected: `GET ${url} answered ${response.status} ${response.statusText}` });
  const tooLong = (n: number) => formatError('loadModel', { expected: `${url} is ${n} bytes or more, more than the ${max} allowed` });
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > max) {
    await response.body?.cancel();
    throw tooLong(declared);
  }
  // Read in chunks, so that a server that sends more than it declared (or declares nothing) stops at max.
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = response.body?.getReader();
  for (let part = await reader?.read(); part && !part.done; part = await reader!.read()) {
    length += part.value.length;
    if (length > max) {
      await reader!.cancel();
      throw tooLong(length);
    }
    chunks.push(part.value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

async function loadFromUrl(url: string, options: LoadModelOptions): Promise<Model> {
  const base = new URL(url);
  if (base.pathname.endsWith('.neurona')) return modelFromBytes(await fetchBounded(url, MAX_FETCHED_WEIGHTS), options, url);
  if (base.pathname.endsWith(`/${MODEL_JSON}`)) base.pathname = base.pathname.slice(0, -MODEL_JSON.length);
  else if (!base.pathname.endsWith('/')) base.pathname += '/';
  const jsonUrl = new URL(MODEL_JSON, base).href;
  const weightsUrl = new URL(MODEL_WEIGHTS, base).href;
  // As with a directory, a save in between shows as two save ids: fetch again (see saving/index.ts).
  for (let attempt = 1; ; attempt++) {
    const jsonBytes = await fetchBounded(jsonUrl, MAX_MODEL_JSON_BYTES);
    const weights = await fetchBounded(weightsUrl, MAX_FETCHED_WEIGHTS);
    const saveId = parseModelJson(modelJsonText(jsonBytes, jsonUrl)).saveId;
    const id = decodeSafetensors(weights, weightsUrl).metadata[SAVE_ID_KEY];
    if (saveId === undefined || id === undefined || id === saveId)
      return decodeModelFiles(jsonBytes, weights, jsonUrl, weightsUrl, options);
    if (attempt === 3) {
      throw formatError('loadModel', {
        expected: `${weightsUrl} was written by another save than ${jsonUrl}`,
        rule: `save ids ${JSON.stringify(id)} and ${JSON.stringify(saveId)}`,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** model.save to a scheme's location; false when `path` has no scheme (a directory, on Node). */
export async function saveToLocation(model: Model, path: string, options: SaveOptions): Promise<boolean> {
  const scheme = schemeOf(path);
  if (scheme === null) return false;
  if (scheme === 'indexeddb') await saveToIndexedDb(model, path, options);
  else if (scheme === 'downloads') saveToDownloads(model, path, options);
  else if (scheme === 'http' || scheme === 'https') {
    throw configError('model.save', {
      expected: `cannot save to ${path}: http(s) URLs are for loading`,
      hint: 'send the bytes of model.toBytes() in a request body of your own',
    });
  } else throw unknownScheme('model.save', path, 'indexeddb:// and downloads:// (and a directory path on Node)');
  return true;
}

/** nr.loadModel from bytes or a scheme's location; null when `source` is a plain path. */
export async function loadFromLocation(source: unknown, options: LoadModelOptions): Promise<Model | null> {
  if (source instanceof Uint8Array) return modelFromBytes(source, options);
  if (typeof source !== 'string' || source.length === 0) {
    throw configError('loadModel', { expected: 'expected a directory path, a URL or the bytes of model.toBytes()', got: show(source) });
  }
  const scheme = schemeOf(source);
  if (scheme === null) return null;
  if (scheme === 'indexeddb') return loadFromIndexedDb(source, options);
  if (scheme === 'http' || scheme === 'https') return loadFromUrl(source, options);
  throw unknownScheme('loadModel', source, 'indexeddb://, http:// and https:// (and a directory path on Node)');
}
