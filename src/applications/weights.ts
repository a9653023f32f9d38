/**
 * Pretrained weights for `nr.applications` (docs/pretrained-weights.md): the table of Keras's
 * published ImageNet files and `loadApplicationWeights`, which the model functions call. The table
 * and the lookup stay importable in a browser; finding or downloading a file needs Node's file
 * system, so the Node entry registers that part (./download.ts) here, as src/nn/saving does for
 * `model.save`.
 */
import { configError } from '../core/index.js';
import type { Model } from '../nn/models/index.js';

/** One of Keras's published weight files. */
export interface PublishedWeights {
  /** The file's name, as Keras caches it in `~/.keras/models/`. */
  fileName: string;
  /** Its path under https://storage.googleapis.com/ (a mirror keeps the same paths). */
  path: string;
  /** The hash Keras checks it against (32 hex digits: md5, 64: sha256), or null where Keras publishes none. */
  hash: string | null;
}

/** Where Keras downloads from; NEURONA_WEIGHTS_MIRROR replaces it (tests, mirrors, offline copies). */
export const KERAS_WEIGHTS_ORIGIN = 'https://storage.googleapis.com/';

const APPS = 'tensorflow/keras-applications/';
const KERNELS = '_weights_tf_dim_ordering_tf_kernels';

/** key -> [folder, md5 of the file with the top, md5 without], from Keras's application sources. */
const CLASSIC: Record<string, [string, string, string]> = {
  vgg16: ['vgg16', '64373286793e3c8b2b4e3219cbf3544b', '6d6bbae143d832006294945121d1f1fc'],
  vgg19: ['vgg19', 'cbe5617147190e668d6c5d5026f83318', '253f8cb515780f3b799900260a226db6'],
  resnet50: ['resnet', '2cb95161c43110f7111970584f804107', '4d473c1dd8becc155b73f8504c6f6626'],
  resnet101: ['resnet', 'f1aeb4b969a6efcfb50fad2f0c20cfc5', '88cf7a10940856eca736dc7b7e228a21'],
  resnet152: ['resnet', '100835be76be38e30d865e96f2aaae62', 'ee4c566cf9a93f14d82f913c2dc6dd0c'],
  resnet50v2: ['resnet', '3ef43a0b657b3be2300d5770ece849e0', 'fac2f116257151a9d068a22e544a4917'],
  resnet101v2: ['resnet', '6343647c601c52e1368623803854d971', 'c0ed64b8031c3730f411d2eb4eea35b5'],
  resnet152v2: ['resnet', 'a49b44d1979771252814e80f8ec446f9', 'ed17cf2e0169df9d443503ef94b23b33'],
  inception_v3: ['inception_v3', '9a0d58056eeedaa3f26cb7ebd46da564', 'bcbd6486424b2319ff4ef7d526e38f63'],
  densenet121: ['densenet', '9d60b8095a5708f2dcce2bca79d332c7', '30ee3e1110167f948a6b9946edeeb738'],
  densenet169: ['densenet', 'd699b8f76981ab1b30698df4c175e90b', 'b8c4d4c20dd625c148057b9ff1c1176b'],
  densenet201: ['densenet', '1ceb130c1ea1b78c3bf6114dbdfd8807', 'c13680b51ded0fb44dff2d8f86ac8bb1'],
};

/** EfficientNet's files sit in another bucket, named `efficientnetb0.h5` / `efficientnetb0_notop.h5`. */
const EFFICIENTNET: Record<string, [string, string]> = {
  b0: ['902e53a9f72be733fc0bcb005b3ebbac', '50bc09e76180e00e4465e1a485ddc09d'],
  b1: ['1d254153d4ab51201f1646940f018540', '74c4e6b3e1f6a1eea24c589628592432'],
  b2: ['b15cce36ff4dcbd00b6dd88e7857a6ad', '111f8e2ac8aa800a7a99e3239f7bfb39'],
  b3: ['ffd1fdc53d0ce67064dc6a9c7960ede0', 'af6d107764bb5b1abb91932881670226'],
  b4: ['18c95ad55216b8f92d7e70b3a046e2fc', 'ebc24e6d6c33eaebbd558eafbeedf1ba'],
  b5: ['ace28f2a6363774853a83a0b21b9421a', '38879255a25d3c92d5e44e04ae6cec6f'],
  b6: ['165f6e37dce68623721b423839de8be5', '9ecce42647a20130c1f39a5d4cb75743'],
  b7: ['8c03f828fec3ef71311cd463b6759d99', 'cbcfe4450ddf6f3ad90b1b398090fe4a'],
};

