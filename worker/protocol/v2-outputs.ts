/**
 * Which output a v2 infer request asks for, and how: raw probabilities or the classification
 * extension's top k as BYTES `"score:index:label"`, in JSON `data` or as binary tensor data.
 */
import { describe, requireObject } from '../http/json.ts';
import { badRequest } from '../http/problem.ts';

/** How the answer's single output is to be sent. */
export interface RequestedOutput {
  /** As binary tensor data after the JSON header (`binary_data`, `binary_data_output`). */
  binary: boolean;
  /** Top classes as BYTES `[N, k]` instead of FP32 `[N, classes]` (the classification extension). */
  classification: number | undefined;
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw badRequest(`${path} must be true or false, got ${describe(value)}`);
}

function classificationCount(value: unknown, path: string, classes: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= classes)
    return value;
  throw badRequest(
    `${path} must be a whole number of classes from 1 to ${classes}, got ${describe(value)}`,
  );
}

/**
 * The output the request asks for: `outputs` (absent: the one output, sent as the request parameter
 * `binary_data_output` says) naming `outputName` at most once. 400 for another name or a bad parameter.
 */
export function requestedOutput(
  outputs: unknown,
  parameters: Record<string, unknown>,
  outputName: string,
  classes: number,
): RequestedOutput {
  const binaryDefault =
    optionalBoolean(parameters.binary_data_output, 'parameters.binary_data_output') ?? false;
  if (outputs === undefined) return { binary: binaryDefault, classification: undefined };
  if (!Array.isArray(outputs) || outputs.length !== 1) {
    throw badRequest(
      `outputs must be an array naming the one output "${outputName}", got ${describe(outputs)}`,
    );
  }
  const output = requireObject(outputs[0], 'outputs[0]');
  if (output.name !== outputName)
    throw badRequest(`outputs[0].name must be "${outputName}", the only output of this model`);
  const own = parametersOf(output, 'outputs[0].parameters');
  return {
    binary: optionalBoolean(own.binary_data, 'outputs[0].parameters.binary_data') ?? binaryDefault,
    classification: classificationCount(
      own.classification,
      'outputs[0].parameters.classification',
      classes,
    ),
  };
}

/** An object's `parameters` member (`{}` when absent); 400 if it is not an object. */
export function parametersOf(body: Record<string, unknown>, path: string): Record<string, unknown> {
  return body.parameters === undefined ? {} : requireObject(body.parameters, path);
}
