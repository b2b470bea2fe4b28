import { fileURLToPath } from 'node:url';
import { defineConfig, type UserConfig } from 'vite';

// Each Custom UI resource (settings page, pull request card) is a static build that manifest.yml points
// at. `--mode sandbox` builds the same page for `npm start` into dist/<name>-sandbox, with @forge/bridge
// replaced by the resource's local bridge, which reaches the resolvers through the local Forge host;
// the Forge build never has it.
export function customUiConfig(resourceUrl: URL, sandboxName: string, extra: UserConfig['build'] = {}) {
  return defineConfig(({ mode }) => {
    const sandbox = mode === 'sandbox';
    return {
      root: fileURLToPath(new URL('.', resourceUrl)),
      base: './',
      resolve: sandbox ? { alias: { '@forge/bridge': fileURLToPath(new URL('./sandbox/local-bridge.ts', resourceUrl)) } } : {},
      build: {
        outDir: sandbox ? fileURLToPath(new URL(`../../dist/${sandboxName}`, resourceUrl)) : 'build',
        emptyOutDir: true,
        ...extra,
      },
    };
  });
}
