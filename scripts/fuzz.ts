// `npm run fuzz [-- cases seed [modelCases [hdf5Cases [imageCases [citationCases [onnxCases [bytesCases [tfjsCases
// [kerasCases]]]]]]]]]]`: the long fuzz runs,
// one phase per file-format reader. Phase 1: the safetensors reader (CI runs 20,000 cases of the same harness);
// phase 2: nr.loadModel on mutant model directories (CI 6,000); phase 3: HDF5 / Keras weight files
// through openHdf5 and the loadWeights mapping (CI 500); phase 4: decodeImage on PNG and JPEG files
// (CI 3,000); phase 5: the Cora-style citation parser on mutated text (CI 3,000; `citationCases`, the
// seventh argument); phase 6: fromOnnx on ONNX files (CI 500; `onnxCases`, the eighth); phase 7: nr.loadModel(bytes)
// on damaged model.toBytes() containers (CI 1,500; `bytesCases`, the ninth); phases 8 and 9: the TF.js layers reader
// and the .keras reader (CI 500 and 150; the tenth and eleventh). Defaults: 100,000 + 20,000 + 20,000 + 100,000 +
// 100,000 + 100,000 + 100,000 + 100,000 + 100,000 cases, a long run (the .keras phase alone about 15 minutes).
import { runCitationFuzz } from '../test/data/citation.fuzz.js';
import { runHdf5Fuzz } from '../test/io/hdf5.fuzz.js';
import { runImageFuzz } from '../test/io/image.fuzz.js';
import { runSafetensorsFuzz } from '../test/io/safetensors.fuzz.js';
import { runSavingFuzz } from '../test/nn/models/saving-fuzz.js';
import { runOnnxFuzz } from '../test/interop/onnx.fuzz.js';
import { runModelBytesFuzz } from '../test/nn/models/model-bytes.fuzz.js';
import { runKerasFuzz, runTfjsFuzz } from '../test/interop/keras.fuzz.js';

const cases = Number(process.argv[2] ?? 100_000);
const seed = Number(process.argv[3] ?? 1);
const modelCases = Number(process.argv[4] ?? 20_000);
const hdf5Cases = Number(process.argv[5] ?? 20_000);
const imageCases = Number(process.argv[6] ?? 100_000);
const onnxCases = Number(process.argv[8] ?? 100_000);
const report = runSafetensorsFuzz(cases, seed);
console.log(
  `safetensors fuzz: ${report.cases} cases (seed ${seed}) in ${report.seconds.toFixed(1)} s: ` +
    `${report.accepted} accepted, ${report.rejected} rejected with FormatError, ${report.crashes} crashes, ${report.hangs} hangs`,
);
for (const example of report.examples) console.log(`  ${example}`);
const models = await runSavingFuzz(modelCases, seed);
console.log(
  `model-directory fuzz: ${models.cases} cases (seed ${seed}) in ${models.seconds.toFixed(1)} s: ` +
    `${models.accepted} loaded and predicted, ${models.rejected} rejected with FormatError, ${models.crashes} crashes ` +
    `(${models.nonNeuronaErrors} non-NeuronaError exceptions, ${models.wrongErrorClass} NeuronaErrors other than FormatError), ` +
    `${models.hangs} hangs, ${models.escapes} file-system escapes, ${models.pollutions} prototype pollutions; ` +
    `${models.typeSwaps} cases with type swaps, ${models.hostileNames} with hostile names`,
);
for (const example of models.examples) console.log(`  ${example}`);
const bytePhases = [
  ['HDF5 / Keras weight-file fuzz', runHdf5Fuzz(hdf5Cases, seed)],
  ['image (PNG, JPEG) fuzz', runImageFuzz(imageCases, seed)],
  ['ONNX fuzz', runOnnxFuzz(onnxCases, seed)],
  ['model container (loadModel(bytes)) fuzz', runModelBytesFuzz(Number(process.argv[9] ?? 100_000), seed)],
  ['TF.js layers fuzz', runTfjsFuzz(Number(process.argv[10] ?? 100_000), seed)],
  ['.keras fuzz', runKerasFuzz(Number(process.argv[11] ?? 100_000), seed)],
] as const;
for (const [what, r] of bytePhases) {
  console.log(
    `${what}: ${r.cases} cases (seed ${seed}) in ${r.seconds.toFixed(1)} s: ` +
      `${r.accepted} accepted, ${r.rejected} rejected with FormatError, ${r.crashes} crashes, ${r.hangs} hangs`,
  );
  for (const example of r.examples) console.log(`  ${example}`);
}
const citations = runCitationFuzz(Number(process.argv[7] ?? 100_000), seed);
console.log(
  `citation-graph fuzz: ${citations.cases} cases (seed ${seed}) in ${citations.seconds.toFixed(1)} s: ` +
    `${citations.loaded} loaded, ${citations.rejected} rejected with FormatError, ${citations.crashes} crashes`,
);
for (const example of citations.examples) console.log(`  ${example}`);
const ok =
  report.crashes === 0 &&
  report.hangs === 0 &&
  models.crashes === 0 &&
  models.nonNeuronaErrors === 0 &&
  models.wrongErrorClass === 0 &&
  models.hangs === 0 &&
  models.escapes === 0 &&
  models.pollutions === 0 &&
  bytePhases.every(([, r]) => r.crashes === 0 && r.hangs === 0) &&
  citations.crashes === 0;
process.exit(ok ? 0 : 1);
