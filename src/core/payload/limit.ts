import type { Body } from './cloud';

// Bitbucket does not send webhooks over 256 KB, and PanDev's parsers were built for what Bitbucket sends.
// An oversized body first sheds what is derivable (rendered HTML copies of raw text), then trims long
// text and the extra commit lists, then the oldest commits' file lists, then their messages' bodies
// (and what a first line has past 1 KB); whatever was cut is named under `pandev.truncated`.

export const WEBHOOK_BODY_LIMIT = 256 * 1024;

export class PayloadTooLargeError extends Error {
  constructor(readonly bytes: number) {
    super(`the payload is ${Math.round(bytes / 1024)} KB even after trimming, over Bitbucket's 256 KB webhook limit`);
    this.name = 'PayloadTooLargeError';
  }
}

export const TEXT_LIMIT = 16 * 1024;
/** What an oversized body keeps of `pandev.commits` and `pandev.pullrequest.commits`: the newest this many. */
export const OVERSIZE_COMMITS = 100;

export function serializeWithinLimit(body: Body, limit = WEBHOOK_BODY_LIMIT): string {
  let json = JSON.stringify(body);
  if (Buffer.byteLength(json) <= limit) return json;
  const trimmed = structuredClone(body);
  const cut: string[] = [];
  dropRendered(trimmed, '', cut);
  json = JSON.stringify(withTruncated(trimmed, cut));
  if (Buffer.byteLength(json) <= limit) return json;
  trimLongText(trimmed, '', cut);
  const pandev = trimmed.pandev as Body | undefined;
  if (pandev && Array.isArray(pandev.commits)) {
    pandev.commits = pandev.commits.slice(0, OVERSIZE_COMMITS);
    pandev.commits_truncated = true;
    cut.push('pandev.commits');
  }
  json = JSON.stringify(withTruncated(trimmed, cut));
  if (Buffer.byteLength(json) > limit && pandev && Array.isArray(pandev.commits)) json = dropFileLists(trimmed, pandev.commits as Body[], cut, Buffer.byteLength(json), limit);
  if (Buffer.byteLength(json) > limit && pandev && Array.isArray(pandev.commits)) json = shortenMessages(trimmed, pandev.commits as Body[], cut, Buffer.byteLength(json), limit);
  const pullRequest = pandev?.pullrequest as Body | undefined;
  if (Buffer.byteLength(json) > limit && pullRequest && Array.isArray(pullRequest.commits)) json = fitOwnCommits(trimmed, pullRequest, pullRequest.commits as Body[], cut, limit);
  // Last, any text past SUBJECT_LIMIT: the native commits a push lists (and its refs' head commits)
  // carry a one-line message twice (message, summary), which the steps above leave whole.
  if (Buffer.byteLength(json) > limit) {
    trimLongText(trimmed, '', cut, SUBJECT_LIMIT);
    json = JSON.stringify(withTruncated(trimmed, cut));
  }
  if (Buffer.byteLength(json) > limit) throw new PayloadTooLargeError(Buffer.byteLength(json));
  return json;
}

/**
 * A push of many large commits: the file lists of the oldest commits go (each keeps `files_count` and
 * says `files_truncated`) until the body fits. Refusing the body instead would stop its ref for good.
 */
function dropFileLists(body: Body, commits: Body[], cut: string[], bytes: number, limit: number): string {
  let size = bytes;
  for (let i = commits.length - 1; i >= 0 && size > limit; i--) {
    const commit = commits[i] as Body;
    if (!Array.isArray(commit.files)) continue;
    // `"files":[…],` leaves; files_truncated is there already (false → true: one byte less).
    size -= Buffer.byteLength(`"files":${JSON.stringify(commit.files)},`) + (commit.files_truncated === false ? 1 : 0);
    delete commit.files;
    commit.files_truncated = true;
    cut.push('pandev.commits[].files');
  }
  return JSON.stringify(withTruncated(body, cut));
}

/**
 * A pull request's own commits (oldest first): the oldest messages keep their first line until the body
 * fits, every commit still listed. A list too long even then (a release branch's thousands) keeps its
 * newest hundred, whole, and shortens the oldest of those the same way.
 */
