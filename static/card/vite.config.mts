import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The pull request card is a Forge Custom UI resource like the settings page. `--mode sandbox` builds
// it for `npm start` with @forge/bridge replaced by a local bridge that names a pull request of the
// simulated workspace (from the page's query string) and reaches the card resolver through the local host.
export default defineConfig(({ mode }) => {
  const sandbox = mode === 'sandbox';
  return {
    root: fileURLToPath(new URL('.', import.meta.url)),
    base: './',
    resolve: sandbox ? { alias: { '@forge/bridge': fileURLToPath(new URL('./sandbox/local-bridge.ts', import.meta.url)) } } : {},
    build: {
      outDir: sandbox ? fileURLToPath(new URL('../../dist/card-sandbox', import.meta.url)) : 'build',
      emptyOutDir: true,
    },
  };
});
