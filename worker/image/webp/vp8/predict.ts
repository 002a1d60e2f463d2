/**
 * VP8's intra predictors for luma (RFC 6386, 12.2 and 12.3), writing into a plane whose row above
 * the block and column to its left hold the already decoded neighbours (or the frame edge's 127 above
 * and 129 to the left). The clamped plane does the specification's clamping to 0..255.
 */

/** 16x16 and 4x4 modes shared by both (libwebp's numbering, which the mode trees produce). */
export const DC_PRED = 0;
export const TM_PRED = 1;
export const V_PRED = 2;
export const H_PRED = 3;
/** The remaining 4x4 ("subblock") modes. */
const RD_PRED = 4;
const VR_PRED = 5;
const LD_PRED = 6;
const VL_PRED = 7;
const HD_PRED = 8;
const HU_PRED = 9;

/** The seven diagonal values of RD_PRED and LD_PRED, reused. */
const diagonals = new Uint8Array(7);

const avg3 = (a: number, b: number, c: number): number => (a + 2 * b + c + 2) >> 2;
const avg2 = (a: number, b: number): number => (a + b + 1) >> 1;

/** Sets a size x size block to `value` (a loop: fill() costs a builtin call per row). */
function fill(p: Uint8ClampedArray, at: number, s: number, size: number, value: number): void {
  for (let y = 0; y < size; y++, at += s) for (let x = 0; x < size; x++) p[at + x] = value;
}

/** TM_PRED: left + above - corner, per pixel. */
function trueMotion(p: Uint8ClampedArray, at: number, s: number, size: number): void {
  const top = at - s;
  const corner = p[top - 1]!;
  for (let y = 0; y < size; y++, at += s) {
    const left = p[at - 1]! - corner;
    for (let x = 0; x < size; x++) p[at + x] = p[top + x]! + left;
  }
}

/**
 * Predicts a 16x16 macroblock at `at`. DC_PRED averages only the edges that exist: above unless the
 * macroblock is in the top row, left unless in the first column, 128 in the corner macroblock.
 */
export function predict16(
  mode: number,
  p: Uint8ClampedArray,
  at: number,
  s: number,
  hasTop: boolean,
  hasLeft: boolean,
): void {
  if (mode === TM_PRED) return trueMotion(p, at, s, 16);
  if (mode === V_PRED) {
    for (let y = 0, row = at; y < 16; y++, row += s) {
      for (let x = 0; x < 16; x++) p[row + x] = p[at - s + x]!;
    }
    return;
  }
  if (mode === H_PRED) {
    for (let y = 0, row = at; y < 16; y++, row += s) {
      const left = p[row - 1]!;
      for (let x = 0; x < 16; x++) p[row + x] = left;
    }
    return;
  }
  let top = 0;
  let left = 0;
  for (let i = 0; i < 16; i++) {
    top += p[at - s + i]!;
    left += p[at + i * s - 1]!;
  }
  const value =
    hasTop && hasLeft
      ? (top + left + 16) >> 5
      : hasTop
        ? (top + 8) >> 4
        : hasLeft
          ? (left + 8) >> 4
          : 128;
  fill(p, at, s, 16, value);
}

/**
 * Predicts a 4x4 block at `at` from the 4 pixels to its left (I..L), the corner (X) and the 8 above
 * and above-right (A..H); the caller has put the above-right pixels in place.
 */
