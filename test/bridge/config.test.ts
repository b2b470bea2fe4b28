import { execFile } from 'node:child_process';
import Database from 'better-sqlite3';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, stateDbPath } from '../../src/bridge/config/load';
import { sources } from '../../src/bridge/config/schema';
import { rotatingSecret } from '../../src/bridge/config/secret-file';
import { inShard, selection } from '../../src/bridge/config/selection';
import { limiter } from '../../src/bridge/http/limiter';
import { holdState } from '../../src/bridge/state/owner';
import { openSqliteStore } from '../../src/bridge/state/sqlite-store';
import { runCli, runCommand } from '../helpers/cli';
import { quietLogger } from './helpers';

// Issue 6, items 1, 5 and 6 in the small: configuration from YAML and the fixed environment names,
// validated into fix-it messages; repository selection by globs and by shard; the SQLite state file.

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), 'bridge-config-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const minimal = { BITBUCKET_EDITION: 'datacenter', BITBUCKET_URL: 'https://bitbucket.example.com', BITBUCKET_TOKEN: 'pat', PANDEV_URL: 'https://ingest.example.com', PANDEV_TOKEN: 't', PANDEV_SIGNING_SECRET: 's' };

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ env: minimal });
    expect(config.bridge).toMatchObject({ db: './pandev-bridge.db', pollSeconds: 60, backfillDays: 30, listen: { host: '127.0.0.1', port: 9464 }, shard: { index: 0, count: 1 } });
    expect(config.bitbucket).toMatchObject({ projects: [], repos: [], requestsPerSecond: 5, concurrency: 4, requestsPerHour: 1000 });
  });

  it('reads YAML, lets the environment override it, and reads secrets from the files named', () => {
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'from-file\n', { mode: 0o600 });
    const yaml = path.join(dir, 'bridge.yaml');
    writeFileSync(yaml, `bitbucket:\n  edition: datacenter\n  url: https://old.example.com\n  tokenFile: ${tokenFile}\n  projects: [PRJ, '!ARCHIVE']\npandev:\n  url: https://ingest.example.com\nbridge:\n  pollSeconds: 120\n`);
    const config = loadConfig({ file: yaml, env: { BITBUCKET_URL: 'https://new.example.com', PANDEV_TOKEN: 't', PANDEV_SIGNING_SECRET_FILE: tokenFile, BITBUCKET_REPOS: 'PRJ/api-*, !PRJ/api-legacy', BRIDGE_SHARD: '1/3' } });
    expect(config.bitbucket).toMatchObject({ url: 'https://new.example.com', token: 'from-file', projects: ['PRJ', '!ARCHIVE'], repos: ['PRJ/api-*', '!PRJ/api-legacy'] });
    expect(config.pandev.signingSecret).toBe('from-file');
    expect(config.bridge).toMatchObject({ pollSeconds: 120, shard: { index: 1, count: 3 } });
  });

  it('says what a valid number looks like, not zod\'s words', () => {
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_WEBHOOK_BACKLOG: '1.5', BITBUCKET_CONCURRENCY: '0', BRIDGE_BACKFILL_DAYS: '9999' } }))).toEqual([
      'BITBUCKET_CONCURRENCY (YAML: bitbucket.concurrency) must be more than 0',
      'BRIDGE_BACKFILL_DAYS (YAML: bridge.backfillDays) must be at most 365',
      'BRIDGE_WEBHOOK_BACKLOG (YAML: bridge.webhookBacklog) must be a whole number',
    ]);
  });

  it('takes a YAML list written as one comma-separated string, as the environment variable is', () => {
    const tokenFile = path.join(dir, 'list-token');
    writeFileSync(tokenFile, 'pat\n', { mode: 0o600 });
    const yaml = path.join(dir, 'comma.yaml');
    writeFileSync(yaml, `bitbucket:\n  edition: datacenter\n  url: https://bitbucket.example.com\n  tokenFile: ${tokenFile}\n  projects: MOB, PLAT\n  repos: "MOB/api-*, !MOB/api-legacy"\npandev:\n  url: https://ingest.example.com\nbridge:\n  allowedHosts: metrics.example.internal, 10.0.0.5\n`);
    const config = loadConfig({ file: yaml, env: { PANDEV_TOKEN: 't', PANDEV_SIGNING_SECRET_FILE: tokenFile } });
    expect(config.bitbucket.projects).toEqual(['MOB', 'PLAT']);
    expect(config.bitbucket.repos).toEqual(['MOB/api-*', '!MOB/api-legacy']);
    expect(config.bridge.allowedHosts).toEqual(['metrics.example.internal', '10.0.0.5']);
  });

  it('says a YAML file that is not YAML, or a list given as something else, is what to fix, beside the other problems', () => {
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'bitbucket:\n  edition: datacenter\n   url: [unclosed\n');
    const [first] = problems(() => loadConfig({ file: broken, env: minimal }));
    expect(first).toMatch(new RegExp(`^--config ${broken}: is not valid YAML \\(.+\\)$`));
    const numbers = path.join(dir, 'numbers.yaml');
    writeFileSync(numbers, 'bitbucket:\n  projects: 42\n');
    expect(problems(() => loadConfig({ file: numbers, env: { ...minimal, BITBUCKET_CONCURRENCY: '0' } }))).toEqual([
      'BITBUCKET_PROJECTS (YAML: bitbucket.projects) must be a list: a YAML list ([A, B]) or comma-separated (A, B)',
      'BITBUCKET_CONCURRENCY (YAML: bitbucket.concurrency) must be more than 0',
    ]);
  });

  it('finds the state file for status and dead-letters from BRIDGE_DB, the YAML, or the default, and says what is wrong with an unreadable YAML', () => {
    const yaml = path.join(dir, 'db.yaml');
    writeFileSync(yaml, 'bridge:\n  db: /var/lib/pandev/state.db\n');
    expect(stateDbPath({ file: yaml, env: {} })).toBe('/var/lib/pandev/state.db');
    expect(stateDbPath({ file: yaml, env: { BRIDGE_DB: '/elsewhere.db' } })).toBe('/elsewhere.db');
    expect(stateDbPath({ env: {} })).toBe('./pandev-bridge.db');
    const broken = path.join(dir, 'db-broken.yaml');
    writeFileSync(broken, 'bridge: [db\n');
    expect(problems(() => stateDbPath({ file: broken, env: {} }))).toEqual([expect.stringMatching(new RegExp(`^--config ${broken}: is not valid YAML `))]);
    expect(problems(() => stateDbPath({ file: path.join(dir, 'absent.yaml'), env: {} }))).toEqual([`--config ${path.join(dir, 'absent.yaml')}: cannot be read (ENOENT); give the path of the bridge's YAML file`]);
  });

  it('refuses secrets written into the YAML file, and typos, saying what to do', () => {
    const yaml = path.join(dir, 'secrets.yaml');
    writeFileSync(yaml, 'bitbucket:\n  token: pat\n  pollSecond: 5\n');
    expect(problems(() => loadConfig({ file: yaml, env: minimal }))).toEqual([
      `${yaml}: bitbucket.token — secrets are not read from the YAML file; put it in a file and set bitbucket.tokenFile, or use the environment variable`,
      `${yaml}: unknown setting bitbucket.pollSecond (check the spelling against the README)`,
    ]);
  });

  it('takes the delivery tuning from the YAML and refuses a misspelt tuning key instead of ignoring it', () => {
    const yaml = path.join(dir, 'tuning.yaml');
    writeFileSync(yaml, 'tuning:\n  maxAttempts: 5\n');
    expect(loadConfig({ file: yaml, env: minimal }).tuning).toMatchObject({ maxAttempts: 5 });
    writeFileSync(yaml, 'tuning:\n  maxAttempt: 5\n');
    expect(problems(() => loadConfig({ file: yaml, env: minimal }))).toEqual([`${yaml}: unknown setting tuning.maxAttempt (check the spelling against the README)`]);
  });

  it('names the variable (and YAML key) of each invalid value', () => {
    // Every problem at once, and a secret set twice is not also called missing.
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_POLL_SECONDS: 'soon', BRIDGE_LISTEN: 'localhost', BITBUCKET_TOKEN_FILE: '/nonexistent' } }))).toEqual([
      'BITBUCKET_TOKEN and BITBUCKET_TOKEN_FILE are both set: keep one',
      'BRIDGE_POLL_SECONDS (YAML: bridge.pollSeconds) must be a number',
      'BRIDGE_LISTEN (YAML: bridge.listen) must be host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to serve other hosts)',
    ]);
    const listed = problems(() => loadConfig({ env: { ...minimal, BRIDGE_POLL_SECONDS: 'soon', BRIDGE_LISTEN: 'localhost' } }));
    expect(listed).toEqual([
      'BRIDGE_POLL_SECONDS (YAML: bridge.pollSeconds) must be a number',
      'BRIDGE_LISTEN (YAML: bridge.listen) must be host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to serve other hosts)',
    ]);
    expect(problems(() => loadConfig({ env: { ...minimal, BITBUCKET_EDITION: 'cloud' } }))).toEqual(['BITBUCKET_WORKSPACE (YAML: bitbucket.workspace) is required for the cloud edition: the workspace slug to poll']);
    expect(problems(() => loadConfig({ env: { ...minimal, BITBUCKET_REQUESTS_PER_HOUR: '1k' } }))).toEqual(['BITBUCKET_REQUESTS_PER_HOUR (YAML: bitbucket.requestsPerHour) must be a number']);
  });

  it('lists a secret file that cannot be read with what to do, beside the other problems, not in place of them', () => {
    const { BITBUCKET_TOKEN: _token, PANDEV_URL: _url, ...rest } = minimal;
    const missing = path.join(dir, 'no-such-token');
    expect(problems(() => loadConfig({ env: { ...rest, BITBUCKET_TOKEN_FILE: missing } }))).toEqual([
      `BITBUCKET_TOKEN_FILE=${missing}: cannot be read (ENOENT); give the path of a file the bridge's user can read, holding the value alone`,
      'PANDEV_URL (YAML: pandev.url) is required',
    ]);
  });

  it('takes BRIDGE_WEBHOOK_LISTEN (YAML: bridge.webhookListen) as host:port, on another port than BRIDGE_LISTEN, for Data Center only', () => {
    expect(loadConfig({ env: minimal }).bridge.webhookListen).toBeUndefined();
    expect(loadConfig({ env: { ...minimal, BRIDGE_WEBHOOK_LISTEN: '0.0.0.0:9465' } }).bridge.webhookListen).toEqual({ host: '0.0.0.0', port: 9465 });
    const yaml = path.join(dir, 'webhook-listen.yaml');
    writeFileSync(yaml, 'bridge:\n  webhookListen: 10.0.0.5:9465\n');
    expect(loadConfig({ file: yaml, env: minimal }).bridge.webhookListen).toEqual({ host: '10.0.0.5', port: 9465 });
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_WEBHOOK_LISTEN: '9465' } }))).toEqual([
      'BRIDGE_WEBHOOK_LISTEN (YAML: bridge.webhookListen) must be host:port, e.g. 127.0.0.1:9464 (0.0.0.0:9464 to serve other hosts)',
    ]);
    // Both on one port would fail the start as "in use by another process", which it is not.
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_WEBHOOK_LISTEN: '0.0.0.0:9464' } }))).toEqual([
      "BRIDGE_WEBHOOK_LISTEN (YAML: bridge.webhookListen) must be another port than BRIDGE_LISTEN's (9464), e.g. 0.0.0.0:9465",
    ]);
    expect(problems(() => loadConfig({ env: { ...minimal, BITBUCKET_EDITION: 'cloud', BITBUCKET_URL: 'https://api.bitbucket.org', BITBUCKET_WORKSPACE: 'acme', BRIDGE_WEBHOOK_LISTEN: '0.0.0.0:9465' } }))).toEqual([
      "BRIDGE_WEBHOOK_LISTEN (YAML: bridge.webhookListen) is for Data Center's webhooks, and the cloud edition takes none: unset it",
    ]);
  });

  it('refuses http:// to a host off this machine unless the operator opts in: tokens and signed bodies would cross the network in clear text', () => {
    expect(problems(() => loadConfig({ env: { ...minimal, PANDEV_URL: 'http://ingest.example.com', BITBUCKET_URL: 'http://10.0.0.7:7990' } }))).toEqual([
      'BITBUCKET_URL (YAML: bitbucket.url) is http:// to 10.0.0.7: the personal access token would cross the network in clear text. Use https:// (BITBUCKET_CA_FILE for an internal CA), or set BITBUCKET_ALLOW_HTTP=1 (YAML: bitbucket.allowHttp) if you accept that',
      'PANDEV_URL (YAML: pandev.url) is http:// to ingest.example.com: the ingest token and every signed delivery would cross the network in clear text. Use https:// (PANDEV_CA_FILE for an internal CA), or set PANDEV_ALLOW_HTTP=1 (YAML: pandev.allowHttp) if you accept that',
    ]);
    const warnings: string[] = [];
    const optedIn = loadConfig({ env: { ...minimal, PANDEV_URL: 'http://ingest.example.com', PANDEV_ALLOW_HTTP: '1', BITBUCKET_URL: 'http://10.0.0.7:7990', BITBUCKET_ALLOW_HTTP: 'true' }, warn: (w) => warnings.push(w) });
    expect(optedIn.pandev.url).toBe('http://ingest.example.com');
    expect(warnings).toEqual([
      'BITBUCKET_URL is http:// to 10.0.0.7 (BITBUCKET_ALLOW_HTTP is set): the personal access token crosses the network in clear text',
      'PANDEV_URL is http:// to ingest.example.com (PANDEV_ALLOW_HTTP is set): the ingest token and every signed delivery cross the network in clear text',
    ]);
    const yaml = path.join(dir, 'allow-http.yaml');
    writeFileSync(yaml, 'pandev:\n  allowHttp: true\n');
    expect(loadConfig({ file: yaml, env: { ...minimal, PANDEV_URL: 'http://ingest.example.com' }, warn: () => undefined }).pandev.url).toBe('http://ingest.example.com');
    expect(problems(() => loadConfig({ env: { ...minimal, PANDEV_ALLOW_HTTP: 'maybe' } }))).toEqual(['PANDEV_ALLOW_HTTP (YAML: pandev.allowHttp) must be 1 or 0 (true or false)']);
    // This host itself (the sandbox, a sidecar proxy that adds TLS) is no network to cross.
    for (const url of ['http://127.0.0.1:4321', 'http://localhost:4321', 'http://[::1]:4321', 'http://sink.localhost']) {
      warnings.length = 0;
      expect(loadConfig({ env: { ...minimal, PANDEV_URL: url, BITBUCKET_URL: url }, warn: (w) => warnings.push(w) }).pandev.url).toBe(url);
      expect(warnings).toEqual([]);
    }
  });

  it('refuses a Cloud URL with a path (the /2.0 of the API docs), which would be asked for /2.0/2.0/...', () => {
    const cloud = { ...minimal, BITBUCKET_EDITION: 'cloud', BITBUCKET_WORKSPACE: 'acme' };
    expect(problems(() => loadConfig({ env: { ...cloud, BITBUCKET_URL: 'https://api.bitbucket.org/2.0/' } }))).toEqual([
      'BITBUCKET_URL (YAML: bitbucket.url) must be the bare host for the cloud edition, https://api.bitbucket.org: the bridge adds /2.0 itself',
    ]);
    expect(loadConfig({ env: { ...cloud, BITBUCKET_URL: 'https://api.bitbucket.org/' } }).bitbucket.url).toBe('https://api.bitbucket.org/');
  });

  it('says a missing edition is required, and lists every missing setting at once (the first run of a newcomer)', () => {
    const { BITBUCKET_EDITION: _edition, ...withoutEdition } = minimal;
    expect(problems(() => loadConfig({ env: withoutEdition }))).toEqual(['BITBUCKET_EDITION (YAML: bitbucket.edition) is required: "datacenter" or "cloud"']);
    // A Cloud operator who set only the edition learns of the workspace now, not after fixing the rest.
    expect(problems(() => loadConfig({ env: { BITBUCKET_EDITION: 'cloud' } }))).toEqual([
      'BITBUCKET_URL (YAML: bitbucket.url) is required',
      'BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE (YAML: bitbucket.tokenFile) is required',
      'PANDEV_URL (YAML: pandev.url) is required',
      'PANDEV_TOKEN or PANDEV_TOKEN_FILE (YAML: pandev.tokenFile) is required',
      'PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE (YAML: pandev.signingSecretFile) is required',
      'BITBUCKET_WORKSPACE (YAML: bitbucket.workspace) is required for the cloud edition: the workspace slug to poll',
    ]);
  });

  it('refuses a URL with a ?query or #fragment: the paths the bridge adds would land in it', () => {
    // https://ingest.example.com/?tenant=a + /v1/bitbucket/webhook/repository posts every delivery to /.
    for (const url of ['https://ingest.example.com/?tenant=a', 'https://ingest.example.com/#ingest', 'https://ingest.example.com?']) {
      expect(problems(() => loadConfig({ env: { ...minimal, PANDEV_URL: url } }))).toEqual([expect.stringMatching(/^PANDEV_URL \(YAML: pandev.url\) must not contain a \?query or #fragment/)]);
    }
    expect(problems(() => loadConfig({ env: { ...minimal, BITBUCKET_URL: 'https://bitbucket.example.com/?x=1' } }))).toEqual([expect.stringMatching(/^BITBUCKET_URL .* must not contain a \?query or #fragment/)]);
  });

  it('says a Bitbucket URL typed without its scheme must be an http(s) URL, rather than failing on it unexplained', () => {
    const mustBeUrl = 'BITBUCKET_URL (YAML: bitbucket.url) must be an http(s) URL with no query, e.g. https://bitbucket.example.com';
    const cloud = { ...minimal, BITBUCKET_EDITION: 'cloud', BITBUCKET_WORKSPACE: 'acme' };
    for (const env of [
      { ...minimal, BITBUCKET_URL: 'bitbucket.example.com' },
      { ...minimal, BITBUCKET_URL: '127.0.0.1:7990' },
      { ...minimal, BITBUCKET_URL: 'bitbucket.example.com', BITBUCKET_CONTEXT_PATH: '/bitbucket' },
      { ...cloud, BITBUCKET_URL: 'api.bitbucket.org' },
    ]) {
      expect(problems(() => loadConfig({ env }))).toEqual([mustBeUrl]);
    }
  });
});

describe('files the configuration names', () => {
  it('names the variable of a CA file that cannot be read or is not PEM, and of a state file no folder can hold', () => {
    const notPem = path.join(dir, 'ca.txt');
    writeFileSync(notPem, 'not a certificate');
    const aFile = path.join(dir, 'a-file');
    writeFileSync(aFile, '');
    expect(problems(() => loadConfig({ env: { ...minimal, BITBUCKET_CA_FILE: path.join(dir, 'missing.pem'), PANDEV_CA_FILE: notPem, BRIDGE_DB: path.join(aFile, 'state', 'state.db') } }))).toEqual([
      `BITBUCKET_CA_FILE (YAML: bitbucket.caFile)=${path.join(dir, 'missing.pem')}: cannot be read (ENOENT); give the path of a PEM file with the CA certificate`,
      `PANDEV_CA_FILE (YAML: pandev.caFile)=${notPem}: holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the CA certificate in PEM form`,
      `BRIDGE_DB (YAML: bridge.db)=${path.join(aFile, 'state', 'state.db')}: ${aFile} is a file, not a folder; point it at a file inside a folder`,
    ]);
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_DB: dir } }))).toEqual([`BRIDGE_DB (YAML: bridge.db)=${dir}: is a folder; give a file path, e.g. /var/lib/pandev-bridge/state.db`]);
    const ca = path.join(__dirname, 'tls', 'localhost.crt');
    expect(loadConfig({ env: { ...minimal, BITBUCKET_CA_FILE: ca, BRIDGE_DB: path.join(dir, 'new', 'folders', 'state.db') } }).bitbucket.caFile).toBe(ca);
  });

  it('lists the files\' problems with the other settings\' at once, not at the start after those are fixed', () => {
    const aFile = path.join(dir, 'a-file-too');
    writeFileSync(aFile, '');
    const { PANDEV_URL: _missing, ...withoutUrl } = minimal;
    expect(problems(() => loadConfig({ env: { ...withoutUrl, PANDEV_TOKEN_FILE: path.join(dir, 'no-token'), PANDEV_TOKEN: '', BITBUCKET_CA_FILE: path.join(dir, 'missing.pem'), BRIDGE_DB: path.join(aFile, 'state.db') } }))).toEqual([
      `PANDEV_TOKEN_FILE=${path.join(dir, 'no-token')}: cannot be read (ENOENT); give the path of a file the bridge's user can read, holding the value alone`,
      'PANDEV_URL (YAML: pandev.url) is required',
      `BITBUCKET_CA_FILE (YAML: bitbucket.caFile)=${path.join(dir, 'missing.pem')}: cannot be read (ENOENT); give the path of a PEM file with the CA certificate`,
      `BRIDGE_DB (YAML: bridge.db)=${path.join(aFile, 'state.db')}: ${aFile} is a file, not a folder; point it at a file inside a folder`,
    ]);
    // An invalid BRIDGE_DB is the schema's to name, once.
    expect(problems(() => loadConfig({ env: { ...minimal, BRIDGE_DB: ' ' } }))).toEqual(['BRIDGE_DB (YAML: bridge.db) must not be empty']);
  });

  it('takes the CA files the YAML names as CA files (a *File key that is not a secret)', () => {
    const ca = path.join(__dirname, 'tls', 'localhost.crt');
    const yaml = path.join(dir, 'ca.yaml');
    writeFileSync(yaml, `bitbucket:\n  caFile: ${ca}\npandev:\n  caFile: ${ca}\n`);
    const warnings: string[] = [];
    const config = loadConfig({ file: yaml, env: minimal, warn: (message) => warnings.push(message) });
    expect(config.bitbucket.caFile).toBe(ca);
    expect(config.pandev.caFile).toBe(ca);
    // A certificate is public: no warning that others can read it.
    expect(warnings).toEqual([]);
  });

  it('names a state folder the bridge cannot write, even when the state file itself is writable (the CLI)', async () => {
    // SQLite in WAL mode keeps -wal and -shm files beside the state file. Run as a user the folder
    // refuses: this one, or nobody when the tests run as root (whom no mode refuses).
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? { uid: 65534, gid: 65534 } : {};
    const open = mkdtempSync(path.join(tmpdir(), 'bridge-state-'));
    chmodSync(open, 0o755);
    const folder = path.join(open, 'state');
    const file = path.join(folder, 'state.db');
    mkdirSync(folder);
    writeFileSync(file, '', { mode: 0o600 });
    if (asRoot) for (const owned of [folder, file]) chownSync(owned, 65534, 65534);
    chmodSync(folder, 0o555);
    try {
      const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../src/cli/main.ts'), 'check'], { ...user, env: { PATH: process.env.PATH ?? '', HOME: open, ...minimal, BRIDGE_DB: file } }, (error, _stdout, stderr) => {
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
        });
      });
      expect(stderr).toContain(`BRIDGE_DB (YAML: bridge.db)=${file}: the folder ${folder} is not writable by this user`);
      expect(code).toBe(2);
    } finally {
      chmodSync(folder, 0o755);
      rmSync(open, { recursive: true, force: true });
    }
  });

  it('refuses, without the value, a token or secret no request can carry: a second line in its file, a zero-width space pasted with it', () => {
    const token = 'pat-0123456789abcdef';
    const file = path.join(dir, 'two-line-token');
    writeFileSync(file, `${token}\n# rotated by vault, 2026-11-27\n`, { mode: 0o600 });
    const { BITBUCKET_TOKEN: _token, ...rest } = minimal;
    const found = problems(() => loadConfig({ env: { ...rest, BITBUCKET_TOKEN_FILE: file, PANDEV_TOKEN: 'ingest\u200btoken', PANDEV_SIGNING_SECRET: 'first\nsecond' } }));
    expect(found).toEqual([
      'BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE (YAML: bitbucket.tokenFile) holds a line break or another control character (character 21): give the value alone, on one line',
      'PANDEV_TOKEN or PANDEV_TOKEN_FILE (YAML: pandev.tokenFile) holds a character an HTTP header cannot carry (character 7, U+200B, such as a zero-width space copied with it): give the token again without it',
      'PANDEV_SIGNING_SECRET or PANDEV_SIGNING_SECRET_FILE (YAML: pandev.signingSecretFile) holds a line break or another control character (character 6): give the value alone, on one line',
    ]);
    expect(found.join('\n')).not.toContain(token);
    // A signing secret is an HMAC key, not a header: any printable character is its own.
    expect(loadConfig({ env: { ...minimal, PANDEV_SIGNING_SECRET: 'clé\u200bsecrète' } }).pandev.signingSecret).toBe('clé\u200bsecrète');
  });

  it('refuses, without the value, a token copied with the scheme of its Authorization header (Bitbucket would answer 401 as for a revoked one)', () => {
    const token = 'pat-0123456789abcdef';
    const file = path.join(dir, 'bearer-token');
    writeFileSync(file, `Bearer ${token}\n`, { mode: 0o600 });
    const { BITBUCKET_TOKEN: _token, ...rest } = minimal;
    const found = problems(() => loadConfig({ env: { ...rest, BITBUCKET_TOKEN_FILE: file, PANDEV_TOKEN: `basic ${token}` } }));
    expect(found).toEqual([
      'BITBUCKET_TOKEN or BITBUCKET_TOKEN_FILE (YAML: bitbucket.tokenFile) starts with "Bearer " as an Authorization header does: give the token alone, without it (the bridge writes the header itself)',
      'PANDEV_TOKEN or PANDEV_TOKEN_FILE (YAML: pandev.tokenFile) starts with "basic " as an Authorization header does: give the token alone, without it (the bridge writes the header itself)',
    ]);
    expect(found.join('\n')).not.toContain(token);
    // A signing secret is no header: a word and a space at its start are its own.
    expect(loadConfig({ env: { ...minimal, PANDEV_SIGNING_SECRET: 'Bearer of news' } }).pandev.signingSecret).toBe('Bearer of news');
  });

  it('keeps the token in use when its file is rewritten with a second line, and says so once, without the value', () => {
    const file = path.join(dir, 'rotating-token');
    writeFileSync(file, 'first-token\n', { mode: 0o600 });
    const lines: string[] = [];
    const token = rotatingSecret('first-token', file, 'the Bitbucket token', { log: quietLogger(lines), inHeader: true });
    writeFileSync(file, 'second-token\nfirst-token\n');
    expect([token.reread(), token.reread(), token.value]).toEqual([false, false, 'first-token']);
    const said = lines.map((line) => JSON.parse(line) as { msg: string; problem?: string });
    expect(said).toEqual([expect.objectContaining({ msg: 'the Bitbucket token in its file is not usable; the value read before stays in use', problem: expect.stringContaining('holds a line break') })]);
    expect(lines.join('\n')).not.toContain('second-token');
    writeFileSync(file, 'second-token\n');
    expect([token.reread(), token.value]).toEqual([true, 'second-token']);
  });

  it('reads a secret file again at most as often as asked, so a flood of wrong webhook signatures reads it little', () => {
    const file = path.join(dir, 'webhook-secret');
    writeFileSync(file, 'first-secret\n', { mode: 0o600 });
    let now = 0;
    const secret = rotatingSecret('first-secret', file, 'the webhook secret', { minIntervalMs: 1000, now: () => now });
    expect(secret.reread()).toBe(false); // read: unchanged
    writeFileSync(file, 'second-secret\n');
    now = 999;
    expect([secret.reread(), secret.value]).toEqual([false, 'first-secret']); // not read: too soon
    now = 1000;
    expect([secret.reread(), secret.value]).toEqual([true, 'second-secret']);
  });

  it('warns, without the content, when a secret file is readable by every user', () => {
    const file = path.join(dir, 'pandev-token');
    writeFileSync(file, 'the-secret-token\n');
    const warnings: string[] = [];
    chmodSync(file, 0o644);
    const env = { ...minimal, PANDEV_TOKEN: '', PANDEV_TOKEN_FILE: file };
    expect(loadConfig({ env, warn: (w) => warnings.push(w) }).pandev.token).toBe('the-secret-token');
    expect(warnings).toEqual([`PANDEV_TOKEN_FILE=${file} is readable by every user (mode 0644): chmod 600 it (or 0440 with the bridge's own group)`]);
    chmodSync(file, 0o600);
    loadConfig({ env, warn: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(1);
  });

  it('lists every environment variable the bridge reads in --help (the CLI)', async () => {
    const cli = runCli(['bridge', '--help']);
    expect(await cli.exited()).toBe(0);
    const names = Object.values(sources).flatMap((source) => source.env?.split(' or ') ?? []).filter((name) => !name.endsWith('_FILE'));
    const missing = names.filter((name) => !new RegExp(`^\\s+${name}(\\[_FILE\\])?[\\s,]`, 'm').test(cli.output()));
    expect(missing).toEqual([]);
  });

  it('exits with the configuration exit code and the fix-it message (the CLI)', async () => {
    const aFile = path.join(dir, 'plain-file');
    writeFileSync(aFile, '');
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../src/cli/main.ts'), 'check'], { env: { PATH: process.env.PATH ?? '', ...minimal, BRIDGE_DB: path.join(aFile, 'state.db') } }, (error, _stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr });
      });
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`BRIDGE_DB (YAML: bridge.db)=${path.join(aFile, 'state.db')}: ${aFile} is a file, not a folder`);
  });

  it('exits with the configuration exit code for a Bitbucket URL without its scheme (the CLI)', async () => {
    const { code, stderr } = await runCommand(['check'], { ...minimal, BITBUCKET_URL: 'bitbucket.example.com' });
    expect(code).toBe(2);
    expect(stderr).toContain('BITBUCKET_URL (YAML: bitbucket.url) must be an http(s) URL');
    expect(stderr).not.toContain('Invalid URL');
  });
});

