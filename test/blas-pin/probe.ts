/**
 * Child process of blas-pin.test.ts: runs the convnet's training kernels at the CNN's own sizes
 * (its second convolution forward and both gradients, its dense layer's products in the three
 * transpose forms backprop uses, a batch-norm step) on fixed inputs and prints the OpenBLAS core
 * and a SHA-256 of every output's bytes. With an addon path as argument it loads that file as it
 * is, without the loader's pin, so OpenBLAS picks its kernels from the environment: the control.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { nativeKernels, type NativeKernels } from '../../train/native/addon.ts';
import { random } from '../../harness/random.ts';

const [unpinnedAddon] = process.argv.slice(2);
const kernels: NativeKernels = unpinnedAddon
  ? (createRequire(import.meta.url)(unpinnedAddon) as NativeKernels)
  : nativeKernels();

const values = (count: number, seed: number): Float32Array => {
  const next = random(seed);
  return Float32Array.from({ length: count }, () => next() * 2 - 1);
};

const outputs: Float32Array[] = [];
const output = (count: number): Float32Array => {
  const out = new Float32Array(count);
  outputs.push(out);
  return out;
};

// Batch 128 of 14x14x16 through 3x3x16x32, 'same' padding: the CNN's conv2 as it trains.
const [batch, size, inChannels, outChannels] = [128, 14, 16, 32];
const geometry = Int32Array.of(
  batch,
  size,
  size,
  inChannels,
  size,
  size,
  outChannels,
  3,
  3,
  1,
  1,
  1,
  1,
);
const x = values(batch * size * size * inChannels, 1);
const filter = values(9 * inChannels * outChannels, 2);
const dy = values(batch * size * size * outChannels, 3);
kernels.convForward(x, filter, values(outChannels, 4), true, output(dy.length), geometry);
kernels.convFilterGradient(x, dy, output(filter.length), geometry);
kernels.convInputGradient(dy, filter, output(x.length), geometry);

// Dense 576 -> 128 at batch 128: forward, weight gradient (A transposed), input gradient (B transposed).
const [rows, inputs, units] = [128, 576, 128];
const activations = values(rows * inputs, 5);
const weights = values(inputs * units, 6);
const gradient = values(rows * units, 7);
kernels.matMul(
  activations,
  weights,
  values(units, 8),
  true,
  output(rows * units),
  rows,
  units,
  inputs,
  false,
  false,
);
kernels.matMul(
  activations,
  gradient,
  null,
  false,
  output(inputs * units),
  inputs,
  units,
  rows,
  true,
  false,
);
kernels.matMul(
  gradient,
  weights,
  null,
  false,
  output(rows * inputs),
  rows,
  inputs,
  units,
  false,
  true,
);

// Batch norm over the conv output's channels, forward then backward: the addon's own float code.
const normRows = batch * size * size;
const [y, xHat, mean, variance, gain] = [
  output(dy.length),
  output(dy.length),
  output(outChannels),
  output(outChannels),
  output(outChannels),
];
kernels.batchNormForward(
  dy,
  values(outChannels, 9),
  values(outChannels, 10),
  1e-3,
  true,
  y,
  xHat,
  mean,
  variance,
  gain,
  normRows,
  outChannels,
);
kernels.batchNormBackward(
  values(dy.length, 11),
  xHat,
  gain,
  y,
  true,
  output(dy.length),
  output(outChannels),
  output(outChannels),
  normRows,
  outChannels,
);

const hash = createHash('sha256');
for (const out of outputs) hash.update(new Uint8Array(out.buffer));
process.stdout.write(
  JSON.stringify({
    core: kernels.blasCore(),
    sha256: hash.digest('hex'),
    coreTypeAfter: process.env.OPENBLAS_CORETYPE ?? null,
  }),
);
