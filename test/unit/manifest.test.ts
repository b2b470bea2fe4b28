import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { validate } from '@forge/manifest';
import { cloudEndpoints } from '../../src/core/enrich/cloud/endpoints';
import { forgeEventTypes } from '../../src/core/change/forge-events';
import * as app from '../../src/index';
import { VERSION } from '../../src/version';

const root = path.resolve(__dirname, '../..');
const manifest = parse(readFileSync(path.join(root, 'manifest.yml'), 'utf8'));
const specPath = path.resolve(root, '../shared/specs/bitbucket-cloud.swagger.v3.json');

describe('manifest.yml', () => {
  it("passes Atlassian's own manifest validation", async () => {
    const result = await validate(false, path.join(root, 'manifest.yml'));
    const errors = (result.errors ?? []).filter((e: { level?: string }) => (e.level ?? 'error') === 'error');
    expect(errors).toEqual([]);
  });

  it('subscribes to exactly the events the trigger can turn into changes', () => {
    const subscribed = manifest.modules.trigger.flatMap((t: { events: string[] }) => t.events);
    expect([...subscribed].sort()).toEqual([...forgeEventTypes].sort());
  });

  it('points every function at an export of src/index.ts', () => {
    for (const fn of manifest.modules.function as Array<{ handler: string }>) {
      const [file, name] = fn.handler.split('.');
      expect(file).toBe('index');
      expect(typeof (app as Record<string, unknown>)[name!]).toBe('function');
    }
  });

  it('names its egress hosts and never the global wildcard', () => {
    const backend = manifest.permissions.external.fetch.backend as Array<{ address: string }>;
    expect(backend.length).toBeGreaterThan(0);
    for (const entry of backend) expect(entry.address).not.toBe('*');
  });

  it('holds the scope of every Bitbucket endpoint the app calls, as the official spec names it', () => {
    if (!existsSync(specPath)) {
      console.warn(`skipped: ${specPath} is absent`);
      return;
    }
    const spec = JSON.parse(readFileSync(specPath, 'utf8'));
    const scopes = new Set<string>(manifest.permissions.scopes);
    for (const [name, template] of Object.entries(cloudEndpoints)) {
      const operation = spec.paths[template.replace(/^\/2\.0/, '')]?.get;
      expect({ name, found: !!operation }).toEqual({ name, found: true });
      const needed: string[] = operation['x-atlassian-oauth2-scopes']?.[0]?.scopes ?? [];
      for (const scope of needed) expect({ name, scope, granted: scopes.has(scope) }).toEqual({ name, scope, granted: true });
    }
  });
});

it("states one version: the CLI's --version and the User-Agent say package.json's", () => {
  expect(VERSION).toBe((JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version);
});
