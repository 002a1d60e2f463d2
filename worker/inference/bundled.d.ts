/**
 * The type of models/bundled.js, which `npm run build:model` generates (train/manifest.ts) and
 * which does not exist before the first build: declared here so the Worker typechecks either way.
 */
declare module '*/models/bundled.js' {
  /** One built model asset: its own name, its short alias (e.g. "cnn") if any, its bytes. */
  const assets: ReadonlyArray<{ name: string; alias: string | null; bytes: ArrayBuffer }>;
  export default assets;
}
