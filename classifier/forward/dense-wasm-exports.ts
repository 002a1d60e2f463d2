/**
 * The dense forward pass on tfjs' wasm backend, calling the binary's exports directly.
 *
 * tfjs' kernel functions cost more than the arithmetic of one image: per call they marshal the shapes
 * through cwrap's 'array' arguments (stack allocation and copy), allocate and register an output
 * tensor, and the caller uploads its input and frees everything afterwards. Here the input, every
 * layer's output and the probabilities live in buffers registered with the backend once and reused
 * (for batches up to RESIDENT_IMAGES); a prediction writes the pixels into the wasm heap, calls the
 * fused matMul export per layer (the same XNNPACK operator the kernel function would run, cached by
 * tfjs on the weights' tensor id) and the softmax export, and copies the probabilities out once. Same kernels, same weights, same batch
 * sizes: the results are bit-identical to dense-any-backend.ts on the same binary.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CppDType, FusableActivation } from '@tensorflow/tfjs-backend-wasm/dist/kernels/types.js';
import { PIXELS_PER_IMAGE } from '../architecture.ts';
import {
  denseLayers,
  disposeDenseLayers,
  type DenseLayer,
  type ResidentDenseLayer,
} from './dense-layers.ts';
import type { ModelAsset } from '../asset-format.ts';
import { expectPixels, type Network } from './network.ts';

/** tfjs' C entry points (tfjs-backend-wasm/src/cc/kernels), as the instance exports them. */
interface Exports {
  Multiply(
    aId: number,
    aShape: number,
    aRank: number,
    bId: number,
    bShape: number,
    bRank: number,
    dtype: number,
    outId: number,
  ): void;
  _FusedMatMul(
    aId: number,
    aShape: number,
    aRank: number,
    bId: number,
    bShape: number,
    bRank: number,
    transposeA: number,
    transposeB: number,
    activation: number,
    biasId: number,
    preluId: number,
    leakyreluAlpha: number,
    outId: number,
  ): void;
  Softmax(xId: number, outId: number, channels: number, batch: number): void;
}

/** The parts of tfjs' Emscripten module (wasm-out/tfjs-backend-wasm*.js) used here. */
interface WasmModule {
  /** The instance's raw exports: called without the glue's per-call `apply` wrappers. */
  asm: Partial<Exports>;
  /** Views of the linear memory, replaced whenever it grows: read them afresh at every use. */
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
}

/** The fields of tfjs' BackendWasm (dist/backend_wasm.js) used here. */
interface WasmBackend {
  wasm: WasmModule;
  /** What the backend knows of each buffer: its tensor id in the C++ registry and its heap address. */
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } | undefined };
  write(values: Float32Array | null, shape: number[], dtype: 'float32'): tf.DataId;
  disposeData(dataId: tf.DataId): boolean;
}

/** Whether `backend` is tfjs' wasm backend with the exports this path calls. */
export function isWasmBackend(backend: tf.KernelBackend): boolean {
  const exports = (backend as unknown as Partial<WasmBackend>).wasm?.asm;
  return (
    typeof exports?._FusedMatMul === 'function' &&
    typeof exports.Softmax === 'function' &&
    typeof exports.Multiply === 'function'
  );
}

/** A float32 buffer registered with the backend: its tfjs tensor id and its index into HEAPF32. */
interface HeapBuffer {
  dataId: tf.DataId;
  id: number;
  index: number;
}

/** The id under which the backend's C++ side knows `dataId`'s buffer. */
const tensorId = (backend: WasmBackend, dataId: tf.DataId): number =>
  backend.dataIdMap.get(dataId)!.id;

/**
 * Shapes are passed by address: per layer a block of SHAPE_INTS int32s, the input's
 * [1, count, inputs] then the kernel's [1, inputs, units], whose last entry doubles as the scales'
 * rank-1 shape [units]. KERNEL_SHAPE and SCALES_SHAPE are byte offsets into the block.
 */
const SHAPE_INTS = 6;
const KERNEL_SHAPE = 4 * 3;
const SCALES_SHAPE = 4 * 5;

/**
 * Images the resident buffers hold (~240 KB for the seed MLP). Batches up to this size allocate
 * nothing per call; a larger one, whose per-call costs are spread over its many images, gets
 * buffers for that call only, so the heap keeps no more than this for good (other models' large
 * batches can reuse the space).
 */
const RESIDENT_IMAGES = 64;

/**
 * Uploads `layer` with its kernel dequantized by the Multiply export, the kernel tf.mul runs on this
 * backend (so the same bits) without tfjs' op layer, whose first use in an isolate costs a few
 * milliseconds. The weights become engine-tracked tensors, as tf.tensor's would, so tfjs' tensor
 * count shows them. `shape` is the layer's block of SHAPE_INTS, already written.
 */
