/**
 * The build command's options. One table gives each option its parser type, its default, its help
 * line and its check, and the help text is written from that table and the presets, so the help
 * cannot disagree with what the parser does. Every value is checked here, against the data's pinned
 * image counts too, before any data is read or any training starts.
 */
import { parseArgs } from 'node:util';
import { TRAINING_BACKENDS, type TrainingBackend } from './backend.ts';
import { DATA_FILES } from './data/files.ts';
import { LOCAL_DATA_DIR, SYSTEM_DATA_DIR } from './data/index.ts';
import type { TrainingConfig } from './loop.ts';
import { ARCH_NAMES, PRESETS, type ArchName, type Preset } from './presets.ts';

/** A usage error: printed with the help hint, exit code 2. */
export class UsageError extends Error {}

type NumericSetting =
  'epochs' | 'batchSize' | 'learningRate' | 'learningRateDecay' | 'validationSize' | 'seed';

interface NumericOption {
  setting: NumericSetting;
  integer: boolean;
  /** The MLP's value; a preset may set its own (train/presets.ts). */
  default: number;
  help: string;
}

/** In the order the training config has always listed them: the asset's JSON header records it. */
const NUMERIC_OPTIONS: Record<string, NumericOption> = {
  epochs: { setting: 'epochs', integer: true, default: 20, help: 'training epochs' },
  'batch-size': { setting: 'batchSize', integer: true, default: 64, help: 'mini-batch size' },
  'learning-rate': {
    setting: 'learningRate',
    integer: false,
    default: 0.001,
    help: 'initial Adam learning rate',
  },
  'lr-decay': {
    setting: 'learningRateDecay',
    integer: false,
    default: 0.9,
    help: 'learning-rate multiplier per epoch',
  },
  'validation-size': {
    setting: 'validationSize',
    integer: true,
    default: 5000,
    help: 'training images held out for model selection',
  },
  seed: {
    setting: 'seed',
    integer: true,
    default: 42,
    help: 'seed for initialisation, split and shuffling',
  },
};

const DEFAULT_ARCH: ArchName = 'mlp';
const DEFAULT_BACKEND: TrainingBackend = 'wasm';
/** mulberry32 keeps 32 bits of the seed (train/random.ts): a larger one would alias a smaller one. */
const MAX_SEED = 2 ** 32 - 1;
const countOf = (split: 'train' | 'test'): number =>
  DATA_FILES.find((file) => file.split === split)!.count;
const TRAINING_IMAGES = countOf('train');

/** Options read as text and checked here, and the two flags. */
const PARSER_OPTIONS = {
  arch: { type: 'string' },
  ...Object.fromEntries(
    Object.keys(NUMERIC_OPTIONS).map((name) => [name, { type: 'string' }] as const),
  ),
  backend: { type: 'string' },
  out: { type: 'string' },
  data: { type: 'string' },
  force: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const formatCount = (value: number): string => value.toLocaleString('en-US');

/** `text` as a number, refused unless positive (and an integer where asked). */
function positive(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(
      `--${name} must be a positive ${integer ? 'integer' : 'number'}, got "${text}"`,
    );
  }
  return value;
}

function atMost(name: string, value: number, limit: number, why: string): void {
  if (value > limit)
    throw new UsageError(
      `--${name} must be from 1 to ${formatCount(limit)} (${why}), got ${value}`,
    );
}

/**
 * Refuses settings the data cannot satisfy: at least one image must be left for validation, and at
 * least one batch for training (an empty split used to crash deep inside the wasm backend).
 */
function checkAgainstData(config: TrainingConfig): void {
  atMost(
    'batch-size',
    config.batchSize,
    TRAINING_IMAGES - 1,
    `the ${formatCount(TRAINING_IMAGES)} training images less at least one for validation`,
  );
  atMost(
    'validation-size',
    config.validationSize,
    TRAINING_IMAGES - config.batchSize,
    `the ${formatCount(TRAINING_IMAGES)} training images less one batch of ${config.batchSize}`,
  );
  atMost('seed', config.seed, MAX_SEED, 'the random generator keeps 32 bits');
}

function oneOf<T extends string>(name: string, text: string, allowed: readonly T[]): T {
  if (!allowed.includes(text as T))
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}

