/**
 * Seeded randomness. Training must be reproducible byte for byte, so nothing may draw from an
 * unseeded source: tfjs itself falls back to Math.random in places, hence `seedMathRandom`.
 */

/** mulberry32: a small, fast 32-bit PRNG; returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replaces Math.random with a seeded generator for the rest of the process. */
export function seedMathRandom(seed: number): void {
  Math.random = createRandom(seed ^ 0x9e3779b9);
}

/** Fisher-Yates shuffle of `0..count-1` using the given generator. */
export function shuffledIndices(count: number, random: () => number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}
