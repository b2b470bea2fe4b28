// What a seeded commit says and touches, generated from its own random stream when someone asks.
import type { DcRepository } from '../model/repository';
import type { DcModel } from '../model/state';
import type { DcUser, FileChange, Person } from '../model/types';
import { EXTENSIONS, FILE_WORDS, NOUNS, SOURCE_DIRS } from '../../sim-common/words';
import type { Prng } from '../../sim-common/prng';

/** Commits by automation carry an email no Bitbucket user has, so DC shows only name and email. */
export const RELEASE_BOT: Person = { name: 'Release Bot', email: 'release-bot@example.com' };

export const ZERO_HASH = '0'.repeat(40);

export const person = (user: DcUser): Person => ({ name: user.displayName, email: user.email, userId: user.id });

const DETAILS = ['edge case', 'tests', 'logging', 'error path', 'config', 'docs', 'null check', 'retry path', 'naming'] as const;
const ACTIONS = ['Add', 'Fix', 'Handle', 'Tidy', 'Cover', 'Rework'] as const;

export function commitMessage(rng: Prng, repo: DcRepository, noun: string): string {
  const subject = `${rng.pick(ACTIONS)} ${noun} ${rng.pick(DETAILS)}`;
  return rng.chance(0.3) ? `${subject}\n\nSee ${repo.projectKey.replace(/^~/, '').toUpperCase()}-${rng.int(100, 999)}.` : subject;
}

/** One to three files, mostly edits of files the repository has. */
export function fileChanges(rng: Prng, repo: DcRepository, count = rng.int(1, 3)): FileChange[] {
  const dirs = SOURCE_DIRS[repo.language] ?? ['src'];
  const ext = EXTENSIONS[repo.language] ?? 'txt';
  const changes: FileChange[] = [];
  for (let i = 0; i < count; i++) {
    const added = repo.files.length === 0 || rng.chance(0.25);
    const path = added ? `${rng.pick(dirs)}/${rng.pick(FILE_WORDS)}-${rng.hex(4)}.${ext}` : rng.pick(repo.files);
    if (changes.some((change) => change.path === path)) continue;
    changes.push({ path, type: added ? 'ADD' : 'MODIFY', contentId: rng.hex(40), fromContentId: added ? ZERO_HASH : rng.hex(40) });
  }
  return changes;
}

/** A direct push to the default branch: a person most of the time, the release bot sometimes. */
export function directCommitContent(model: DcModel, repo: DcRepository, rng: Prng): { author: Person; message: string; changes: FileChange[] } {
  const author = rng.chance(0.15) ? RELEASE_BOT : person(rng.pick(model.users.slice(1)));
  const message = author === RELEASE_BOT ? `Bump version to 1.${rng.int(0, 40)}.${rng.int(0, 9)}` : commitMessage(rng, repo, rng.pick(NOUNS));
  return { author, message, changes: fileChanges(rng, repo) };
}

/** Data Center's merge commit message for a pull request (as real merges print it). */
export function mergeMessage(repo: DcRepository, pr: { id: number; title: string; branch: string; target: string }, tipMessages: { id: string; subject: string }[]): string {
  const last = tipMessages.at(-1);
  const listed = tipMessages.slice().reverse().map((commit) => `  ${commit.subject}`).join('\n');
  return [
    `Pull request #${pr.id}: ${pr.title}`,
    '',
    `Merge in ${repo.projectKey}/${repo.slug} from ${pr.branch} to ${pr.target}`,
    '',
    `* commit '${last?.id ?? ''}':`,
    listed,
  ].join('\n');
}

export const subject = (message: string): string => message.split('\n', 1)[0] ?? '';