/** Parses argv; a flag given on the command line wins over the preset's setting, which wins over the default. */
export function parseOptions(argv: string[]) {
  const { values } = parseArgs({ args: argv, strict: true, options: PARSER_OPTIONS });
  const arch = oneOf('arch', values.arch ?? DEFAULT_ARCH, ARCH_NAMES);
  const backend = oneOf('backend', values.backend ?? DEFAULT_BACKEND, TRAINING_BACKENDS);
  const preset = PRESETS[arch];
  const config: TrainingConfig = { ...preset.training } as TrainingConfig;
  for (const [name, option] of Object.entries(NUMERIC_OPTIONS)) {
    // Every numeric option is declared as a string above; parseArgs' types only lose its name.
    const given = (values as Record<string, unknown>)[name] as string | undefined;
    config[option.setting] =
      given === undefined
        ? (preset.training[option.setting] ?? option.default)
        : positive(name, given, option.integer);
  }
  checkAgainstData(config);
  return {
    help: values.help,
    force: values.force,
    data: values.data,
    out: values.out ?? preset.out,
    preset,
    config,
    backend,
  };
}

/** "(default 20; cnn: 26)": the default, and each preset that sets its own. */
function defaults(value: unknown, ofPreset: (preset: Preset) => unknown): string {
  const others = ARCH_NAMES.flatMap((arch) => {
    const own = ofPreset(PRESETS[arch]);
    return own === undefined || own === value ? [] : [`${arch}: ${String(own)}`];
  });
  return `(default ${String(value)}${others.length > 0 ? `; ${others.join(', ')}` : ''})`;
}

const line = (flag: string, help: string): string => `  ${flag.padEnd(22)}${help}`;
const indent = ' '.repeat(24);

/** The training settings a preset adds beyond the command line's options, e.g. the CNN's schedule. */
function presetExtras(preset: Preset): string[] {
  const settings = new Set(
    Object.values(NUMERIC_OPTIONS).map((option) => option.setting as string),
  );
  return Object.entries(preset.training)
    .filter(([setting]) => !settings.has(setting))
    .map(([setting, value]) => `${setting} ${JSON.stringify(value)}`);
}

/** The --help text. */
export function helpText(): string {
  const archLines = ARCH_NAMES.flatMap((arch) => {
    const preset = PRESETS[arch];
    const extras = presetExtras(preset);
    return [
      `${indent}${arch}: ${preset.summary} (asset ${preset.name})`,
      ...(extras.length > 0 ? [`${indent}  also trains with ${extras.join(', ')}`] : []),
    ];
  });
  return [
    'Usage: npm run build:model -- [options]',
    '',
    `Trains a Fashion-MNIST classifier (--arch), evaluates it on the ${formatCount(countOf('test'))} test images, quantizes it to`,
    'int8 and writes the asset plus a model card (.json, .md), and lists the assets of its directory in',
    'bundled.js for the Worker.',
    'Skips training when the asset is current (same data, config and training code) unless --force.',
    '',
    'Options:',
    line('--arch NAME', `the network, one of ${ARCH_NAMES.join(', ')} (default ${DEFAULT_ARCH}):`),
    ...archLines,
    ...Object.entries(NUMERIC_OPTIONS).map(([name, option]) =>
      line(
        `--${name} ${option.integer ? 'N' : 'X'}`,
        `${option.help} ${defaults(option.default, (preset) => preset.training[option.setting])}`,
      ),
    ),
    line(
      '--backend NAME',
      `tfjs backend, one of ${TRAINING_BACKENDS.join(', ')} (default ${DEFAULT_BACKEND}, the faster here)`,
    ),
    line('--out PATH', `asset path ${defaults(PRESETS[DEFAULT_ARCH].out, (preset) => preset.out)}`),
    line('--data DIR', 'directory with the four Fashion-MNIST IDX files (.gz or plain);'),
    `${indent}default: $FASHION_MNIST_DIR, ./${LOCAL_DATA_DIR}, ${SYSTEM_DATA_DIR},`,
    `${indent}else download into ./${LOCAL_DATA_DIR}`,
    line('--force', 'retrain even if the asset is up to date'),
    line('-h, --help', 'show this help'),
    '',
  ].join('\n');
}