describe('selection', () => {
  const repo = (project: string, slug: string, id = 1) => ({ project, slug, stableId: String(id) });

  it('includes by glob (none: all), excludes with !, case-insensitively', () => {
    const select = selection({ projects: ['PRJ', 'mob*', '!MOBLEGACY'], repos: ['*/*', '!PRJ/scratch-*'], shard: { index: 0, count: 1 } });
    expect(select.repository(repo('PRJ', 'api'))).toBe(true);
    expect(select.repository(repo('MOBILE', 'app'))).toBe(true);
    expect(select.repository(repo('MOBLEGACY', 'app'))).toBe(false);
    expect(select.repository(repo('PRJ', 'scratch-1'))).toBe(false);
    expect(select.repository(repo('OTHER', 'api'))).toBe(false);
    expect(selection({ projects: [], repos: [], shard: { index: 0, count: 1 } }).repository(repo('ANY', 'thing'))).toBe(true);
  });

  it('splits repositories among n bridges: each in exactly one share, stable, about even', () => {
    const counts = [0, 0, 0];
    for (let id = 1; id <= 3000; id++) {
      const owners = [0, 1, 2].filter((index) => inShard(String(id), { index, count: 3 }));
      expect(owners).toHaveLength(1);
      counts[owners[0]!]!++;
      expect(inShard(String(id), { index: owners[0]!, count: 3 })).toBe(true);
    }
    for (const count of counts) expect(count).toBeGreaterThan(900);
  });
});

