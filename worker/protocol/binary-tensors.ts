/**
 * The binary tensor data extension of the Open Inference Protocol (Triton's
 * extension_binary_data): a body is a JSON header of `Inference-Header-Content-Length` bytes followed
 * by the raw tensors, each sized by its `parameters.binary_data_size`. Numeric elements are
 * little-endian; a BYTES tensor is a run of elements, each a 4-byte little-endian length and that
 * many bytes. Every size is judged against what is there before anything is read or allocated.
 */
import { badRequest, contentTooLarge } from '../http/problem.ts';

/** The header naming the length of the JSON part, on requests and answers. */
export const HEADER_LENGTH = 'Inference-Header-Content-Length';

/**
 * The JSON header length a request declares (undefined: the whole body is JSON), judged against the
 * body limit before the body is read: 400 if it is not a byte count, 413 if it exceeds the limit.
 */
export function declaredHeaderLength(request: Request, maxBodyBytes: number): number | undefined {
  const value = request.headers.get(HEADER_LENGTH);
  if (value === null) return undefined;
  if (!/^[0-9]{1,15}$/.test(value.trim()))
    throw badRequest(`${HEADER_LENGTH} must be a byte count, got ${JSON.stringify(value)}`);
  const length = Number(value);
  if (length > maxBodyBytes)
    throw contentTooLarge(
      `${HEADER_LENGTH} declares a JSON header of ${length} bytes; the body limit is ${maxBodyBytes}`,
    );
  return length;
}

/** A body cut into its JSON header and the binary data after it. */
export function splitBody(
  body: Uint8Array,
  headerLength: number,
): { json: Uint8Array; binary: Uint8Array } {
  if (headerLength > body.length)
    throw badRequest(
      `${HEADER_LENGTH} is ${headerLength}, but the body holds only ${body.length} bytes`,
    );
  return { json: body.subarray(0, headerLength), binary: body.subarray(headerLength) };
}

/** The elements of a BYTES tensor of `count` elements; 400 if `bytes` holds fewer, more, or a length past its end. */
export function readBytesTensor(bytes: Uint8Array, count: number, path: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (bytes.length - offset < 4)
      throw badRequest(`${path} holds ${i} BYTES elements; its shape says ${count}`);
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > bytes.length - offset)
      throw badRequest(`${path}[${i}] declares ${length} bytes; ${bytes.length - offset} remain`);
    elements.push(bytes.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== bytes.length)
    throw badRequest(
      `${path} has ${bytes.length - offset} bytes after its ${count} BYTES elements`,
    );
  return elements;
}

/** A BYTES tensor's binary form: each element as a 4-byte little-endian length and its bytes. */
export function writeBytesTensor(elements: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(elements.reduce((sum, element) => sum + 4 + element.length, 0));
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.length, true);
    out.set(element, offset + 4);
    offset += 4 + element.length;
  }
  return out;
}

/** An answer of JSON header `header` followed by `tensors`, with the header length the client splits it by. */
export function binaryResponse(header: object, tensors: readonly Uint8Array[]): Response {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const body = new Uint8Array(tensors.reduce((sum, tensor) => sum + tensor.length, json.length));
  body.set(json);
  let offset = json.length;
  for (const tensor of tensors) {
    body.set(tensor, offset);
    offset += tensor.length;
  }
  return new Response(body, {
    headers: { 'Content-Type': 'application/octet-stream', [HEADER_LENGTH]: String(json.length) },
  });
}
