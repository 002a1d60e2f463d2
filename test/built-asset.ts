/** A built model asset and its model card, as `npm run build:model` wrote them. */
import { readFileSync } from 'node:fs';
import { decodeAsset, type ModelAsset } from '../classifier/asset-format.ts';
import { cardPaths } from '../train/outputs.ts';
import type { ModelCard } from '../train/model-card.ts';

/** Decodes the asset at `path` (verifying its digest) and reads the card next to it. */
export async function readBuiltAsset(
  path: string,
): Promise<{ asset: ModelAsset; card: ModelCard }> {
  return {
    asset: await decodeAsset(readFileSync(path)),
    card: JSON.parse(readFileSync(cardPaths(path).json, 'utf8')) as ModelCard,
  };
}
