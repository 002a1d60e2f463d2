/**
 * A photo-like RGB scene for JPEG fixtures: smooth shading, a bright disc with hard edges, stripes
 * of texture and sensor noise, so that encoders spend bits as on a real photo (a flat background
 * would make every decoder look fast).
 */
import { random } from '../random.ts';

/** width x height RGB pixels, 3 bytes each, row-major. */
export function photoScene(width: number, height: number, seed = 1): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  const noise = random(seed);
  const r2 = (Math.min(width, height) / 3) ** 2;
  for (let y = 0; y < height; y++) {
    const tint = 25 * Math.sin(y / 50);
    for (let x = 0; x < width; x++) {
      const disc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < r2;
      const base =
        120 +
        50 * Math.sin(x / 37) * Math.cos(y / 23) +
        (disc ? 45 : -25) +
        (((x >> 2) + (y >> 3)) % 5 === 0 ? 20 : 0);
      for (let c = 0; c < 3; c++)
        rgb[(y * width + x) * 3 + c] = Math.max(
          0,
          Math.min(255, base + (c - 1) * tint + (noise() - 0.5) * 24),
        );
    }
  }
  return rgb;
}
