import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { useBackend } from '../train/backend.ts';
import { createRandom } from '../train/random.ts';

// The wasm BatchMatMul is replaced for transposed inputs; it must agree with the reference cpu backend.
function matMulOn(
  backend: 'cpu' | 'wasm',
  a: number[][][],
  b: number[][][],
  transposeA: boolean,
  transposeB: boolean,
): Float32Array {
  tf.setBackend(backend);
  return tf.tidy(
    () => tf.matMul(tf.tensor(a), tf.tensor(b), transposeA, transposeB).dataSync() as Float32Array,
  );
}

function random3d(batch: number, rows: number, cols: number, seed: number): number[][][] {
  const random = createRandom(seed);
  return Array.from({ length: batch }, () =>
    Array.from({ length: rows }, () => Array.from({ length: cols }, () => random() * 2 - 1)),
  );
}

describe('wasm training backend', () => {
  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])(
    'transposed BatchMatMul matches cpu (transposeA=%s, transposeB=%s)',
    async (transposeA, transposeB) => {
      await useBackend('wasm');
      const before = tf.memory().numTensors;
      // a is [batch, m, k] or its transpose; b is [batch, k, n] or its transpose.
      const a = transposeA ? random3d(3, 5, 4, 1) : random3d(3, 4, 5, 1);
      const b = transposeB ? random3d(3, 6, 5, 2) : random3d(3, 5, 6, 2);
      const onWasm = matMulOn('wasm', a, b, transposeA, transposeB);
      const onCpu = matMulOn('cpu', a, b, transposeA, transposeB);
      expect(onWasm.length).toBe(3 * 4 * 6);
      onWasm.forEach((v, i) => expect(v).toBeCloseTo(onCpu[i]!, 5));
      tf.setBackend('wasm');
      expect(tf.memory().numTensors).toBe(before);
    },
  );

  it('trains a dense layer with gradients equal to cpu', async () => {
    const gradientsOn = async (backend: 'cpu' | 'wasm') => {
      await useBackend(backend);
      const random = createRandom(3);
      const x = tf.tensor2d(
        Array.from({ length: 8 * 16 }, () => random()),
        [8, 16],
      );
      const w = tf.variable(
        tf.tensor2d(
          Array.from({ length: 16 * 4 }, () => random() - 0.5),
          [16, 4],
        ),
      );
      const { grads } = tf.variableGrads(
        () => tf.sum(tf.square(tf.matMul(x, w))) as tf.Scalar,
        [w],
      );
      const values = grads[w.name]!.dataSync().slice();
      tf.dispose([x, w, grads[w.name]!]);
      return values;
    };
    const wasm = await gradientsOn('wasm');
    const cpu = await gradientsOn('cpu');
    wasm.forEach((v, i) => expect(v).toBeCloseTo(cpu[i]!, 4));
  });
});
