import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { fileProblems, namedFiles, secretFileWarning } from './files';
import { Tuning } from '../../core/config/settings';
import { BridgeConfig, clearText, clearTextHost, sources } from './schema';

// Configuration = the YAML file (`--config`) overlaid by the environment (so a container can change
// one setting without a new file). Secrets come from the environment or from files the YAML names,
// never from the YAML itself (it tends to be committed) and never from command-line flags (they show
// in `ps`). Every problem is reported at once, each with where to fix it.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`the bridge configuration has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const Section = (shape: z.ZodRawShape) => z.strictObject(shape).optional();
const any = z.unknown().optional();
/** The YAML file's shape: the config's, with `*File` in place of secrets; unknown keys are typos. */
const YamlFile = z.strictObject({
  bitbucket: Section({
    edition: any, url: any, contextPath: any, tokenFile: any, username: any, workspace: any, projects: any, repos: any,
    caFile: any, timeoutSeconds: any, requestsPerSecond: any, requestsPerHour: any, burst: any, concurrency: any, instanceId: any, allowHttp: any,
  }),
  pandev: Section({ url: any, tokenFile: any, signingSecretFile: any, caFile: any, allowHttp: any }),
  bridge: Section({ db: any, pollSeconds: any, backfillDays: any, listen: any, webhookListen: any, allowedHosts: any, shard: any, webhookSecretFile: any, webhookBacklog: any, logLevel: any }),
  tuning: Section(Object.fromEntries(Object.keys(Tuning.shape).map((key) => [key, any]))),
});

const secretFileKeys = new Set(['tokenFile', 'signingSecretFile', 'webhookSecretFile']);

type Raw = Record<string, Record<string, unknown>>;
type Env = Record<string, string | undefined>;

/** Where problems go (ConfigError) and where warnings go: stderr unless the caller says. */
interface Report {
  problems: string[];
  warnings: string[];
  /** Settings (`section.key`) a problem already names, so the schema does not call them missing too. */
  named: Set<string>;
  /** The YAML file was not read: the schema would call everything it holds missing. */
  yamlUnread: boolean;
}

export function loadConfig(options: { file?: string; env?: Env; warn?: (message: string) => void } = {}): BridgeConfig {
  const env = options.env ?? process.env;
  const report: Report = { problems: [], warnings: [], named: new Set(), yamlUnread: false };
  const raw: Raw = { bitbucket: {}, pandev: {}, bridge: {} };
  if (options.file) mergeYaml(options.file, raw, report);
  mergeEnv(env, raw, report);
  const warn = options.warn ?? ((message: string) => console.error(`warning: ${message}`));
  report.warnings.forEach(warn);
  if (report.yamlUnread) throw new ConfigError(report.problems);
  const parsed = BridgeConfig.safeParse(raw);
  // All at once: an unreadable token file must not hide a missing PANDEV_URL until the next start, nor
  // either of them a BRIDGE_DB no folder can hold.
  const invalid = parsed.success ? [] : parsed.error.issues.filter((issue) => !report.named.has(issue.path.join('.'))).map(describeIssue);
  const files = fileProblems(namedFiles(raw), whereIs);
  if (report.problems.length || !parsed.success || files.length) throw new ConfigError([...report.problems, ...invalid, ...files]);
  for (const section of ['bitbucket', 'pandev'] as const) {
    const host = clearTextHost(parsed.data[section].url);
    const { env: name, what, crosses, optIn } = clearText[section];
    // Only an operator who opted in gets this far with such a URL: said at every start, not refused.
    if (host) warn(`${name} is http:// to ${host} (${optIn} is set): ${what} ${crosses} the network in clear text`);
  }
  return parsed.data;
}

