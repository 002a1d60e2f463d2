/// <reference path="./bundled.d.ts" />
/**
 * The model assets bundled into the Worker, by the name each asset carries in its own header.
 * `npm run build:model` writes models/bundled.js, which imports every asset it built (wrangler
 * bundles `*.bin` as ArrayBuffer Data modules): the Worker serves whichever models were built.
 * The loader checks that each name matches the asset's `name` field.
 */
import bundled from '../../models/bundled.js';

/** Model name -> asset bytes. */
export const BUNDLED_ASSETS: ReadonlyMap<string, ArrayBuffer> = new Map(
  bundled.map((asset) => [asset.name, asset.bytes]),
);

/** Short names accepted in place of a model's name, e.g. `cnn` for `fashion-mnist-cnn`. */
const ALIASES: ReadonlyMap<string, string> = new Map(
  bundled.flatMap((asset) => (asset.alias ? [[asset.alias, asset.name] as const] : [])),
);

/** The model name `name` stands for: itself, or the model it is an alias of. */
export function resolveModelName(name: string): string {
  return BUNDLED_ASSETS.has(name) ? name : (ALIASES.get(name) ?? name);
}
