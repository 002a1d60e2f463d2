/**
 * From trained weights to the asset's content: the int8 tensors it stores, and the accuracy on the
 * test set of both the float weights and the int8 ones, each computed through the very forward pass
 * the Worker serves.
 */
import type { ModelDescription, StoredTensor } from '../classifier/asset-format.ts';
import type { ImageSet } from './data/index.ts';
import { evaluateAsset, type Evaluation } from './evaluate.ts';
import { floatTensors, quantizedTensors, type FloatWeights } from './export.ts';

/** The int8 tensors, and the test-set evaluation of the float weights and of those tensors. */
export interface Quantized {
  tensors: Map<string, StoredTensor>;
  floatEval: Evaluation;
  int8Eval: Evaluation;
}

/** Quantizes `weights` and evaluates both forms as a model described by `description` on `test`. */
export function quantizeAndEvaluate(
  description: ModelDescription,
  weights: FloatWeights,
  test: ImageSet,
): Quantized {
  const inMemory = (tensors: Map<string, StoredTensor>) => ({
    ...description,
    tensors,
    sha256: '',
  });
  const floatEval = evaluateAsset(inMemory(floatTensors(weights)), test);
  const tensors = quantizedTensors(weights);
  const int8Eval = evaluateAsset(inMemory(tensors), test);
  return { tensors, floatEval, int8Eval };
}