export function predict4(mode: number, p: Uint8ClampedArray, at: number, s: number): void {
  const t = at - s;
  const X = p[t - 1]!,
    A = p[t]!,
    B = p[t + 1]!,
    C = p[t + 2]!,
    D = p[t + 3]!;
  const I = p[at - 1]!,
    J = p[at + s - 1]!,
    K = p[at + 2 * s - 1]!,
    L = p[at + 3 * s - 1]!;
  const s2 = 2 * s;
  const s3 = 3 * s;
  switch (mode) {
    case DC_PRED:
      return fill(p, at, s, 4, (A + B + C + D + I + J + K + L + 4) >> 3);
    case TM_PRED:
      return trueMotion(p, at, s, 4);
    case V_PRED: {
      const v0 = avg3(X, A, B),
        v1 = avg3(A, B, C),
        v2 = avg3(B, C, D),
        v3 = avg3(C, D, p[t + 4]!);
      for (let y = 0, row = at; y < 4; y++, row += s) {
        p[row] = v0;
        p[row + 1] = v1;
        p[row + 2] = v2;
        p[row + 3] = v3;
      }
      return;
    }
    case H_PRED:
      for (let x = 0; x < 4; x++) {
        p[at + x] = avg3(X, I, J);
        p[at + s + x] = avg3(I, J, K);
        p[at + s2 + x] = avg3(J, K, L);
        p[at + s3 + x] = avg3(K, L, L);
      }
      return;
    case RD_PRED: {
      // Diagonals running down to the right, from the bottom-left pixel (0) to the top-right one (6).
      const d = diagonals;
      d[0] = avg3(J, K, L);
      d[1] = avg3(I, J, K);
      d[2] = avg3(X, I, J);
      d[3] = avg3(A, X, I);
      d[4] = avg3(B, A, X);
      d[5] = avg3(C, B, A);
      d[6] = avg3(D, C, B);
      for (let y = 0, row = at; y < 4; y++, row += s) {
        for (let x = 0; x < 4; x++) p[row + x] = d[3 - y + x]!;
      }
      return;
    }
    case LD_PRED: {
      // Diagonals running down to the left, from the top-left pixel (0) to the bottom-right one (6).
      const E = p[t + 4]!,
        F = p[t + 5]!,
        G = p[t + 6]!,
        H = p[t + 7]!;
      const d = diagonals;
      d[0] = avg3(A, B, C);
      d[1] = avg3(B, C, D);
      d[2] = avg3(C, D, E);
      d[3] = avg3(D, E, F);
      d[4] = avg3(E, F, G);
      d[5] = avg3(F, G, H);
      d[6] = avg3(G, H, H);
      for (let y = 0, row = at; y < 4; y++, row += s) {
        for (let x = 0; x < 4; x++) p[row + x] = d[y + x]!;
      }
      return;
    }
    case VR_PRED:
      p[at] = avg2(X, A);
      p[at + s2 + 1] = avg2(X, A);
      p[at + 1] = avg2(A, B);
      p[at + s2 + 2] = avg2(A, B);
      p[at + 2] = avg2(B, C);
      p[at + s2 + 3] = avg2(B, C);
      p[at + 3] = avg2(C, D);
      p[at + s3] = avg3(K, J, I);
      p[at + s2] = avg3(J, I, X);
      p[at + s] = avg3(I, X, A);
      p[at + s3 + 1] = avg3(I, X, A);
      p[at + s + 1] = avg3(X, A, B);
      p[at + s3 + 2] = avg3(X, A, B);
      p[at + s + 2] = avg3(A, B, C);
      p[at + s3 + 3] = avg3(A, B, C);
      p[at + s + 3] = avg3(B, C, D);
      return;
    case VL_PRED: {
      const E = p[t + 4]!,
        F = p[t + 5]!,
        G = p[t + 6]!,
        H = p[t + 7]!;
      p[at] = avg2(A, B);
      p[at + 1] = avg2(B, C);
      p[at + s2] = avg2(B, C);
      p[at + 2] = avg2(C, D);
      p[at + s2 + 1] = avg2(C, D);
      p[at + 3] = avg2(D, E);
      p[at + s2 + 2] = avg2(D, E);
      p[at + s] = avg3(A, B, C);
      p[at + s + 1] = avg3(B, C, D);
      p[at + s3] = avg3(B, C, D);
      p[at + s + 2] = avg3(C, D, E);
      p[at + s3 + 1] = avg3(C, D, E);
      p[at + s + 3] = avg3(D, E, F);
      p[at + s3 + 2] = avg3(D, E, F);
      p[at + s2 + 3] = avg3(E, F, G);
      p[at + s3 + 3] = avg3(F, G, H);
      return;
    }
    case HD_PRED:
      p[at] = avg2(I, X);
      p[at + s + 2] = avg2(I, X);
      p[at + s] = avg2(J, I);
      p[at + s2 + 2] = avg2(J, I);
      p[at + s2] = avg2(K, J);
      p[at + s3 + 2] = avg2(K, J);
      p[at + s3] = avg2(L, K);
      p[at + 3] = avg3(A, B, C);
      p[at + 2] = avg3(X, A, B);
      p[at + 1] = avg3(I, X, A);
      p[at + s + 3] = avg3(I, X, A);
      p[at + s + 1] = avg3(J, I, X);
      p[at + s2 + 3] = avg3(J, I, X);
      p[at + s2 + 1] = avg3(K, J, I);
      p[at + s3 + 3] = avg3(K, J, I);
      p[at + s3 + 1] = avg3(L, K, J);
      return;
    case HU_PRED:
      p[at] = avg2(I, J);
      p[at + 2] = avg2(J, K);
      p[at + s] = avg2(J, K);
      p[at + s + 2] = avg2(K, L);
      p[at + s2] = avg2(K, L);
      p[at + 1] = avg3(I, J, K);
      p[at + 3] = avg3(J, K, L);
      p[at + s + 1] = avg3(J, K, L);
      p[at + s + 3] = avg3(K, L, L);
      p[at + s2 + 1] = avg3(K, L, L);
      p[at + s2 + 3] = L;
      p[at + s2 + 2] = L;
      p[at + s3] = L;
      p[at + s3 + 1] = L;
      p[at + s3 + 2] = L;
      p[at + s3 + 3] = L;
      return;
  }
}
