/** The thread of an ImagePool (image-pool.ts): reads, decodes and resizes the files it is sent. */
import { parentPort } from 'node:worker_threads';
import { type ImageJob, type WorkerReply, readImageFile } from './image-pool.js';

parentPort?.on('message', async ({ id, job }: { id: number; job: ImageJob }) => {
  let reply: WorkerReply;
  try {
    reply = { id, image: await readImageFile(job, true) };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    reply = { id, error: { name, message } };
  }
  parentPort!.postMessage(reply, 'image' in reply ? [reply.image.pixels.buffer as ArrayBuffer] : []);
});
