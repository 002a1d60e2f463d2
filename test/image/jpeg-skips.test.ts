/**
 * The coefficients a reduced-scale decode drops (worker/image/jpeg/skips.ts walks them several codes
 * at a time): hand-made baseline files whose blocks carry chosen AC symbols, short codes among them,
 * runs of zeros, a coefficient at the last index, blocks that end without an end-of-block code. At
 * scale 1/N a block's pixels depend only on its N x N lowest frequencies, so the file must decode
 * exactly as the same file with every other coefficient removed; at 1/8, as its flat block levels.
 */
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../worker/image/jpeg/decode.ts';
import { readJpegHeader } from '../../worker/image/jpeg/header.ts';
import { craftJpeg, GRAY, type AcSymbols } from '../../harness/image/jpeg-craft.ts';
import { problemOf } from '../problem-of.ts';
import { random } from '../../harness/random.ts';

const WIDTH = 96;
const HEIGHT = 64;
const COLUMNS = WIDTH / 8;

/** Natural (row-major) position of each zigzag index (T.81 figure A.6), worked out here. */
const NATURAL: number[] = [];
for (let sum = 0; sum < 15; sum++) {
  for (let i = 0; i <= sum; i++) {
    const [v, u] = sum % 2 ? [i, sum - i] : [sum - i, i];
    if (v < 8 && u < 8) NATURAL.push(v * 8 + u);
  }
}

/** The coefficients `block` sets, as [zigzag index, value], the way a decoder counts them. */
function coefficientsOf(block: AcSymbols): [number, number][] {
  const set: [number, number][] = [];
  let k = 1;
  for (const [run, value] of block.symbols) {
    k += run;
    if (value !== 0) set.push([k, value]);
    k++; // the coefficient itself, or the sixteenth zero of a ZRL
  }
  return set;
}

/** AC symbols that set exactly `coefficients` (ascending zigzag indices), then end of block. */
function symbolsFor(coefficients: [number, number][]): AcSymbols {
  const symbols: [number, number][] = [];
  let k = 1;
  for (const [index, value] of coefficients) {
    let run = index - k;
    for (; run > 15; run -= 16) symbols.push([15, 0]);
    symbols.push([run, value]);
    k = index + 1;
  }
  return { symbols, endOfBlock: true };
}

/** Blocks of every kind the walk must get right, then random ones. */
function blocksOf(seed: number): AcSymbols[] {
  const next = random(seed);
  const special: AcSymbols[] = [
    { symbols: [], endOfBlock: true },
    // A coefficient at index 63, the block ending without an end-of-block code.
    {
      symbols: [
        [15, 0],
        [15, 0],
        [15, 0],
        [14, 1],
      ],
      endOfBlock: false,
    },
    // Sixty-three coefficients, no end-of-block code.
    { symbols: Array.from({ length: 63 }, (_, i) => [0, i % 2 ? -1 : 1]), endOfBlock: false },
    // Four runs of sixteen zeros: past the last index, which ends the block (tolerated).
    {
      symbols: [
        [15, 0],
        [15, 0],
        [15, 0],
        [15, 0],
      ],
      endOfBlock: false,
    },
    // Every run length 0..15, over three blocks.
    { symbols: Array.from({ length: 10 }, (_, run) => [run, run % 2 ? -1 : 2]), endOfBlock: true },
    { symbols: [10, 11, 12, 13].map((run) => [run, 3]), endOfBlock: true },
    {
      symbols: [
        [14, -2],
        [15, 1],
      ],
      endOfBlock: true,
    },
  ];
  const blocks = [...special];
  while (blocks.length < COLUMNS * (HEIGHT / 8)) {
    const symbols: [number, number][] = [];
    let k = 1;
    const count = Math.floor(next() * 24);
    for (let i = 0; i < count; i++) {
      const run = next() < 0.6 ? 0 : Math.floor(next() * 16);
      if (k + run > 63) break;
      const magnitude = 1 + Math.floor(next() * 3);
      symbols.push([run, next() < 0.5 ? magnitude : -magnitude]);
      k += run + 1;
    }
    // A block that reached index 63 ends there: an end-of-block code would start the next block.
    blocks.push({ symbols, endOfBlock: k <= 63 });
  }
  return blocks;
}

const level = (row: number, column: number) => 40 + ((row * 37 + column * 11) % 170);

function file(blocks: AcSymbols[]): Uint8Array {
  return craftJpeg({
    width: WIDTH,
    height: HEIGHT,
    sampling: GRAY,
    level: (_, row, column) => level(row, column),
    ac: (_, row, column) => blocks[row * COLUMNS + column]!,
  });
}

const decode = (bytes: Uint8Array, longSide: number) =>
  decodeJpeg(bytes, readJpegHeader(bytes), longSide);

describe('walking the coefficients a reduced scale drops', () => {
  for (const seed of [1, 2, 3]) {
    const blocks = blocksOf(seed);
    const bytes = file(blocks);

    it(`decodes at 1/8 to the flat block levels, whatever the AC symbols (seed ${seed})`, () => {
      const image = decode(bytes, 8);
      expect([image.width, image.height]).toEqual([WIDTH / 8, HEIGHT / 8]);
      const levels = Array.from({ length: image.data.length }, (_, i) =>
        level(Math.floor(i / COLUMNS), i % COLUMNS),
      );
      expect(Array.from(image.data)).toEqual(levels);
    });

    for (const n of [2, 4]) {
      it(`decodes at 1/${8 / n} as the file with only each block's ${n}x${n} lowest frequencies (seed ${seed})`, () => {
        const lowPass = blocks.map((block) =>
          symbolsFor(
            coefficientsOf(block).filter(
              ([k]) => NATURAL[k]! % 8 < n && Math.floor(NATURAL[k]! / 8) < n,
            ),
          ),
        );
        const longSide = (WIDTH * n) / 8;
        const image = decode(bytes, longSide);
        expect(image.width).toBe(longSide);
        expect(Array.from(image.data)).toEqual(Array.from(decode(file(lowPass), longSide).data));
      });
    }
  }

  it('refuses a block whose symbols set a coefficient past index 63, at every scale', () => {
    const blocks = blocksOf(1);
    blocks[7] = {
      symbols: [
        [15, 0],
        [15, 0],
        [15, 0],
        [15, 1],
      ],
      endOfBlock: false,
    };
    const bytes = file(blocks);
    for (const longSide of [8, 24, 48, 96]) {
      const problem = problemOf(() => decode(bytes, longSide));
      expect(problem.status).toBe(400);
      expect(problem.detail).toContain('more than 64 coefficients');
    }
  });
});
