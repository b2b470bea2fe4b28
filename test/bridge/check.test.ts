import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import path from 'node:path';
import { sign } from '../../src/core/deliver/sign';
import { startDcSimulator, type DcSimulator } from '../../src/sandbox/dc-sim';
import { dcEnv, type DcEnv } from './helpers';
import { runCommand } from '../helpers/cli';

// Issue 6, items 1 and 2: `pandev-bitbucket check`, run as operators run it, prints who the token is
// and what it can read, turns each failure into its troubleshooting text, and exits non-zero.

const tls = path.join(__dirname, 'tls');

/** The CLI as a user runs it, to its end. */
const cli = runCommand;

let env: DcEnv;
let underPath: DcSimulator;
let silent: TcpServer;
let untrusted: HttpsServer;
const pages: HttpServer[] = [];
const port = (server: { address(): unknown }) => (server.address() as { port: number }).port;

beforeAll(async () => {
  env = await dcEnv({ seed: 'check' });
  underPath = await startDcSimulator({ seed: 'check', contextPath: '/bitbucket', rateLimit: null });
  // Accepts connections and never answers: a firewall that drops, or a hung proxy.
  silent = createTcpServer(() => undefined).listen(0, '127.0.0.1');
  untrusted = createHttpsServer({ key: readFileSync(path.join(tls, 'localhost.key')), cert: readFileSync(path.join(tls, 'localhost.crt')) }, (_req, res) => res.writeHead(404).end()).listen(0, '127.0.0.1');
});
afterAll(async () => {
  pages.forEach((page) => page.close());
  silent.close();
  untrusted.close();
  await Promise.all([env.stop(), underPath.stop()]);
});