/** MobileNetV2's files exist for these widths and square input sizes; Keras publishes no hash for them. */
const MOBILENET_V2_ALPHAS = ['0.35', '0.5', '0.75', '1.0', '1.3', '1.4'];
const MOBILENET_V2_ROWS = ['96', '128', '160', '192', '224'];

/**
 * Keras's file for `key` with or without the top, or null for an unknown key. Keys are the file
 * stems Keras uses: `vgg16`, `vgg19`, `resnet50`, `resnet101`, `resnet152`, `resnet50v2`,
 * `resnet101v2`, `resnet152v2`, `inception_v3`, `densenet121`, `densenet169`, `densenet201`,
 * `efficientnetb0` ... `efficientnetb7`, and `mobilenet_v2_<alpha>_<rows>` (`mobilenet_v2_1.0_224`).
 */
export function publishedWeights(key: string, includeTop: boolean): PublishedWeights | null {
  const classic = Object.hasOwn(CLASSIC, key) ? CLASSIC[key] : undefined;
  if (classic) {
    const fileName = `${key}${KERNELS}${includeTop ? '' : '_notop'}.h5`;
    return { fileName, path: `${APPS}${classic[0]}/${fileName}`, hash: includeTop ? classic[1] : classic[2] };
  }
  const efficient = /^efficientnet(b\d)$/.exec(key)?.[1];
  if (efficient && Object.hasOwn(EFFICIENTNET, efficient)) {
    const fileName = `${key}${includeTop ? '' : '_notop'}.h5`;
    return { fileName, path: `keras-applications/${fileName}`, hash: EFFICIENTNET[efficient]![includeTop ? 0 : 1] };
  }
  const mobile = /^mobilenet_v2_([\d.]+)_(\d+)$/.exec(key);
  if (mobile && MOBILENET_V2_ALPHAS.includes(mobile[1]!) && MOBILENET_V2_ROWS.includes(mobile[2]!)) {
    const fileName = `mobilenet_v2${KERNELS}_${mobile[1]}_${mobile[2]}${includeTop ? '' : '_no_top'}.h5`;
    return { fileName, path: `${APPS}mobilenet_v2/${fileName}`, hash: null };
  }
  return null;
}

/** Finds or downloads a published file and returns its local path (registered by the Node entry). */
export type WeightsFetcher = (file: PublishedWeights, where: string) => Promise<string>;

let fetcher: WeightsFetcher | null = null;

export function registerWeightsFetcher(f: WeightsFetcher): void {
  fetcher = f;
}

/**
 * Loads an application's weights into `model`: `weights` is 'imagenet' (Keras's published file
 * for `key`, with or without the top, found in the cache or downloaded and checked against Keras's
 * hash) or the path of a weight file (`.h5`, `.weights.h5`, or a neurona `.safetensors`).
 */
export async function loadApplicationWeights(model: Model, key: string, weights: string, includeTop: boolean): Promise<void> {
  const where = `${model.name}: weights ${JSON.stringify(weights)}`;
  if (weights !== 'imagenet') return model.loadWeights(weights);
  const file = publishedWeights(key, includeTop);
  if (!file) {
    throw configError(where, {
      expected: `Keras publishes no ImageNet weights for "${key}"${includeTop ? '' : ' without the top'}`,
      hint: 'pass weights: null, or the path of a weight file',
    });
  }
  if (!fetcher) {
    throw configError(where, {
      expected: 'downloading ImageNet weights needs a file system',
      hint: `in a browser, fetch ${KERAS_WEIGHTS_ORIGIN}${file.path} yourself; in Node, import neurona's Node entry`,
    });
  }
  await model.loadWeights(await fetcher(file, where));
}
