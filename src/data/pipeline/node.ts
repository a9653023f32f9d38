/** `nr.data` in Node: the pipeline (index.ts, shared with the browser entry) and the loaders that read folders. */
export * from './index.js';
export { imageDatasetFromDirectory, IMAGE_EXTENSIONS, type ImageFolderOptions, type ImageFolderDataset } from './image-folder.js';