function uploadLayer(backend: WasmBackend, layer: DenseLayer, shape: number): ResidentDenseLayer {
  const { inputs, units, activation } = layer;
  const kernelShape = [1, inputs, units];
  const quantized = backend.write(layer.kernel, kernelShape, 'float32');
  const scales = backend.write(layer.columnScales, [units], 'float32');
  const kernel = backend.write(null, kernelShape, 'float32');
  backend.wasm.asm.Multiply!(
    tensorId(backend, quantized),
    shape + KERNEL_SHAPE,
    3,
    tensorId(backend, scales),
    shape + SCALES_SHAPE,
    1,
    CppDType.float32,
    tensorId(backend, kernel),
  );
  backend.disposeData(quantized);
  backend.disposeData(scales);
  const resident = (dataId: tf.DataId, dims: number[]): tf.Tensor =>
    tf
      .engine()
      .makeTensorFromDataId(dataId, dims, 'float32', backend as unknown as tf.KernelBackend);
  return {
    inputs,
    units,
    activation,
    kernel: resident(kernel, kernelShape) as tf.Tensor3D,
    bias: resident(backend.write(layer.bias, [units], 'float32'), [units]) as tf.Tensor1D,
  };
}

/**
 * The dense network of `asset` on the active backend, which must be tfjs' wasm backend
 * (isWasmBackend), with its weights and the buffers for RESIDENT_IMAGES images resident.
 */
export function createWasmNetwork(asset: ModelAsset): Network {
  const backend = tf.backend();
  if (!isWasmBackend(backend))
    throw new Error(`createWasmNetwork needs tfjs' wasm backend, not ${tf.getBackend()}`);
  const wasmBackend = backend as unknown as WasmBackend;
  const module = wasmBackend.wasm;
  const exports = module.asm as Exports;
  const dense = denseLayers(asset);
  const shapes = module._malloc(4 * SHAPE_INTS * dense.length);
  /** Address of layer i's block of shapes. */
  const shapeBlock = (i: number): number => shapes + 4 * SHAPE_INTS * i;
  dense.forEach((layer, i) =>
    module.HEAP32.set([1, 0, layer.inputs, 1, layer.inputs, layer.units], shapeBlock(i) >>> 2),
  );
  const layers = dense.map((layer, i) => uploadLayer(wasmBackend, layer, shapeBlock(i)));
  const classes = layers[layers.length - 1]?.units ?? 0;
  // Everything a prediction passes to the exports per layer, worked out once here.
  const calls = layers.map((layer, i) => ({
    shape: shapeBlock(i),
    kernel: tensorId(wasmBackend, layer.kernel.dataId),
    bias: tensorId(wasmBackend, layer.bias.dataId),
    activation: layer.activation === 'relu' ? FusableActivation.relu : FusableActivation.linear,
    softmax: layer.activation === 'softmax',
    units: layer.units,
  }));
  // Widths of the buffers a prediction passes through: pixels, then each layer's output, then the
  // softmax output after a softmax layer (the export does not work in place).
  const widths = [
    PIXELS_PER_IMAGE,
    ...layers.flatMap((layer) =>
      layer.activation === 'softmax' ? [layer.units, layer.units] : [layer.units],
    ),
  ];

  const allocate = (count: number): HeapBuffer[] =>
    widths.map((width) => {
      const dataId = wasmBackend.write(null, [1, count, width], 'float32');
      const { id, memoryOffset } = wasmBackend.dataIdMap.get(dataId)!;
      return { dataId, id, index: memoryOffset >>> 2 };
    });
  const free = (buffers: HeapBuffer[]): void => {
    for (const buffer of buffers) wasmBackend.disposeData(buffer.dataId);
  };
  const resident = allocate(RESIDENT_IMAGES);

  const forward = (count: number, io: HeapBuffer[]): void => {
    let at = 0;
    for (const { shape, kernel, bias, activation, softmax, units } of calls) {
      exports._FusedMatMul(
        io[at]!.id,
        shape,
        3,
        kernel,
        shape + KERNEL_SHAPE,
        3,
        0,
        0,
        activation,
        bias,
        0,
        0,
        io[at + 1]!.id,
      );
      at++;
      if (softmax) exports.Softmax(io[at]!.id, io[++at]!.id, units, count);
    }
  };

  return {
    classes,
    predict(pixels, count) {
      expectPixels(pixels, count);
      if (count === 0) return new Float32Array(0);
      // Allocating may grow the heap, which replaces its views: they are read only after this.
      const io = count <= RESIDENT_IMAGES ? resident : allocate(count);
      try {
        const dims = module.HEAP32;
        for (const { shape } of calls) dims[(shape >>> 2) + 1] = count;
        module.HEAPF32.set(pixels, io[0]!.index);
        forward(count, io);
        // The first call of a layer packs its weights into an XNNPACK operator, which may grow the heap.
        const start = io[io.length - 1]!.index;
        return module.HEAPF32.slice(start, start + count * classes);
      } finally {
        if (io !== resident) free(io);
      }
    },
    dispose() {
      free(resident);
      module._free(shapes);
      disposeDenseLayers(layers);
    },
  };
}
