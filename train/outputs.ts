/**
 * The files a build writes: the asset, its model card as JSON and Markdown next to it, and the
 * manifest of the directory's assets that the Worker bundles.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeBundleManifest } from './manifest.ts';
import { renderModelCard, type ModelCard } from './model-card.ts';

/** Paths of the model card files that accompany an asset. */
export function cardPaths(outPath: string): { json: string; markdown: string } {
  const stem = outPath.replace(/\.bin$/, '');
  return { json: `${stem}.json`, markdown: `${stem}.md` };
}

/** Writes the asset `bytes` to `outPath`, its card beside it, and the directory's manifest. */
export async function writeBuildOutputs(
  outPath: string,
  bytes: Uint8Array,
  card: ModelCard,
): Promise<void> {
  const paths = cardPaths(outPath);
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, bytes);
  writeFileSync(paths.json, `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(paths.markdown, renderModelCard(card));
  await writeBundleManifest(dirname(outPath));
}
