/**
 * The model assets bundled into the Worker, by the name each asset carries in its own header.
 * wrangler bundles `*.bin` as ArrayBuffer Data modules, so adding a model is one import and one
 * entry here; the loader checks that the key matches the asset's `name` field.
 */
import fashionMnistMlp from '../../models/fashion-mnist-mlp.bin';

/** Model name -> asset bytes. The first entry is the default model. */
export const BUNDLED_ASSETS: ReadonlyMap<string, ArrayBuffer> = new Map([
  ['fashion-mnist', fashionMnistMlp],
]);
