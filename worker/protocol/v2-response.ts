/**
 * The answer to a v2 infer request: the output as FP32 probabilities `[N, classes]` or, with the
 * classification extension, BYTES `[N, k]` of `"score:index:label"`; in JSON `data`, or as binary
 * tensor data after the JSON header when the request asked for it.
 */
import { binaryResponse, writeBytesTensor } from './binary-tensors.ts';
import { topPredictionsPerImage } from './top-classes.ts';
import type { RequestedOutput } from './v2-outputs.ts';

/** Who answers, and to which request. */
export interface InferAnswer {
  modelName: string;
  modelVersion: string;
  id: string | undefined;
  outputName: string;
  labels: readonly string[];
}

/** The tensor's JSON description and its values, in JSON form and in binary form. */
function outputTensor(
  probabilities: Float32Array,
  labels: readonly string[],
  k: number | undefined,
) {
  const count = probabilities.length / labels.length;
  if (k === undefined) {
    // Float32Array bytes are little-endian on every host Workers run on (x86-64, arm64), as the extension wants.
    const binary = () =>
      new Uint8Array(probabilities.buffer, probabilities.byteOffset, probabilities.byteLength);
    return {
      datatype: 'FP32',
      shape: [count, labels.length],
      data: () => Array.from(probabilities),
      binary,
    };
  }
  const strings = topPredictionsPerImage(probabilities, labels, k).flatMap((top) =>
    top.map(({ score, index, label }) => `${score}:${index}:${label}`),
  );
  const encoder = new TextEncoder();
  return {
    datatype: 'BYTES',
    shape: [count, k],
    data: () => strings,
    binary: () => writeBytesTensor(strings.map((s) => encoder.encode(s))),
  };
}

/** The infer answer for `probabilities` (N x classes, row-major). */
export function inferResponse(
  answer: InferAnswer,
  probabilities: Float32Array,
  output: RequestedOutput,
): Response {
  const tensor = outputTensor(probabilities, answer.labels, output.classification);
  const head = {
    model_name: answer.modelName,
    model_version: answer.modelVersion,
    ...(answer.id === undefined ? {} : { id: answer.id }),
  };
  const description = { name: answer.outputName, datatype: tensor.datatype, shape: tensor.shape };
  if (!output.binary)
    return Response.json({ ...head, outputs: [{ ...description, data: tensor.data() }] });
  const bytes = tensor.binary();
  return binaryResponse(
    { ...head, outputs: [{ ...description, parameters: { binary_data_size: bytes.length } }] },
    [bytes],
  );
}
