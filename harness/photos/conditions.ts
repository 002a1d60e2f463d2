/**
 * The photo test set: the lighting, backdrops, garments, framings and encodings users' photos come
 * in. Each condition changes one thing from the plain case (a black-and-white shop photo: garment
 * 70% of the frame's short side, 448x336, JPEG quality 85), except the last, which combines several.
 */
import type { Condition, Rgb } from './render.ts';

const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];

const plain: Condition = {
  name: 'white, flat light',
  width: 448,
  height: 336,
  background: WHITE,
  garment: BLACK,
  size: 0.7,
  format: 'jpeg',
};

/** Every condition the accuracy test measures, the plain one first. */
export const CONDITIONS: readonly Condition[] = [
  plain,
  { ...plain, name: 'white, PNG', format: 'png' },
  { ...plain, name: 'off-white (240, 236, 228)', background: [240, 236, 228] },
  { ...plain, name: 'light grey (200)', background: [200, 200, 200] },
  { ...plain, name: 'mid grey (150)', background: [150, 150, 150] },
  { ...plain, name: 'tinted beige (232, 216, 184)', background: [232, 216, 184] },
  { ...plain, name: 'tinted blue (186, 204, 232)', background: [186, 204, 232] },
  { ...plain, name: 'gradient, 25% of the light', gradient: 0.25 },
  { ...plain, name: 'vignetting, 25% in the corners', vignette: 0.25 },
  { ...plain, name: 'noise sigma 4, JPEG q70', background: [236, 236, 236], noise: 4, quality: 70 },
  { ...plain, name: 'dyed red garment (170, 30, 40)', garment: [170, 30, 40] },
  { ...plain, name: 'dyed navy garment (30, 40, 110)', garment: [30, 40, 110] },
  {
    ...plain,
    name: 'dark garment (20) on mid grey (150)',
    background: [150, 150, 150],
    garment: [20, 20, 24],
  },
  {
    ...plain,
    name: 'white garment (250) on light grey (185)',
    background: [185, 185, 185],
    garment: [250, 250, 250],
  },
  {
    ...plain,
    name: 'light-on-dark: white garment on black (25)',
    background: [25, 25, 25],
    garment: [245, 245, 245],
  },
  { ...plain, name: 'garment touching the frame edge', size: 0.8, touchEdge: true },
  { ...plain, name: 'small garment (25% of the frame)', size: 0.25 },
  { ...plain, name: 'large garment (90% of the frame)', size: 0.9 },
  { ...plain, name: 'EXIF-rotated (orientation 6 or 8)', exifRotate: true },
  { ...plain, name: 'frame 1024x768', width: 1024, height: 768 },
  { ...plain, name: 'frame 1280x960', width: 1280, height: 960 },
  { ...plain, name: 'WebP, frame 1024x768', width: 1024, height: 768, format: 'webp' },
  {
    ...plain,
    name: 'WebP q50, frame 1280x960',
    width: 1280,
    height: 960,
    format: 'webp',
    quality: 50,
  },
  {
    ...plain,
    name: 'combined: off-white, gradient 20%, vignetting 15%, noise 3.5, dyed red',
    background: [242, 238, 230],
    gradient: 0.2,
    vignette: 0.15,
    noise: 3.5,
    garment: [170, 30, 40],
  },
];