function fitOwnCommits(body: Body, pullRequest: Body, all: Body[], cut: string[], limit: number): string {
  const whole = shortenedToFit(body, pullRequest, all, [...cut], limit);
  if (Buffer.byteLength(whole) <= limit || all.length <= OVERSIZE_COMMITS) return whole;
  pullRequest.commits_truncated = true;
  return shortenedToFit(body, pullRequest, all.slice(-OVERSIZE_COMMITS), [...cut, 'pandev.pullrequest.commits'], limit);
}

/** `commits` as the pull request's list, copied so a second try starts from the messages as they were. */
function shortenedToFit(body: Body, pullRequest: Body, commits: Body[], cut: string[], limit: number): string {
  const listed = commits.map((commit) => ({ ...commit }));
  pullRequest.commits = listed;
  const json = JSON.stringify(withTruncated(body, cut));
  if (Buffer.byteLength(json) <= limit) return json;
  // Reversed, so the oldest are shortened first (the objects are the body's own).
  return shortenMessages(body, [...listed].reverse(), cut, Buffer.byteLength(json), limit, 'pandev.pullrequest.commits');
}

/**
 * Then the oldest commits' messages keep their first line (each says `message_truncated`): a squash
 * merge lists every commit it squashed, and a hundred of those outgrow the limit on their own.
 */
function shortenMessages(body: Body, commits: Body[], cut: string[], bytes: number, limit: number, path = 'pandev.commits'): string {
  keepSubjects(commits, bytes - limit, cut, `${path}[].message`);
  return JSON.stringify(withTruncated(body, cut));
}

/**
 * What a shortened message keeps of a first line longer than this (a message of one long line, as a
 * generated commit may have), cut at a whole character and ending in `…`. Kept whole, a hundred such
 * lines of 8–16 KB cannot fit the limit, and the body was refused: its commits were never delivered.
 */
export const SUBJECT_LIMIT = 1024;

/**
 * Commits from the last of `commits` back keep their messages' first line, itself cut to SUBJECT_LIMIT
 * characters (each says `message_truncated`), until `excess` bytes are gone, or none is left to
 * shorten; `path` is named in `cut` when one was. The bytes it saved.
 */
export function keepSubjects(commits: Body[], excess: number, cut: string[], path: string): number {
  let saved = 0;
  for (let i = commits.length - 1; i >= 0 && saved < excess; i--) {
    const commit = commits[i] as Body;
    if (typeof commit.message !== 'string') continue;
    const line = commit.message.split('\n', 1)[0]!;
    const subject = line.length > SUBJECT_LIMIT ? `${wholeCharacters(line.slice(0, SUBJECT_LIMIT))}…` : line;
    if (subject === commit.message) continue;
    saved += Buffer.byteLength(JSON.stringify(commit.message)) - Buffer.byteLength(`${JSON.stringify(subject)},"message_truncated":true`);
    commit.message = subject;
    commit.message_truncated = true;
    cut.push(path);
  }
  return saved;
}

function withTruncated(body: Body, cut: string[]): Body {
  const pandev = (body.pandev as Body | undefined) ?? {};
  // What the mapper named cut already (a repository change Forge cut) stays named.
  const before = Array.isArray(pandev.truncated) ? (pandev.truncated as string[]) : [];
  return { ...body, pandev: { ...pandev, truncated: [...new Set([...before, ...cut])] } };
}

/** Drops the rendered HTML copies of raw text in place, naming each path cut in `cut`. */
export function dropRendered(node: unknown, path: string, cut: string[]): void {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const here = path ? `${path}.${key}` : key;
    if (key === 'rendered' || (key === 'html' && typeof value === 'string')) {
      delete record[key];
      cut.push(here.replace(/\.\d+\./g, '[].'));
    } else dropRendered(value, here, cut);
  }
}

/** Cuts text past `max` characters in place (whole characters, ending in `…`), naming each path cut in `cut`. */
export function trimLongText(node: unknown, path: string, cut: string[], max = TEXT_LIMIT): void {
  if (!node || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(record)) {
    const here = path ? `${path}.${key}` : key;
    if (typeof value === 'string' && value.length > max) {
      record[key] = `${wholeCharacters(value.slice(0, max))}…`;
      cut.push(here.replace(/\.\d+\./g, '[].'));
    } else trimLongText(value, here, cut, max);
  }
}

/** Half of a character cut in two (an emoji is two UTF-16 units) is no text: JSON carries it as a lone `\ud83d`. */
function wholeCharacters(text: string): string {
  const last = text.charCodeAt(text.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? text.slice(0, -1) : text;
}
