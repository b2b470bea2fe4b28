import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

// The settings page is built twice (npm run build): for Forge, with the real @forge/bridge, and for the
// sandbox, with the local bridge. The local one must never reach the resource Forge deploys.

const root = path.resolve(__dirname, '../..');
const manifest = parse(readFileSync(path.join(root, 'manifest.yml'), 'utf8'));
const scripts = (dir: string) => readdirSync(path.join(dir, 'assets')).filter((f) => f.endsWith('.js')).map((f) => readFileSync(path.join(dir, 'assets', f), 'utf8')).join('\n');

describe('settings page builds', () => {
  const forgeBuild = path.join(root, manifest.resources.find((r: { key: string }) => r.key === 'settings-page').path);
  const sandboxBuild = path.join(root, 'dist', 'settings-sandbox');

  it('exist (npm run build makes both)', () => {
    expect(existsSync(path.join(forgeBuild, 'index.html'))).toBe(true);
    expect(existsSync(path.join(sandboxBuild, 'index.html'))).toBe(true);
  });

  it('keep the local bridge out of the Forge resource and in the sandbox page', () => {
    expect(scripts(forgeBuild)).not.toContain('/sandbox/accounts.json');
    expect(scripts(sandboxBuild)).toContain('/sandbox/accounts.json');
  });
});

describe('pull request card builds', () => {
  const forgeBuild = path.join(root, manifest.resources.find((r: { key: string }) => r.key === 'pull-request-card').path);
  const sandboxBuild = path.join(root, 'dist', 'card-sandbox');

  it('keep the local bridge out of the Forge resource and in the sandbox card', () => {
    expect(existsSync(path.join(forgeBuild, 'index.html'))).toBe(true);
    expect(scripts(forgeBuild)).not.toContain('/resolver/card-resolver');
    expect(scripts(sandboxBuild)).toContain('/resolver/card-resolver');
  });
});
