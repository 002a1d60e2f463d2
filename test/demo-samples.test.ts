/**
 * The sample images hard-coded in the demo page (worker/demo/samples.ts) and in the static-site
 * example (examples/index.html) are the real Fashion-MNIST test images, with their real labels.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_LABELS } from '../classifier/labels.ts';
import { SAMPLES } from '../worker/demo/samples.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { testImages } from '../harness/dataset.ts';

const dataset = testImages(Math.max(...SAMPLES.map((sample) => sample.index)) + 1);
const bytesOf = (base64: string): Uint8Array => new Uint8Array(Buffer.from(base64, 'base64'));

describe('sample test images', () => {
  it.each(SAMPLES.map((sample) => [sample.index, sample] as const))(
    'demo sample = test image %i, with its label',
    (index, sample) => {
      expect(bytesOf(sample.pixels)).toEqual(dataset.images[index]);
      expect(sample.label).toBe(FASHION_MNIST_LABELS[dataset.labels[index]!]);
    },
  );

  it('has distinct images', () => {
    expect(new Set(SAMPLES.map((sample) => sample.index)).size).toBe(SAMPLES.length);
  });

  it('the example page sends test image 0', () => {
    const html = readFileSync(join(PROJECT_ROOT, 'examples', 'index.html'), 'utf8');
    const [, base64] = /Uint8Array\.from\(\s*atob\(\s*'([A-Za-z0-9+/=]+)'/.exec(html) ?? [];
    expect(base64, 'the SAMPLE constant in examples/index.html').toBeDefined();
    expect(bytesOf(base64!)).toEqual(dataset.images[0]);
  });
});
