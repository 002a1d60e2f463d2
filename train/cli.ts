/**
 * `npm run build:model` — trains the Fashion-MNIST model (when its inputs changed) and writes the
 * quantized asset the Worker bundles. Run with --help for the knobs.
 */
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { TRAINING_BACKENDS, type TrainingBackend } from './backend.ts';
import { buildModel } from './build.ts';
import { DataError } from './data/index.ts';
import { NativeBuildError } from './native/addon.ts';
import type { EpochReport, TrainingConfig } from './loop.ts';
import { ARCH_NAMES, PRESETS, type ArchName } from './presets.ts';

const HELP = `Usage: npm run build:model -- [options]

Trains Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax) (or, with --arch cnn, a small
convnet) on Fashion-MNIST, evaluates it on the 10,000 test images, quantizes it to int8 and writes
the asset plus a model card (.json, .md), and lists the assets of its directory in bundled.js for
the Worker.
Skips training when the asset is current (same data, config and training code) unless --force.

Options:
  --arch NAME           mlp (default: the seed model, served by default) or cnn (the small
                        convnet: asset fashion-mnist-cnn, models/fashion-mnist-cnn.bin, and its own
                        defaults: 14 epochs, batch 128, learning rate 0.002 on a cosine schedule,
                        random shifts of up to 1 px, label smoothing 0.1; needs g++ and OpenBLAS)
  --epochs N            training epochs (default 20)
  --batch-size N        mini-batch size (default 64)
  --learning-rate X     initial Adam learning rate (default 0.001)
  --lr-decay X          learning-rate multiplier per epoch (default 0.9)
  --validation-size N   training images held out for model selection (default 5000)
  --seed N              seed for initialisation, split and shuffling (default 42)
  --backend NAME        tfjs backend: wasm (default, fastest here) or cpu
  --out PATH            asset path (default models/fashion-mnist-mlp.bin)
  --data DIR            directory with the four Fashion-MNIST IDX files (.gz or plain);
                        default: $FASHION_MNIST_DIR, ./data/fashion-mnist,
                        /usr/share/datasets/fashion-mnist, else download into ./data
  --force               retrain even if the asset is up to date
  -h, --help            show this help
`;

/** A usage error: printed with the help hint, exit code 2. */
class UsageError extends Error {}

function positive(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`);
  }
  return value;
}

function parseOptions(argv: string[]) {
  const { values, tokens } = parseArgs({
    args: argv,
    strict: true,
    tokens: true,
    options: {
      arch: { type: 'string', default: 'mlp' },
      epochs: { type: 'string', default: '20' },
      'batch-size': { type: 'string', default: '64' },
      'learning-rate': { type: 'string', default: '0.001' },
      'lr-decay': { type: 'string', default: '0.9' },
      'validation-size': { type: 'string', default: '5000' },
      seed: { type: 'string', default: '42' },
      backend: { type: 'string', default: 'wasm' },
      out: { type: 'string', default: 'models/fashion-mnist-mlp.bin' },
      data: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (!TRAINING_BACKENDS.includes(values.backend as TrainingBackend)) {
    throw new UsageError(`--backend must be one of ${TRAINING_BACKENDS.join(', ')}, got "${values.backend}"`);
  }
  if (!ARCH_NAMES.includes(values.arch as ArchName)) {
    throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(', ')}, got "${values.arch}"`);
  }
  const preset = PRESETS[values.arch as ArchName];
  // Flags given on the command line win over the preset's settings, which win over the defaults.
  const given = new Set<string>(tokens.flatMap((token) => (token.kind === 'option' ? [token.name] : [])));
  const preferGiven = <T>(flag: string, parsed: T, fallback: T | undefined): T => (given.has(flag) || fallback === undefined ? parsed : fallback);
  const config: TrainingConfig = {
    ...preset.training,
    epochs: preferGiven('epochs', positive('epochs', values.epochs, true), preset.training.epochs),
    batchSize: preferGiven('batch-size', positive('batch-size', values['batch-size'], true), preset.training.batchSize),
    learningRate: preferGiven('learning-rate', positive('learning-rate', values['learning-rate'], false), preset.training.learningRate),
    learningRateDecay: positive('lr-decay', values['lr-decay'], false),
    validationSize: positive('validation-size', values['validation-size'], true),
    seed: positive('seed', values.seed, true),
  };
  const out = preferGiven('out', values.out, preset.out);
  return { ...values, out, preset, config, backend: values.backend as TrainingBackend };
}

const duration = (seconds: number): string =>
  seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${seconds.toFixed(1)}s`;

/** Per-batch bar on a terminal, and one line per epoch with loss, accuracy and ETA everywhere. */
function progressObserver(epochs: number) {
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} batches', clearOnComplete: true }) : undefined;
  let elapsed = 0;
  return {
    onBatch(epoch: number, batch: number, batches: number) {
      if (!bar) return;
      if (batch === 1) bar.start(batches, 0, { epoch });
      bar.update(batch, { epoch });
      if (batch === batches) bar.stop();
    },
    onEpoch(e: EpochReport) {
      elapsed += e.seconds;
      const eta = (elapsed / e.epoch) * (epochs - e.epoch);
      console.log(
        `epoch ${String(e.epoch).padStart(String(epochs).length)}/${epochs}  loss ${e.loss.toFixed(4)}  acc ${(100 * e.accuracy).toFixed(2)}%` +
          `  val_acc ${(100 * e.validationAccuracy).toFixed(2)}%  ${duration(e.seconds)}  ETA ${duration(eta)}`,
      );
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(HELP);
    return;
  }
  const { card, reused } = await buildModel({
    name: options.preset.name,
    version: '1',
    architecture: options.preset.architecture,
    config: options.config,
    backend: options.backend,
    outPath: options.out,
    dataDir: options.data,
    force: options.force,
    log: (line) => console.log(line),
    observer: progressObserver(options.config.epochs),
  });
  if (reused || !card) return;
  console.log(
    `Test accuracy: float ${(100 * card.test.floatAccuracy).toFixed(2)}%, int8 ${(100 * card.test.int8Accuracy).toFixed(2)}%` +
      ` | trained in ${duration(card.training.seconds)} on ${card.training.backend} | weights of epoch ${card.training.bestEpoch}`,
  );
  console.log(`Wrote ${options.out} (${card.asset.bytes} bytes, sha256 ${card.asset.sha256}) and its model card.`);
}

main().catch((error: unknown) => {
  if (error instanceof DataError || error instanceof UsageError || error instanceof NativeBuildError) {
    console.error(`error: ${error.message}`);
    if (error instanceof UsageError) console.error('Run with --help for usage.');
    process.exit(error instanceof UsageError ? 2 : 1);
  }
  // parseArgs reports unknown flags as TypeError with a code; treat them as usage errors.
  if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${error.message}\nRun with --help for usage.`);
    process.exit(2);
  }
  throw error;
});
