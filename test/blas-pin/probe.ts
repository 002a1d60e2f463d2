/**
 * Child process of blas-pin.test.ts: runs the convnet's training kernels at the CNN's own sizes
 * (its three convolutions forward and both gradients, a pooling gradient, its dense layer's
 * products in the three transpose forms backprop uses, batch-norm steps) on fixed inputs and
 * prints the OpenBLAS core and a SHA-256 of every output's bytes. With an addon path as argument
 * it loads that file as it is, without the loader's pin, so OpenBLAS picks its kernels from the
 * environment: the control.
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

/** Batch 128 of size x size x inChannels through 3x3 x inChannels x outChannels, 'same' padding. */
function convolution(size: number, inChannels: number, outChannels: number, seed: number) {
  const geometry = Int32Array.of(
    128,
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
  const x = values(128 * size * size * inChannels, seed);
  const filter = values(9 * inChannels * outChannels, seed + 1);
  const dy = values(128 * size * size * outChannels, seed + 2);
  kernels.convForward(x, filter, values(outChannels, seed + 3), true, output(dy.length), geometry);
  kernels.convFilterGradient(x, dy, output(filter.length), geometry);
  kernels.convInputGradient(dy, filter, output(x.length), geometry);
  return { x, dy };
}

// The CNN's three convolutions as they train; then the 2x2 pooling gradient after the first.
convolution(28, 1, 16, 20);
const { dy } = convolution(14, 16, 32, 1);
convolution(7, 32, 64, 30);
kernels.maxPoolGrad(
  values(128 * 28 * 28 * 16, 40),
  values(128 * 14 * 14 * 16, 41),
  output(128 * 28 * 28 * 16),
  Int32Array.of(128, 28, 28, 16, 14, 14, 16, 2, 2, 2, 2, 0, 0),
);
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

/** Batch norm over the channels of x [rows x channels], forward then backward: the addon's own float code. */
function batchNorm(x: Float32Array, channels: number, relu: boolean, seed: number): void {
  const rows = x.length / channels;
  const [y, xHat, mean, variance, gain] = [
    output(x.length),
    output(x.length),
    output(channels),
    output(channels),
    output(channels),
  ];
  kernels.batchNormForward(
    x,
    values(channels, seed),
    values(channels, seed + 1),
    1e-3,
    relu,
    y,
    xHat,
    mean,
    variance,
    gain,
    rows,
    channels,
  );
  kernels.batchNormBackward(
    values(x.length, seed + 2),
    xHat,
    gain,
    y,
    relu,
    output(x.length),
    output(channels),
    output(channels),
    rows,
    channels,
  );
}

// Over conv2's output, with and without the relu that follows it in the CNN.
batchNorm(dy, 32, true, 9);
batchNorm(dy, 32, false, 50);

const hash = createHash('sha256');
for (const out of outputs) hash.update(new Uint8Array(out.buffer));
process.stdout.write(
  JSON.stringify({
    core: kernels.blasCore(),
    sha256: hash.digest('hex'),
    coreTypeAfter: process.env.OPENBLAS_CORETYPE ?? null,
  }),
);
