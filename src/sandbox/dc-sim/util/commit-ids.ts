// Commit ids that carry their own locator. A seeded commit's 40 hex digits are a keyed, reversible
// scramble of where it comes from (which repository, which main-line position or which pull request
// commit) followed by filler derived from it. Looking a seeded commit up is decoding, so an instance
// with hundreds of thousands of generated commits needs no hash index, yet the ids look random.
import { fmix32 } from './hash';

export type CommitLocator =
  | { kind: 'main'; repoIndex: number; index: number }
  | { kind: 'pr'; repoIndex: number; pullRequestId: number; index: number };

const TWO_24 = 16777216;
const TWO_36 = 68719476736;
const TWO_46 = 70368744177664;
const MAX_REPOS = 1024;
const MAX_PR_COMMITS = 1024;
const ROUNDS = 4;

function pack(locator: CommitLocator): number {
  if (locator.repoIndex < 0 || locator.repoIndex >= MAX_REPOS) throw new RangeError(`repository index ${locator.repoIndex} out of range`);
  const payload = locator.kind === 'main'
    ? locator.index
    : locator.pullRequestId * MAX_PR_COMMITS + locator.index;
  if (locator.kind === 'pr' && locator.index >= MAX_PR_COMMITS) throw new RangeError('too many commits in one pull request');
  if (payload >= TWO_36) throw new RangeError('commit locator out of range');
  return (locator.kind === 'main' ? 0 : 1) * TWO_46 + locator.repoIndex * TWO_36 + payload;
}

function unpack(value: number): CommitLocator | undefined {
  const kind = Math.floor(value / TWO_46);
  const repoIndex = Math.floor((value % TWO_46) / TWO_36);
  const payload = value % TWO_36;
  if (kind === 0) return { kind: 'main', repoIndex, index: payload };
  if (kind === 1) return { kind: 'pr', repoIndex, pullRequestId: Math.floor(payload / MAX_PR_COMMITS), index: payload % MAX_PR_COMMITS };
  return undefined;
}

export class CommitIds {
  private readonly keys: number[];

  /** `key` comes from the instance seed, so two seeds give unrelated ids for the same history. */
  constructor(key: number) {
    this.keys = Array.from({ length: ROUNDS + 4 }, (_, round) => fmix32(key + round * 0x9e3779b9));
  }

  encode(locator: CommitLocator): string {
    const value = pack(locator);
    let left = Math.floor(value / TWO_24);
    let right = value % TWO_24;
    // A balanced Feistel network over two 24-bit halves: a permutation of the 48-bit locator.
    for (let round = 0; round < ROUNDS; round++) {
      [left, right] = [right, (left ^ (fmix32(right ^ (this.keys[round] as number)) & 0xffffff)) >>> 0];
    }
    let hex = left.toString(16).padStart(6, '0') + right.toString(16).padStart(6, '0');
    for (let i = 0; hex.length < 40; i++) hex += fmix32(left ^ Math.imul(right + i, this.keys[ROUNDS + (i % 4)] as number)).toString(16).padStart(8, '0');
    return hex.slice(0, 40);
  }

  /** The locator of a seeded id, or undefined for anything else (live commits, typos, abbreviations). */
  decode(hash: string): CommitLocator | undefined {
    if (!/^[0-9a-f]{40}$/.test(hash)) return undefined;
    let left = parseInt(hash.slice(0, 6), 16);
    let right = parseInt(hash.slice(6, 12), 16);
    for (let round = ROUNDS - 1; round >= 0; round--) {
      [left, right] = [(right ^ (fmix32(left ^ (this.keys[round] as number)) & 0xffffff)) >>> 0, left];
    }
    const locator = unpack(left * TWO_24 + right);
    return locator && this.encode(locator) === hash ? locator : undefined;
  }
}
