/**
 * The demo page: page.html (bundled as a Text module) filled in with the served model's facts and
 * the sample images, plus a Content-Security-Policy that admits only the page's own inline script
 * and style, by hash, and the browser helper (/client.js) it imports.
 */
import type { ModelDescription } from '../inference/models.ts';
import { onceUntilSuccess } from '../runtime/once.ts';
import template from './page.html';
import { SAMPLES } from './samples.ts';

/** A rendered page and the policy to serve it with. */
export interface DemoPage {
  html: string;
  contentSecurityPolicy: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** The int8 test accuracy recorded by the build, if this asset's metadata has one. */
function testAccuracyOf(model: ModelDescription): number | undefined {
  const metrics = model.metadata.metrics;
  const accuracy =
    typeof metrics === 'object' && metrics !== null
      ? (metrics as Record<string, unknown>).testAccuracy
      : undefined;
  return typeof accuracy === 'number' && Number.isFinite(accuracy) ? accuracy : undefined;
}

function modelSummary(model: ModelDescription): string {
  const accuracy = testAccuracyOf(model);
  const measured =
    accuracy === undefined
      ? 'This build recorded no test accuracy.'
      : `Test accuracy <strong id="accuracy">${(accuracy * 100).toFixed(1)}%</strong> on the Fashion-MNIST test set, with the int8 weights served here.`;
  return `Model <code id="model-name">${escapeHtml(model.name)}</code> version <span id="model-version">${escapeHtml(model.version)}</span>. ${measured}`;
}

const sampleButtons = (): string =>
  SAMPLES.map(
    (sample) =>
      `<button type="button" class="sample" data-pixels="${sample.pixels}" data-index="${sample.index}" data-label="${escapeHtml(sample.label)}"` +
      ` aria-label="Test image ${sample.index}: ${escapeHtml(sample.label)}"><canvas width="28" height="28"></canvas>${escapeHtml(sample.label)}</button>`,
  ).join('');

/** base64 SHA-256 of the only element `tag` in the template, in CSP source syntax. */
async function inlineHash(tag: 'script' | 'style'): Promise<string> {
  const match = template.match(new RegExp(`<${tag}[^>]*>([\\s\\S]*?)</${tag}>`));
  if (!match) throw new Error(`worker/demo/page.html has no <${tag}> element`);
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(match[1])),
  );
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

// Placeholders sit outside <script> and <style>, so the policy depends on the template alone.
const contentSecurityPolicy = onceUntilSuccess(async () =>
  [
    "default-src 'none'",
    // 'self' for the browser helper, /client.js, which the inline module script imports.
    `script-src 'self' ${await inlineHash('script')}`,
    `style-src ${await inlineHash('style')}`,
    // Uploaded photos are previewed from blob: URLs, samples and the model's input from data: URLs;
    // the only request the page makes is classify.
    'img-src blob: data:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; '),
);

/** The page for `model`. */
export async function renderDemoPage(model: ModelDescription): Promise<DemoPage> {
  const values: Record<string, string> = { model: modelSummary(model), samples: sampleButtons() };
  const html = template.replace(/\{\{(\w+)\}\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`worker/demo/page.html has an unknown placeholder ${placeholder}`);
    return value;
  });
  return { html, contentSecurityPolicy: await contentSecurityPolicy() };
}
