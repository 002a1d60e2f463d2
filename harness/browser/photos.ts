/**
 * Photos made the way users make them, for the browser tests: a Fashion-MNIST test garment
 * rendered as a 12-megapixel camera JPEG (4032x3024, quality 90, by sharp), dark on white, and the
 * same photo stored sideways with an EXIF orientation that turns it upright.
 */
import sharp from 'sharp';

export const PHOTO_WIDTH = 4032;
export const PHOTO_HEIGHT = 3024;
/** The garment's side in the photo: most of the frame's height. */
const GARMENT = 2400;

/** `pixels` (28x28, 0 = background) negated and upscaled, centred on a white 4032x3024 frame, as RGB. */
function uprightPhoto(pixels: Uint8Array): sharp.Sharp {
  const negated = Buffer.from(pixels.map((value) => 255 - value));
  const top = (PHOTO_HEIGHT - GARMENT) / 2;
  const left = (PHOTO_WIDTH - GARMENT) / 2;
  return sharp(negated, { raw: { width: 28, height: 28, channels: 1 } })
    .resize(GARMENT, GARMENT, { kernel: 'cubic' })
    .extend({ top, bottom: top, left, right: left, background: '#ffffff' })
    .toColourspace('srgb');
}

/** The garment photo as a baseline JPEG, quality 90. */
export async function garmentPhoto(pixels: Uint8Array): Promise<Buffer> {
  return uprightPhoto(pixels).jpeg({ quality: 90 }).toBuffer();
}

/**
 * The garment photo as a phone held sideways stores it: pixels turned a quarter counter-clockwise
 * (3024x4032 stored), with EXIF orientation 6 ("rotate 90 clockwise to display") to put it upright.
 */
export async function sidewaysPhoto(
  pixels: Uint8Array,
): Promise<{ withExif: Buffer; withoutExif: Buffer }> {
  // sharp rotates before it resizes whatever the call order, so the upright frame is made first.
  const { data, info } = await uprightPhoto(pixels).raw().toBuffer({ resolveWithObject: true });
  const stored = () =>
    sharp(data, {
      raw: { width: info.width, height: info.height, channels: info.channels },
    }).rotate(-90);
  return {
    withExif: await stored().withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer(),
    withoutExif: await stored().jpeg({ quality: 90 }).toBuffer(),
  };
}