describe('the SQLite state file', () => {
  it('is created with mode 0600, in WAL mode, and lists keys by prefix in order, a page at a time', async () => {
    const file = path.join(dir, 'nested', 'state.db');
    let now = 1_000_000;
    const store = openSqliteStore(file, { now: () => now });
    try {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      for (const key of ['b:2', 'a:1', 'b:10', 'b:1', 'c:1']) await store.set(key, { key });
      await store.set('b:ttl', 1, { ttlSeconds: 10 });
      const first = await store.list<{ key: string }>('b:', { limit: 2 });
      expect(first.entries.map((e) => e.key)).toEqual(['b:1', 'b:10']);
      const second = await store.list('b:', { limit: 10, cursor: first.cursor! });
      expect(second.entries.map((e) => e.key)).toEqual(['b:2', 'b:ttl']);
      expect(second.cursor).toBeUndefined();
      now += 11_000;
      expect(await store.get('b:ttl')).toBeUndefined();
      expect(store.count('b:')).toBe(3);
      expect(store.purgeExpired()).toBe(1);
      expect(statSync(`${file}-wal`).mode & 0o777).toBe(0o600);
    } finally {
      store.close();
    }
  });

  it('creates the folders it lacks with mode 0700, and leaves an existing folder as it is', () => {
    // The state folder holds the state file, its -wal and -shm and the owner's lock: another user who
    // may list it or add files there (0755, 0777 under the umask) has no business there.
    const opened = path.join(dir, 'opened', 'deeper', 'state.db');
    const locked = path.join(dir, 'locked', 'state.db');
    const existing = path.join(dir, 'existing', 'state.db');
    mkdirSync(path.dirname(existing), { mode: 0o755 });
    chmodSync(path.dirname(existing), 0o755);
    // The bridge takes the lock first, `status` and `check` open the file alone: either may make the folder.
    openSqliteStore(opened).close();
    holdState(locked).release();
    const hold = holdState(existing);
    openSqliteStore(existing).close();
    hold.release();
    const mode = (folder: string) => statSync(folder).mode & 0o777;
    expect({ opened: mode(path.join(dir, 'opened')), deeper: mode(path.dirname(opened)), locked: mode(path.dirname(locked)), existing: mode(path.dirname(existing)) }).toEqual({ opened: 0o700, deeper: 0o700, locked: 0o700, existing: 0o755 });
  });

  it('tightens an existing file to 0600 together with the -wal and -shm files SQLite keeps beside it', async () => {
    // A state file from before the bridge made it 0600 (or copied in with the umask's 0644), and a
    // writer that died without checkpointing: the -wal holds the latest rows, readable by every user.
    const file = path.join(dir, 'loose', 'state.db');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '', { mode: 0o644 });
    chmodSync(file, 0o644);
    const other = new Database(file);
    try {
      other.pragma('journal_mode = WAL');
      other.exec("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID; INSERT INTO kv VALUES ('k', '1', NULL)");
      for (const suffix of ['-wal', '-shm']) chmodSync(`${file}${suffix}`, 0o644);
      const store = openSqliteStore(file);
      try {
        expect(await store.get('k')).toBe(1);
        expect({ db: statSync(file).mode & 0o777, wal: statSync(`${file}-wal`).mode & 0o777, shm: statSync(`${file}-shm`).mode & 0o777 }).toEqual({ db: 0o600, wal: 0o600, shm: 0o600 });
      } finally {
        store.close();
      }
    } finally {
      other.close();
    }
  });
});

describe('the request limiter', () => {
  it('caps the rate and the requests in flight, and slows down after a 429', async () => {
    const limit = limiter({ ratePerSecond: 40, burst: 1, concurrency: 2 });
    let inFlight = 0;
    let most = 0;
    const started = Date.now();
    await Promise.all(Array.from({ length: 12 }, async () => {
      const release = await limit.acquire();
      most = Math.max(most, ++inFlight);
      // Held longer than a token takes to come: without the semaphore, three or more would overlap.
      await new Promise((resolve) => setTimeout(resolve, 80));
      inFlight--;
      release();
    }));
    expect(most).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // 11 tokens after the first, at 40 a second
    limit.pauseUntil(Date.now() + 100);
    const paused = Date.now();
    (await limit.acquire())();
    (await limit.acquire())();
    // The pause, then half the rate (20 a second): the second request waits about 50 ms more.
    expect(Date.now() - paused).toBeGreaterThanOrEqual(140);
  });
});
