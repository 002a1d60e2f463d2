/**
 * What the browser helper (/client.js) costs and saves for a 12-megapixel camera photo, in
 * headless Chromium against the real Worker bundle in workerd: the time classify() takes in the
 * page (decode, shrink, encode, upload, answer), the bytes it sends (seen by DevTools), and the Worker's own
 * Server-Timing for them. Prints the medians and writes bench-results/client-photo.json.
 *
 *   node --import tsx bench/client-photo.ts [--runs 7]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { launchChromium } from '../harness/browser/chromium.ts';
import { recordNetwork } from '../harness/browser/network.ts';
import { garmentPhoto } from '../harness/browser/photos.ts';
import { PROJECT_ROOT } from '../project-root.ts';
import { testImages } from '../harness/dataset.ts';
import { startWorker } from '../harness/worker/start-worker.ts';
import { currentLoad, machineInfo } from './machine.ts';
import { median, round } from './stats.ts';

interface Run {
  /** classify() in the page, from the File to the parsed answer. */
  classifyMs: number;
  /** The Worker's Server-Timing phases, ms. */
  worker: Record<string, number>;
  top: string;
}

/**
 * One classify() in the page. A string, not a function: tsx would wrap a function's inner closures
 * in its __name helper, which the page does not have.
 */
const IN_PAGE = `async (base64) => {
  const { classify } = await import('/client.js');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const file = new File([bytes], 'IMG_0001.jpg', { type: 'image/jpeg' });
  let timing = '';
  const started = performance.now();
  const answer = await classify(file, { onResponse: (response) => { timing = response.headers.get('Server-Timing') || ''; } });
  const classifyMs = performance.now() - started;
  const worker = Object.fromEntries(timing.split(',').map((part) => [part.split(';')[0].trim(), Number(/dur=([\\d.]+)/.exec(part)?.[1])]));
  return { classifyMs, worker, top: answer.predictions[0].label };
}`;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const photo = await garmentPhoto(testImages(3).images[2]!);
const photoBase64 = photo.toString('base64');
const worker = await startWorker();
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const network = await recordNetwork(page);
  await page.goto(worker.url.href); // the demo page: same origin as /client.js and the API
  const samples: Run[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const run = (await page.evaluate(`(${IN_PAGE})(${JSON.stringify(photoBase64)})`)) as Run;
    if (i > 0) samples.push(run); // the first run loads the module and warms the Worker
  }
  const posts = network
    .calls(new URL('/v1/classify', worker.url).href)
    .filter((call) => call.method === 'POST');
  const sentBytes = await Promise.all(posts.map(async (call) => (await network.body(call)).length));
  const results = {
    generatedAt: new Date().toISOString(),
    machine: machineInfo(),
    loadAverage: currentLoad(),
    photo: { width: 4032, height: 3024, bytes: photo.length },
    runs: samples.length,
    medianSentBytes: median(sentBytes),
    medianClassifyMs: round(median(samples.map((s) => s.classifyMs))),
    medianWorkerMs: Object.fromEntries(
      Object.keys(samples[0]!.worker).map((name) => [
        name,
        round(median(samples.map((s) => s.worker[name]!))),
      ]),
    ),
    top: [...new Set(samples.map((s) => s.top))],
  };
  console.log(JSON.stringify(results, null, 2));
  await mkdir(join(PROJECT_ROOT, 'bench-results'), { recursive: true });
  await writeFile(
    join(PROJECT_ROOT, 'bench-results', 'client-photo.json'),
    `${JSON.stringify(results, null, 2)}\n`,
  );
} finally {
  await browser.close();
  await worker.dispose();
}