/** A web page where an API should be: a web app's sign-in page, a proxy's error page. */
async function htmlPage(status: number): Promise<string> {
  const page = createHttpServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html>\n<html><head><title>PanDev Metrics — Sign in</title><script src="/app.js"></script></head><body><div id="root"></div></body></html>');
  });
  pages.push(page);
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${port(page)}`;
}

describe('pandev-bitbucket check', () => {
  it('passes with a working token and PanDev connection, naming the user and the repositories it reads', async () => {
    const { code, out } = await cli(['check'], env.env);
    expect(out).toContain('authenticated as admin; the token can read 7 repositories');
    expect(out).toContain('PanDev accepted a signed test delivery');
    expect(out).not.toContain(env.env.BITBUCKET_TOKEN!);
    expect(code).toBe(0);
  });

  it('explains a revoked or expired PAT (401) and exits 1', async () => {
    const { code, out } = await cli(['check'], { ...env.env, BITBUCKET_TOKEN: env.sim.credentials.revoked.token });
    expect(out).toContain('Bitbucket refused the personal access token (401)');
    expect(out).toContain('expired or was revoked');
    expect(code).toBe(1);
  });

  it('names the version, refuses Bitbucket Server before 5.5 (no personal access tokens) and warns for one older than 8.0', async () => {
    const current = await cli(['check'], env.env);
    expect(current.out).toContain(`ok   ${env.sim.model.identity.displayName} ${env.sim.version} at ${env.sim.url}`);
    expect(current.out).not.toContain('Warning');
    for (const [version, code, says] of [['5.4.1', 1, /FAIL .* 5\.4\.1[\s\S]*no personal access tokens[\s\S]*upgrade to Bitbucket Data Center 8\.0 or later/], ['6.10.3', 0, /ok {2}.* 6\.10\.3[\s\S]*Warning: older than the versions the bridge supports \(Data Center 8\.0 and later\)/]] as const) {
      const old = await startDcSimulator({ seed: 'check', version, rateLimit: null, projects: 1, repositoriesPerProject: 1 });
      try {
        const { code: exit, out } = await cli(['check'], { ...env.env, BITBUCKET_URL: old.url, BITBUCKET_TOKEN: old.credentials.admin.token });
        expect(out).toMatch(says);
        expect(exit).toBe(code);
      } finally {
        await old.stop();
      }
    }
  });

  it('explains a URL with a path (use the bare host, or the context-path setting) and exits 1', async () => {
    const { code, out } = await cli(['check'], { ...env.env, BITBUCKET_URL: `${env.sim.url}/projects/PRJ/repos` });
    expect(out).toContain('BITBUCKET_URL has a path (/projects/PRJ/repos)');
    expect(out).toContain(`Use the bare host as BITBUCKET_URL: ${env.sim.url}`);
    expect(out).toContain('BITBUCKET_CONTEXT_PATH');
    expect(code).toBe(1);
  });

  it('supports an instance under a context path, and says how to configure it when it is missing', async () => {
    const origin = new URL(underPath.url).origin;
    const base = { ...env.env, BITBUCKET_URL: origin, BITBUCKET_TOKEN: underPath.credentials.admin.token };
    const missing = await cli(['check'], base);
    expect(missing.out).toContain('set BITBUCKET_CONTEXT_PATH=/bitbucket');
    expect(missing.code).toBe(1);
    const configured = await cli(['check'], { ...base, BITBUCKET_CONTEXT_PATH: '/bitbucket' });
    expect(configured.out).toContain('authenticated as admin');
    expect(configured.code).toBe(0);
  });

  it('explains a timeout', async () => {
    const yaml = path.join(env.dir, 'timeout.yaml');
    writeFileSync(yaml, 'bitbucket:\n  timeoutSeconds: 1\n');
    const { code, out } = await cli(['check', '--config', yaml], { ...env.env, BITBUCKET_URL: `http://127.0.0.1:${port(silent)}` });
    expect(out).toContain('Bitbucket did not answer in time');
    expect(code).toBe(1);
  });

  it('explains an untrusted TLS certificate with the CA-file option, and trusts it once the CA file is given', async () => {
    const url = `https://127.0.0.1:${port(untrusted)}`;
    const untrustedRun = await cli(['check'], { ...env.env, BITBUCKET_URL: url });
    expect(untrustedRun.out).toContain("Bitbucket's TLS certificate is not trusted");
    expect(untrustedRun.out).toContain('set BITBUCKET_CA_FILE to its path');
    expect(untrustedRun.code).toBe(1);
    const trusted = await cli(['check'], { ...env.env, BITBUCKET_URL: url, BITBUCKET_CA_FILE: path.join(tls, 'localhost.crt') });
    expect(trusted.out).not.toContain('not trusted');
    expect(trusted.out).toContain('Bitbucket answered 404');
  });

  it('reports partial access: configured projects and repositories the token cannot read', async () => {
    const { code, out } = await cli(['check'], { ...env.env, BITBUCKET_PROJECTS: 'NOPE,*', BITBUCKET_REPOS: 'SECRET/vault,*/*' });
    expect(out).toContain('The token cannot read everything the configuration selects (2 of them)');
    expect(out).toContain('project NOPE');
    expect(out).toContain('repository SECRET/vault');
    expect(code).toBe(1);
  });

  it('fails when the pull-request read answers 404 or 500, saying what Bitbucket answered and what to do', async () => {
    for (const status of [404, 500]) {
      const fault = env.sim.faults.add({ path: '/pull-requests$', status, body: JSON.stringify({ errors: [{ message: `answered ${status} on purpose` }] }) });
      try {
        const { code, out } = await cli(['check'], env.env);
        expect(out).not.toContain('pull requests are readable');
        expect(out).toMatch(new RegExp(`FAIL Bitbucket answered ${status} .*pull requests of `));
        expect(out).toContain(status === 404 ? 'proxy' : 'Try again in a few minutes');
        expect(code).toBe(1);
      } finally {
        env.sim.faults.remove(fault);
      }
    }
  });

  it("sends PanDev the same signed ping as the app's connection check: diagnostics:ping, origin diagnostics", async () => {
    const seen: Array<{ url?: string; headers: Record<string, unknown>; body: string }> = [];
    const pandev = createHttpServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
      });
    });
    pages.push(pandev);
    await new Promise<void>((resolve) => pandev.listen(0, '127.0.0.1', resolve));
    const { code } = await cli(['check'], { ...env.env, PANDEV_URL: `http://127.0.0.1:${port(pandev)}` });
    expect(code).toBe(0);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.url).toBe('/v1/bitbucket/webhook/repository');
    expect(seen[0]!.headers).toMatchObject({ 'x-event-key': 'diagnostics:ping', 'x-pandev-origin': 'diagnostics', 'x-pandev-edition': 'datacenter', 'x-hub-signature': sign(env.env.PANDEV_SIGNING_SECRET!, seen[0]!.body) });
  });

  it('explains an https:// URL to a port that answers plain HTTP, the first mistake with a loopback or internal PanDev', async () => {
    const pandev = new URL(env.env.PANDEV_URL!);
    const { code, out } = await cli(['check'], { ...env.env, PANDEV_URL: `https://${pandev.host}` });
    expect(out).toContain(`PanDev did not answer TLS at https://${pandev.host}/v1/bitbucket/webhook/repository`);
    expect(out).toContain('answers in plain HTTP, not HTTPS');
    expect(out).toContain('PANDEV_ALLOW_HTTP=1');
    expect(code).toBe(1);
  });

  it('explains a refused PanDev token, and a refused signature, each naming the one setting to change', async () => {
    const token = await cli(['check'], { ...env.env, PANDEV_TOKEN: 'wrong' });
    expect(token.out).toContain('PanDev refused the ingest token (401)');
    expect(token.out).toContain('put it in PANDEV_TOKEN (or the file PANDEV_TOKEN_FILE names)');
    expect(token.out).not.toContain('PANDEV_SIGNING_SECRET');
    expect(token.code).toBe(1);
    const secret = await cli(['check'], { ...env.env, PANDEV_SIGNING_SECRET: 'not-the-receivers-secret' });
    expect(secret.out).toContain('PanDev refused the signature (401)');
    expect(secret.out).toContain("put PanDev's secret in PANDEV_SIGNING_SECRET (or the file PANDEV_SIGNING_SECRET_FILE names)");
    expect(secret.out).not.toContain('PANDEV_TOKEN');
    expect(secret.code).toBe(1);
  });

  it('never prints the token or the signing secret from a PanDev answer that echoes them', async () => {
    // A proxy's error page may echo the request's headers back.
    const echo = createHttpServer((req, res) => res.writeHead(401).end(`no entry for ${req.headers.authorization ?? ''}`)).listen(0, '127.0.0.1');
    await new Promise((resolve) => echo.once('listening', resolve));
    try {
      const { code, out } = await cli(['check'], { ...env.env, PANDEV_URL: `http://127.0.0.1:${port(echo)}`, PANDEV_TOKEN: 'tok-echoed-value' });
      expect(out).toContain('no entry for Bearer [redacted]');
      expect(out).not.toContain('tok-echoed-value');
      expect(code).toBe(1);
    } finally {
      echo.close();
    }
  });

  it('never prints the Bitbucket token from a Bitbucket answer that echoes it', async () => {
    // A proxy or WAF in front of Data Center may quote the request's Authorization header in its refusal.
    const token = env.env.BITBUCKET_TOKEN!;
    const fault = env.sim.faults.add({ path: '^/rest/api/1\\.0/repos$', status: 403, body: `blocked by policy: Authorization: Bearer ${token}` });
    try {
      const { code, out } = await cli(['check'], env.env);
      expect(out).toContain('blocked by policy: Authorization: Bearer [redacted]');
      expect(out).not.toContain(token);
      expect(code).toBe(1);
    } finally {
      env.sim.faults.remove(fault);
    }
  });

  it('fails a PanDev URL that answers a web page, even with 200, naming the page', async () => {
    const signIn = await cli(['check'], { ...env.env, PANDEV_URL: await htmlPage(200) });
    expect(signIn.out).toContain('FAIL PanDev answered 200 with a web page ("PanDev Metrics — Sign in"), not its ingest API');
    expect(signIn.out).toContain('PANDEV_URL');
    expect(signIn.out).not.toContain('PanDev accepted');
    expect(signIn.code).toBe(1);
    const gateway = await cli(['check'], { ...env.env, PANDEV_URL: await htmlPage(502) });
    expect(gateway.out).toContain('FAIL PanDev answered 502 (a web page: "PanDev Metrics — Sign in")');
    expect(gateway.out).not.toContain('<script');
    expect(gateway.code).toBe(1);
  });

  it('says a Bitbucket that answers 502 or 503 is unavailable, not at a wrong address', async () => {
    const { code, out } = await cli(['check'], { ...env.env, BITBUCKET_URL: await htmlPage(503) });
    expect(out).toContain('FAIL Bitbucket answered 503 at');
    expect(out).toContain('starting, in maintenance, or down');
    expect(out).not.toContain('BITBUCKET_CONTEXT_PATH');
    expect(code).toBe(1);
  });

  it('says where the Cloud API is when BITBUCKET_URL answers a web page, and that a 502 is Bitbucket unavailable', async () => {
    const cloud = { ...env.env, BITBUCKET_EDITION: 'cloud', BITBUCKET_WORKSPACE: 'umbrella-labs', BITBUCKET_TOKEN: 'an-access-token' };
    for (const status of [200, 404]) {
      const { code, out } = await cli(['check'], { ...cloud, BITBUCKET_URL: await htmlPage(status) });
      expect(out).toContain(`FAIL Bitbucket answered ${status} with a web page`);
      expect(out).toContain('BITBUCKET_URL must be https://api.bitbucket.org');
      expect(out).not.toContain('authenticated');
      expect(out).not.toContain('not valid JSON');
      expect(code).toBe(1);
    }
    const { code, out } = await cli(['check'], { ...cloud, BITBUCKET_URL: await htmlPage(502) });
    expect(out).toContain('FAIL Bitbucket answered 502 at');
    expect(out).toContain('starting, in maintenance, or down');
    expect(code).toBe(1);
  });

  it('lists every configuration problem with where to fix it, and exits 2', async () => {
    const { code, out } = await cli(['check'], { BITBUCKET_EDITION: 'server', BRIDGE_SHARD: '3/3', PANDEV_URL: 'not a url' });
    expect(out).toContain('BITBUCKET_EDITION (YAML: bitbucket.edition) must be "datacenter" or "cloud"');
    expect(out).toContain('BITBUCKET_URL (YAML: bitbucket.url) is required');
    expect(out).toContain('BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE (YAML: bitbucket.tokenFile) is required');
    expect(out).toContain('PANDEV_URL (YAML: pandev.url) must be an http(s) URL');
    expect(out).toContain('BRIDGE_SHARD (YAML: bridge.shard) needs 0 ≤ i < n');
    expect(code).toBe(2);
  });

  it('refuses a URL carrying a user name or password, and never prints it', async () => {
    const withPassword = (url: string) => url.replace('://', '://ops:pw-in-the-url@');
    const { code, out } = await cli(['check'], { ...env.env, PANDEV_URL: withPassword(env.sink.url), BITBUCKET_URL: withPassword(env.sim.url) });
    expect(out).toContain('PANDEV_URL (YAML: pandev.url) must not contain a user name or password: the token goes in PANDEV_TOKEN or PANDEV_TOKEN_FILE');
    expect(out).toContain('BITBUCKET_URL (YAML: bitbucket.url) must not contain a user name or password: the token goes in BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE');
    expect(out).not.toContain('pw-in-the-url');
    expect(code).toBe(2);
  });

  it('takes no token as a flag, and documents the environment in --help', async () => {
    const help = await cli(['check', '--help'], {});
    expect(help.out).toContain('BITBUCKET_TOKEN[_FILE]');
    expect(help.out).not.toMatch(/--token/);
    const flag = await cli(['check', '--token', 'x'], env.env);
    expect(flag.out).toContain("unknown option '--token'");
    expect(flag.code).toBe(2);
  });
});