function mergeYaml(file: string, raw: Raw, report: Report): void {
  const { problems } = report;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    problems.push(`--config ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of the bridge's YAML file`);
    report.yamlUnread = true;
    return;
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (error) {
    problems.push(`--config ${file}: is not valid YAML (${(error as Error).message.split('\n')[0]})`);
    report.yamlUnread = true;
    return;
  }
  const checked = YamlFile.safeParse(document);
  if (!checked.success) {
    report.yamlUnread = true;
    for (const issue of checked.error.issues) {
      const where = issue.path.join('.');
      const keys = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => (where ? `${where}.${k}` : k)) : [];
      const secrets = keys.filter((k) => /(token|secret)$/i.test(k));
      const unknown = keys.filter((k) => !secrets.includes(k));
      for (const secret of secrets) problems.push(`${file}: ${secret} — secrets are not read from the YAML file; put it in a file and set ${secret}File, or use the environment variable`);
      if (unknown.length) problems.push(`${file}: unknown setting${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (check the spelling against the README)`);
      if (!keys.length) problems.push(`${file}: ${where || '(top level)'} ${issue.message}`);
    }
    return;
  }
  const doc = checked.data as Record<string, Record<string, unknown> | undefined>;
  for (const section of ['bitbucket', 'pandev', 'bridge'] as const) {
    for (const [key, value] of Object.entries(doc[section] ?? {})) {
      // caFile ends in File too, but is a path the HTTP stack reads, not a secret to read here.
      if (secretFileKeys.has(key)) readSecretFile(String(value), `${file}: ${section}.${key}`, raw, section, key.slice(0, -4), report);
      else raw[section]![key] = value;
    }
  }
  if (doc.tuning !== undefined) raw.tuning = doc.tuning as Record<string, unknown>;
}

// Names are fixed (README): operators script them.
// A list's variable is passed on as written: the schema splits it at commas, as it does the YAML's (listOf).
const plain: Array<[string, string, string, 'text' | 'number' | 'flag']> = [
  ['BITBUCKET_EDITION', 'bitbucket', 'edition', 'text'],
  ['BITBUCKET_URL', 'bitbucket', 'url', 'text'],
  ['BITBUCKET_CONTEXT_PATH', 'bitbucket', 'contextPath', 'text'],
  ['BITBUCKET_USERNAME', 'bitbucket', 'username', 'text'],
  ['BITBUCKET_WORKSPACE', 'bitbucket', 'workspace', 'text'],
  ['BITBUCKET_PROJECTS', 'bitbucket', 'projects', 'text'],
  ['BITBUCKET_REPOS', 'bitbucket', 'repos', 'text'],
  ['BITBUCKET_CA_FILE', 'bitbucket', 'caFile', 'text'],
  ['BITBUCKET_REQUESTS_PER_SECOND', 'bitbucket', 'requestsPerSecond', 'number'],
  ['BITBUCKET_CONCURRENCY', 'bitbucket', 'concurrency', 'number'],
  ['BITBUCKET_REQUESTS_PER_HOUR', 'bitbucket', 'requestsPerHour', 'number'],
  ['BITBUCKET_ALLOW_HTTP', 'bitbucket', 'allowHttp', 'flag'],
  ['PANDEV_ALLOW_HTTP', 'pandev', 'allowHttp', 'flag'],
  ['PANDEV_URL', 'pandev', 'url', 'text'],
  ['PANDEV_CA_FILE', 'pandev', 'caFile', 'text'],
  ['BRIDGE_DB', 'bridge', 'db', 'text'],
  ['BRIDGE_POLL_SECONDS', 'bridge', 'pollSeconds', 'number'],
  ['BRIDGE_BACKFILL_DAYS', 'bridge', 'backfillDays', 'number'],
  ['BRIDGE_LISTEN', 'bridge', 'listen', 'text'],
  ['BRIDGE_WEBHOOK_LISTEN', 'bridge', 'webhookListen', 'text'],
  ['BRIDGE_ALLOWED_HOSTS', 'bridge', 'allowedHosts', 'text'],
  ['BRIDGE_SHARD', 'bridge', 'shard', 'text'],
  ['BRIDGE_LOG_LEVEL', 'bridge', 'logLevel', 'text'],
  ['BRIDGE_WEBHOOK_BACKLOG', 'bridge', 'webhookBacklog', 'number'],
];
const secrets: Array<[string, string, string]> = [
  ['BITBUCKET_TOKEN', 'bitbucket', 'token'],
  ['PANDEV_TOKEN', 'pandev', 'token'],
  ['PANDEV_SIGNING_SECRET', 'pandev', 'signingSecret'],
  ['BRIDGE_WEBHOOK_SECRET', 'bridge', 'webhookSecret'],
];

