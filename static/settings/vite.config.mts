import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The settings page is a Forge Custom UI resource: a static build that manifest.yml points at.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  build: { outDir: 'build', emptyOutDir: true },
});
