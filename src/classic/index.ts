export { SOM, type SOMOptions } from './som.js';
export { Perceptron, type PerceptronOptions, type Label, type MatrixLike, type LabelsLike } from './perceptron.js';