function mergeEnv(env: Env, raw: Raw, report: Report): void {
  const { problems } = report;
  for (const [name, section, key, type] of plain) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (type === 'number') raw[section]![key] = /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    // Anything else stays a string, which the schema refuses naming the variable.
    else if (type === 'flag') raw[section]![key] = /^\s*(1|true|yes)\s*$/i.test(value) ? true : /^\s*(0|false|no)\s*$/i.test(value) ? false : value;
    else raw[section]![key] = value.trim();
  }
  for (const [name, section, key] of secrets) {
    const direct = env[name];
    const file = env[`${name}_FILE`];
    if (direct && file) {
      problems.push(`${name} and ${name}_FILE are both set: keep one`);
      report.named.add(`${section}.${key}`);
    } else if (direct) raw[section]![key] = direct.trim();
    else if (file) readSecretFile(file, `${name}_FILE`, raw, section, key, report);
  }
}

function readSecretFile(file: string, where: string, raw: Raw, section: string, key: string, report: Report): void {
  const into = raw[section]!;
  try {
    into[key] = readFileSync(file, 'utf8').trim();
    // Kept so a running bridge can read a rotated secret again (secret-file.ts).
    into[`${key}File`] = file;
  } catch (error) {
    report.problems.push(`${where}=${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of a file the bridge's user can read, holding the value alone`);
    report.named.add(`${section}.${key}`);
    return;
  }
  const warning = secretFileWarning(file, where);
  if (warning) report.warnings.push(warning);
}

/** A setting's path as an operator finds it: the variable and the YAML key. */
function whereIs(path: string): string {
  // A list's item (bridge.allowedHosts.0) is named by its list's setting.
  const source = sources[path] ?? sources[path.replace(/(\.\d+)+$/, '')];
  return source ? (source.env ? `${source.env} (YAML: ${source.yaml})` : source.yaml) : path || 'configuration';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.join('.');
  const where = whereIs(path);
  const missing = issue.code === 'invalid_type' && issue.message.includes('undefined');
  return missing ? `${where} is required` : `${where} ${plainWords(issue)}`;
}

/** Zod's words for the common slips ("expected int, received number"), as what a valid value looks like. */
function plainWords(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'must be a number';
  if (issue.code === 'invalid_type' && issue.expected === 'int') return 'must be a whole number';
  if (issue.code === 'invalid_type' && issue.expected === 'array') return 'must be a list: a YAML list ([A, B]) or comma-separated (A, B)';
  if (issue.code === 'too_small' && issue.origin === 'number') return `must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
  return issue.message;
}

/**
 * Only where the state database is, for commands that read it (status, dead-letters list) and must
 * work without the tokens: BRIDGE_DB, else the YAML's bridge.db, else the default.
 */
export function stateDbPath(options: { file?: string; env?: Env } = {}): string {
  const env = options.env ?? process.env;
  if (env.BRIDGE_DB) return env.BRIDGE_DB;
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      // As loadConfig says it, not Node's "ENOENT: no such file or directory, open …".
      throw new ConfigError([`--config ${options.file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); give the path of the bridge's YAML file`]);
    }
    try {
      const doc = parseYaml(text) as { bridge?: { db?: unknown } } | null;
      if (typeof doc?.bridge?.db === 'string') return doc.bridge.db;
    } catch (error) {
      throw new ConfigError([`--config ${options.file}: is not valid YAML (${(error as Error).message.split('\n')[0]})`]);
    }
  }
  return './pandev-bridge.db';
}
