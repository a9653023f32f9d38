/*
 * Deck 004's tour of classic architectures: each nr.applications model is built (random weights, its
 * default input size, with the ImageNet classifier) and its size is printed beside the figure the
 * deck (or Keras's applications table, for the models the deck does not show) gives for it. AlexNet
 * and GoogLeNet follow torchvision (which Keras lacks), so their counts are torchvision's.
 */
import * as nr from '../../index.js';
import { configError, show } from '../../core/index.js';
import { program } from './example.js';

type Builder = (options: nr.applications.ApplicationOptions) => Promise<nr.Model>;

/**
 * Name on the command line -> the model function and its published size in parameters: the deck's
 * figure where the deck gives one, else Keras's applications table.
 */
const MODELS: Record<string, [Builder, string]> = {
  alexnet: [nr.applications.AlexNet, '~60M (deck)'],
  vgg16: [nr.applications.VGG16, '~138M (deck)'],
  vgg19: [nr.applications.VGG19, '143.7M'],
  googlenet: [nr.applications.GoogLeNet, '~4-7M (deck)'],
  inceptionv3: [nr.applications.InceptionV3, '23.9M'],
  resnet50: [nr.applications.ResNet50, '25.6M (deck)'],
  resnet101: [nr.applications.ResNet101, '44.7M'],
  resnet152: [nr.applications.ResNet152, '60.4M'],
  resnet50v2: [nr.applications.ResNet50V2, '25.6M'],
  mobilenetv2: [nr.applications.MobileNetV2, '3.5M'],
  densenet121: [nr.applications.DenseNet121, '8.1M'],
  efficientnetb0: [nr.applications.EfficientNetB0, '5.3M'],
  efficientnetb1: [nr.applications.EfficientNetB1, '7.9M'],
  efficientnetb2: [nr.applications.EfficientNetB2, '9.2M'],
  efficientnetb3: [nr.applications.EfficientNetB3, '12.3M'],
  efficientnetb4: [nr.applications.EfficientNetB4, '19.5M'],
  efficientnetb5: [nr.applications.EfficientNetB5, '30.6M'],
  efficientnetb6: [nr.applications.EfficientNetB6, '43.3M'],
  efficientnetb7: [nr.applications.EfficientNetB7, '66.7M'],
};

const count = (weights: readonly nr.Variable[]) => weights.reduce((n, w) => n + w.size, 0);
const shape = (s: readonly (number | null)[]) => `[${s.slice(1).join(', ')}]`;

export const architectures = program({
  description: "deck 004's architectures: every nr.applications model's layers and parameters beside the deck's figures",
  flags: {
    models: { kind: 'text', default: Object.keys(MODELS).join(','), help: 'the models to build, separated by commas' },
  },
  async run(options, print) {
    const names = options.models.split(',').filter((m) => m !== '');
    const unknown = names.find((m) => !Object.hasOwn(MODELS, m));
    if (unknown !== undefined) {
      throw configError('architectures', {
        expected: `unknown model ${show(unknown)} in --models`,
        hint: `the models are ${Object.keys(MODELS).join(', ')}`,
      });
    }
    const rows: string[] = [];
    for (const name of names) {
      const [build, published] = MODELS[name]!;
      const model = await build({ weights: null });
      const input = (model.layers[0] as nr.layers.InputLayer).batchInputShape!;
      const cells = [model.name, shape(input), shape(model.computeOutputShape(input) as (number | null)[]), String(model.layers.length)];
      const params = [model.countParams(), count(model.trainableWeights), count(model.nonTrainableWeights)];
      const row = `| ${[...cells, ...params.map((n) => n.toLocaleString('en-US')), published].join(' | ')} |`;
      print(row);
      rows.push(row);
    }
    print('\n| model | input | output | layers | total params | trainable | non-trainable | published |');
    print('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) print(row);
  },
});
