/**
 * CRC-32 as PNG uses it (ISO 3309, polynomial 0xEDB88320, PNG 5.5), one table lookup per byte.
 * The table is built on first use, not at module evaluation, to keep the Worker's startup cheap.
 */

let table: Int32Array | undefined;

function crcTable(): Int32Array {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
}

/** CRC-32 of `bytes[start..end)`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start: number, end: number): number {
  const t = (table ??= crcTable());
  let c = -1;
  for (let i = start; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
