/**
 * The model card: what was trained, on what, how, and how well — as JSON next to the asset (for
 * tools and the build cache) and as readable Markdown.
 */
import type { Evaluation } from './evaluate.ts';
import type { EpochReport, TrainingConfig } from './loop.ts';

/** Everything the card records. */
export interface ModelCard {
  name: string;
  version: string;
  architecture: string;
  parameters: number;
  buildKey: string;
  asset: {
    file: string;
    bytes: number;
    sha256: string;
    float32Bytes: number;
    quantization: string;
  };
  data: {
    source: string;
    trainImages: number;
    validationImages: number;
    testImages: number;
    sha256: Record<string, string>;
  };
  /** seconds: wall-clock training time; cpuSeconds: its CPU time over all threads. */
  training: TrainingConfig & {
    backend: string;
    seconds: number;
    cpuSeconds: number;
    bestEpoch: number;
    history: EpochReport[];
  };
  test: { floatAccuracy: number; int8Accuracy: number; int8: Evaluation };
}

const percent = (x: number, digits = 2): string => `${(100 * x).toFixed(digits)}%`;

const schedule = (training: TrainingConfig): string =>
  training.schedule === 'cosine'
    ? 'falling to 0 on a cosine schedule'
    : `decayed x${training.learningRateDecay} per epoch`;

/** Renders the card as Markdown. */
export function renderModelCard(card: ModelCard): string {
  const { training, test, asset, data } = card;
  const delta = (test.int8Accuracy - test.floatAccuracy) * 100;
  const lines = [
    `# Model card: ${card.name} v${card.version}`,
    '',
    `Fashion-MNIST clothing classifier, ${card.architecture}, ${card.parameters.toLocaleString('en-US')} parameters.`,
    '',
    '## Results on the 10,000 test images',
    '',
    '| weights | test accuracy |',
    '| --- | --- |',
    `| float32 | ${percent(test.floatAccuracy)} |`,
    `| int8 (served) | ${percent(test.int8Accuracy)} (${delta >= 0 ? '+' : ''}${delta.toFixed(2)} pp) |`,
    '',
    '### Per class (int8)',
    '',
    '| class | precision | recall |',
    '| --- | --- | --- |',
    ...test.int8.perClass.map(
      (c) => `| ${c.label} | ${percent(c.precision, 1)} | ${percent(c.recall, 1)} |`,
    ),
    '',
    '### Confusion matrix (int8; rows: true class, columns: predicted)',
    '',
    `| | ${test.int8.perClass.map((_, i) => i).join(' | ')} |`,
    `| --- |${' --- |'.repeat(test.int8.perClass.length)}`,
    ...test.int8.confusion.map(
      (row, i) => `| ${i} ${test.int8.perClass[i]!.label} | ${row.join(' | ')} |`,
    ),
    '',
    '## Asset',
    '',
    `- File: \`${asset.file}\`, ${asset.bytes.toLocaleString('en-US')} bytes (float32 weights would be ${asset.float32Bytes.toLocaleString('en-US')} bytes)`,
    `- Quantization: ${asset.quantization}`,
    `- SHA-256: \`${asset.sha256}\``,
    '',
    '## Training',
    '',
    `- Data: ${data.trainImages.toLocaleString('en-US')} training images, ${data.validationImages.toLocaleString('en-US')} of the official training set held out for validation (model selection); ${data.testImages.toLocaleString('en-US')} test images used only for this evaluation. Source: \`${data.source}\`.`,
    `- Optimiser: Adam, learning rate ${training.learningRate} ${schedule(training)}, batch ${training.batchSize}, ${training.epochs} epochs, seed ${training.seed}.`,
    ...(training.augmentation
      ? [
          `- Augmentation: random shifts of up to ${training.augmentation.maxShift} px along each axis${training.augmentation.flip ? ', left-right flips' : ''}.`,
        ]
      : []),
    `- Backend: tfjs \`${training.backend}\`; ${training.seconds.toFixed(1)} s in all (${training.cpuSeconds.toFixed(1)} s of CPU time); kept the weights of epoch ${training.bestEpoch} (${training.schedule === 'cosine' ? 'the last of the cosine schedule' : 'best validation accuracy'}).`,
    '',
    '| epoch | loss | train acc | val acc | lr | seconds |',
    '| --- | --- | --- | --- | --- | --- |',
    ...training.history.map(
      (e) =>
        `| ${e.epoch} | ${e.loss.toFixed(4)} | ${percent(e.accuracy)} | ${percent(e.validationAccuracy)} | ${e.learningRate.toPrecision(3)} | ${e.seconds.toFixed(1)} |`,
    ),
    '',
    '## Data digests (SHA-256 of the decompressed IDX files)',
    '',
    ...Object.entries(data.sha256).map(([file, digest]) => `- \`${file}\`: \`${digest}\``),
    '',
    `Build key: \`${card.buildKey}\``,
    '',
  ];
  return lines.join('\n');
}
