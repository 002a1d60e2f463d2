/**
 * `npm run build:model` — trains the Fashion-MNIST model (when its inputs changed) and writes the
 * quantized asset the Worker bundles. Run with --help for the knobs.
 */
import { SingleBar } from 'cli-progress';
import { buildModel } from './build.ts';
import { DataError } from './data/index.ts';
import { NativeBuildError } from './native/addon.ts';
import type { EpochReport } from './loop.ts';
import { helpText, parseOptions, UsageError } from './options.ts';

const duration = (seconds: number): string =>
  seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
    : `${seconds.toFixed(1)}s`;

/**
 * Per-batch bar on a terminal, and one line per epoch with loss, accuracy and ETA everywhere. A
 * validation split of a handful of images (the CNN's cosine schedule holds out one) says how many,
 * so that its 0% or 100% is not read as the model's accuracy.
 */
function progressObserver(epochs: number, validationSize: number) {
  const heldOut = validationSize < 1000 ? ` of ${validationSize} held out` : '';
  const bar = process.stderr.isTTY
    ? new SingleBar({
        format: 'epoch {epoch} [{bar}] {value}/{total} batches',
        clearOnComplete: true,
      })
    : undefined;
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
          `  val_acc ${(100 * e.validationAccuracy).toFixed(2)}%${heldOut}  ${duration(e.seconds)}  ETA ${duration(eta)}`,
      );
    },
  };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(helpText());
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
    observer: progressObserver(options.config.epochs, options.config.validationSize),
  });
  if (reused || !card) return;
  console.log(
    `Test accuracy: float ${(100 * card.test.floatAccuracy).toFixed(2)}%, int8 ${(100 * card.test.int8Accuracy).toFixed(2)}%` +
      ` | trained in ${duration(card.training.seconds)} on ${card.training.backend} | weights of epoch ${card.training.bestEpoch}`,
  );
  console.log(
    `Wrote ${options.out} (${card.asset.bytes} bytes, sha256 ${card.asset.sha256}) and its model card.`,
  );
}

main().catch((error: unknown) => {
  if (
    error instanceof DataError ||
    error instanceof UsageError ||
    error instanceof NativeBuildError
  ) {
    console.error(`error: ${error.message}`);
    if (error instanceof UsageError) console.error('Run with --help for usage.');
    process.exit(error instanceof UsageError ? 2 : 1);
  }
  // parseArgs reports unknown flags as TypeError with a code; treat them as usage errors.
  if (
    error instanceof TypeError &&
    'code' in error &&
    String(error.code).startsWith('ERR_PARSE_ARGS')
  ) {
    console.error(`error: ${error.message}\nRun with --help for usage.`);
    process.exit(2);
  }
  throw error;
});
