import { readFileSync } from 'node:fs';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * wrangler's CompiledWasm rule for tests in Node: `import module from './x.wasm'` yields the compiled
 * WebAssembly.Module, as it does in the Worker bundle, so Worker code that imports a .wasm runs here too.
 */
const compiledWasm: Plugin = {
  name: 'compiled-wasm',
  enforce: 'pre',
  load(id) {
    if (!id.endsWith('.wasm')) return null;
    const base64 = readFileSync(id).toString('base64');
    return `export default new WebAssembly.Module(Uint8Array.from(atob(${JSON.stringify(base64)}), (c) => c.charCodeAt(0)));`;
  },
};

// Tests run in Node; Worker tests start the real bundle in workerd through Miniflare.
export default defineConfig({
  plugins: [compiledWasm],
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Through vite, so that compiledWasm sees their .wasm imports.
    server: { deps: { inline: [/@jsquash\/webp/] } },
  },
});
