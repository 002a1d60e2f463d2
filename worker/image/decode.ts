/// <reference path="./jpeg-decoder.d.ts" />
/**
 * Decodes PNG (fast-png) and JPEG (jpeg-js) into one simple raster format, 8 bits per sample.
 * Callers must have checked the header's pixel count against the limit first (see index.ts);
 * the decoders' own limits set here are only a second line of defence.
 */
import { decode as decodePng, type DecodedPng, type PngDataArray } from 'fast-png';
// jpeg-js's decoder module, not the package index, which also bundles the encoder (7 KB the Worker
// never runs). It is CommonJS (`module.exports = decode`): the default import is that function in
// Node, Vitest and esbuild/wrangler alike, without relying on each tool's CJS named-export detection.
import decodeJpeg from 'jpeg-js/lib/decoder.js';
import { Problem } from '../http/problem.ts';
import { checkPngDataSize } from './png-inflate.ts';
import type { ImageHeader } from './sniff.ts';

/** Decoded pixels, row-major, 8 bits per sample: 1 channel (gray) or 4 (RGBA, straight alpha). */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 4;
  data: Uint8Array;
}

/**
 * Bytes jpeg-js accounts per pixel in the worst case (4 components without subsampling: 16 for DCT
 * blocks, 4 for component lines, 4 for the component data, 4 for the RGBA output), plus a fixed
 * allowance for tables and MCU padding.
 */
const JPEG_BYTES_PER_PIXEL = 28;
const JPEG_FIXED_MB = 16;

/**
 * Decodes an image whose header has already been read and checked.
 * @throws Problem 400 when the decoder fails for any reason (truncated, corrupt, or beyond the decoder's limits).
 */
export function decodeImage(bytes: Uint8Array, header: ImageHeader, maxPixels: number): Raster {
  let raster: Raster;
  try {
    raster = header.type === 'image/png' ? decodePngRaster(bytes, header) : decodeJpegRaster(bytes, maxPixels);
  } catch (error) {
    if (error instanceof Problem) throw error;
    const why = error instanceof Error ? error.message : String(error);
    throw new Problem(400, 'Bad Request', `The ${formatName(header)} image could not be decoded: ${why}.`);
  }
  if (raster.width !== header.width || raster.height !== header.height) {
    throw new Problem(400, 'Bad Request', `The ${formatName(header)} image decodes to ${raster.width}x${raster.height}, but its header declares ${header.width}x${header.height}.`);
  }
  return raster;
}

function formatName(header: ImageHeader): string {
  return header.type === 'image/png' ? 'PNG' : 'JPEG';
}

function decodeJpegRaster(bytes: Uint8Array, maxPixels: number): Raster {
  const image = decodeJpeg(bytes, {
    useTArray: true, // Uint8Array instead of Node's Buffer, which workerd does not have
    formatAsRGBA: true,
    tolerantDecoding: false, // a missing block is corruption, not something to paper over
    maxResolutionInMP: maxPixels / 1e6,
    maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_BYTES_PER_PIXEL) / 2 ** 20) + JPEG_FIXED_MB,
  });
  return { width: image.width, height: image.height, channels: 4, data: image.data };
}

function decodePngRaster(bytes: Uint8Array, header: ImageHeader): Raster {
  checkPngDataSize(bytes, header);
  // checkCrc: a flipped bit should be a 400, not a silently wrong picture.
  return pngToRaster(decodePng(bytes, { checkCrc: true }));
}

/**
 * Unpacks 1, 2 or 4-bit samples (gray levels or palette indices; one per pixel) to one byte each.
 * They are packed big-endian, each scanline starting on a byte boundary (PNG 7.2).
 */
function unpackSamples(data: PngDataArray, width: number, height: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height);
  const rowBytes = Math.ceil((width * depth) / 8);
  const mask = (1 << depth) - 1;
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0, bit = 0; x < width; x++, bit += depth) {
      out[o++] = (data[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** Palette entries ([r, g, b] or, with tRNS, [r, g, b, a]) as a flat RGBA lookup table. */
function paletteTable(palette: number[][]): Uint8Array {
  const table = new Uint8Array(palette.length * 4);
  palette.forEach(([r = 0, g = 0, b = 0, a = 255], i) => table.set([r, g, b, a], i * 4));
  return table;
}

/**
 * Converts any PNG colour type and bit depth to 8-bit gray or RGBA. 16-bit samples are rounded to
 * 8 bits, sub-byte gray is scaled to 0..255, palettes are looked up, and a tRNS colour key becomes alpha.
 */
function pngToRaster(png: DecodedPng): Raster {
  const { width, height, depth, channels, transparency: key } = png;
  const palette = png.palette && paletteTable(png.palette);
  // 8-bit gray and RGBA are already in raster layout: no copy.
  if (depth === 8 && !palette && !key && (channels === 1 || channels === 4)) {
    return { width, height, channels, data: png.data as Uint8Array };
  }
  const samples = depth < 8 ? unpackSamples(png.data, width, height, depth) : png.data;
  const scale = palette ? 1 : 255 / (2 ** depth - 1);
  const outChannels = channels === 1 && !palette && !key ? 1 : 4;
  const out = new Uint8Array(width * height * outChannels);
  for (let i = 0, o = 0; o < out.length; i += channels, o += outChannels) {
    const s0 = samples[i]!;
    if (palette) {
      if (s0 * 4 >= palette.length) throw new Error(`palette index ${s0} is out of range`);
      for (let c = 0; c < 4; c++) out[o + c] = palette[s0 * 4 + c]!;
    } else if (outChannels === 1) {
      out[o] = Math.round(s0 * scale);
    } else if (channels <= 2) {
      out[o] = out[o + 1] = out[o + 2] = Math.round(s0 * scale);
      out[o + 3] = channels === 2 ? Math.round(samples[i + 1]! * scale) : key?.[0] === s0 ? 0 : 255;
    } else {
      const s1 = samples[i + 1]!;
      const s2 = samples[i + 2]!;
      out[o] = Math.round(s0 * scale);
      out[o + 1] = Math.round(s1 * scale);
      out[o + 2] = Math.round(s2 * scale);
      if (channels === 4) out[o + 3] = Math.round(samples[i + 3]! * scale);
      else out[o + 3] = key?.[0] === s0 && key[1] === s1 && key[2] === s2 ? 0 : 255;
    }
  }
  return { width, height, channels: outChannels, data: out };
}
