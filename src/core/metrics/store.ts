import { z } from 'zod';
import { kvKey, MAX_KEY_LENGTH, nameKey } from '../keys';
import { allEntries, type KeyValueStore } from '../ports';
import { DeploymentFacts, PullRequestFacts } from './facts';

// The facts the metrics read, kept from what the app already delivered (see recorder.ts): a record
// per pull request, per production-relevant deployment, per commit seen (its parents and date, so
// "does this deployment include that merge" is a walk, not a request), per branch (its first commit
// seen), and the state of our comment on each pull request. Kept a little longer than the longest
// window the figures read.

const TTL_SECONDS = 45 * 24 * 3600;

export const CommitFacts = z.object({ parents: z.array(z.string()), date: z.string().optional() });
export type CommitFacts = z.infer<typeof CommitFacts>;

export const BranchFacts = z.object({
  firstCommitOn: z.string().optional(),
  /** The branch was force-pushed since its first commit was seen: that commit may be gone from it. */
  forced: z.boolean().default(false),
  /**
   * When this life of the branch name began (its creation, its deletion, the close of a pull request
   * from it): pushes from before belong to an earlier life, and so do pull requests opened before.
   */
  since: z.string().optional(),
  /** When the earliest push these facts hold was made. */
  pushedSince: z.string().optional(),
  /**
   * The latest pushes these facts hold, each on its own (branch-life.ts): Forge does not order events,
   * and a push reported before the creation, deletion or close that began its life is that life's all the same.
   */
  pushes: z.array(z.object({ at: z.string(), firstCommitOn: z.string().optional(), forced: z.boolean().optional() })).optional(),
  /**
   * The first commit of the work the pull request that began this life merged, and where: that work
   * has not reached other destinations, so a pull request into one of them still counts from it
   * (`feature/x` merged into `staging`, then into `main`).
   */
  merged: z.object({ into: z.string(), firstCommitOn: z.string() }).optional(),
});
export type BranchFacts = z.infer<typeof BranchFacts>;

export const CommentState = z.object({
  /** Bitbucket's id of our comment, once posted. */
  commentId: z.number().int().optional(),
  /** A post was started at this time: if it has no id, the post may have landed without our knowing. */
  postingSince: z.number().optional(),
  /** Which job started it (its token, kept by its retries): another job's post may be under way still. */
  poster: z.string().optional(),
  /** The text last written, so a retry or a repeated trigger that changes nothing costs no request. */
  content: z.string().optional(),
  /**
   * The comment reports the production deployment: nothing more changes it, unless an earlier one that
   * includes the merge is reported late (Forge does not order events; the reconciliation finds lost ones).
   */
  deployed: z.boolean().default(false),
  /** When the deployment the comment reports completed, in whole seconds (absent before it was kept). */
  deployedAt: z.number().optional(),
  /** Someone deleted our comment: they did not want it, so it is neither edited nor posted again. */
  deletedOnBitbucket: z.boolean().optional(),
});
export type CommentState = z.infer<typeof CommentState>;

const COMMIT_KEY = 12; // pull request endpoints name commits by 12 characters; the feeds by 40

export function factsStore(store: KeyValueStore) {
  const key = (...parts: Array<string | number>) => kvKey('metrics', ...parts);
  const ttl = { ttlSeconds: TTL_SECONDS };
  const branchKey = (repository: string, name: string) => `${key('branch', repository)}:${nameKey(name)}`;
  const undecided = async (repository: string): Promise<string | undefined> => {
    const parsed = z.object({ deployment: z.string() }).safeParse(await store.get(key('undecided', repository)));
    return parsed.success ? parsed.data.deployment : undefined;
  };
  async function all<T>(prefix: string, schema: z.ZodType<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const { value } of allEntries(store, `${prefix}:`)) {
      const parsed = schema.safeParse(value);
      if (parsed.success) out.push(parsed.data);
    }
    return out;
  }
  return {
    async pullRequest(repository: string, id: number): Promise<PullRequestFacts | undefined> {
      const value = await store.get(key('pr', repository, id));
      const parsed = PullRequestFacts.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    },
    putPullRequest: (facts: PullRequestFacts) => store.set(key('pr', facts.repository, facts.id), PullRequestFacts.parse(facts), ttl),
    pullRequests: (repository: string) => all(key('pr', repository), PullRequestFacts),
    putDeployment: (facts: DeploymentFacts) => store.set(key('deploy', facts.repository, facts.uuid), DeploymentFacts.parse(facts), ttl),
    deployments: (repository: string) => all(key('deploy', repository), DeploymentFacts),
    async deployment(repository: string, uuid: string): Promise<DeploymentFacts | undefined> {
      const parsed = DeploymentFacts.safeParse(await store.get(key('deploy', repository, uuid)));
      return parsed.success ? parsed.data : undefined;
    },
    putCommit: (repository: string, hash: string, facts: CommitFacts) => store.set(key('commit', repository, hash.slice(0, COMMIT_KEY)), facts, ttl),
    /** Every commit seen in the repository (a few pages of the store for a month of work). */
    async commits(repository: string): Promise<KnownCommits> {
      const prefix = `${key('commit', repository)}:`;
      const known: KnownCommits = new Map();
      for await (const { key: k, value } of allEntries(store, prefix)) {
        const parsed = CommitFacts.safeParse(value);
        if (parsed.success) known.set(k.slice(prefix.length), parsed.data);
      }
      return known;
    },
    async branch(repository: string, name: string): Promise<BranchFacts | undefined> {
      // Kept under the folded name before names got keys of their own: read when the own key is absent,
      // and differs (a plain name such as `develop` is its own folded name; ref-state.ts does the same).
      const own = branchKey(repository, name);
      const old = key('branch', repository, name);
      const value = (await store.get(own)) ?? (old === own || old.length > MAX_KEY_LENGTH ? undefined : await store.get(old));
      const parsed = BranchFacts.safeParse(value);
      return parsed.success ? parsed.data : undefined;
    },
    putBranch: (repository: string, name: string, facts: BranchFacts) => store.set(branchKey(repository, name), facts, ttl),
    async comment(repository: string, id: number): Promise<CommentState | undefined> {
      const parsed = CommentState.safeParse(await store.get(key('comment', repository, id)));
      return parsed.success ? parsed.data : undefined;
    },
    putComment: (repository: string, id: number, state: CommentState) => store.set(key('comment', repository, id), state, ttl),
    /** Writes a first state only where none is stored: false when another job wrote one first. */
    claimComment: async (repository: string, id: number, state: CommentState): Promise<boolean> => {
      const at = key('comment', repository, id);
      if (store.setIfAbsent) return store.setIfAbsent(at, state, ttl);
      await store.set(at, state, ttl);
      return true;
    },
    /**
     * A production deployment whose comments wait for commits not seen yet to tell whether it includes
     * their merge (see pull-request.ts): the next push that brings commits revisits them, once.
     */
    putUndecided: (repository: string, deployment: string) => store.set(key('undecided', repository), { deployment }, ttl),
    undecided,
    /**
     * Once its revisit is queued, and only while it still names that deployment: a comment job may have
     * put a later one meanwhile, which the next push revisits.
     */
    async dropUndecided(repository: string, deployment: string): Promise<void> {
      if ((await undecided(repository)) === deployment) await store.delete(key('undecided', repository));
    },
    /**
     * Pull requests whose comment a production deployment completed at `completedAt` (whole seconds) may
     * change, with the comment's state: those waiting for production, and those reporting a later one.
     */
    async awaitingDeployment(repository: string, completedAt?: number): Promise<Array<{ id: number; state: CommentState }>> {
      const prefix = `${key('comment', repository)}:`;
      const waiting: Array<{ id: number; state: CommentState }> = [];
      const reportsLater = (state: CommentState) => completedAt !== undefined && state.deployedAt !== undefined && state.deployedAt > completedAt;
      for await (const { key: k, value } of allEntries(store, prefix)) {
        const state = CommentState.safeParse(value);
        if (!state.success || state.data.commentId === undefined || state.data.deletedOnBitbucket) continue;
        if (!state.data.deployed || reportsLater(state.data)) waiting.push({ id: Number(k.slice(prefix.length)), state: state.data });
      }
      return waiting;
    },
  };
}
export type FactsStore = ReturnType<typeof factsStore>;

/** Commits by their first 12 characters, as the store keeps them. */
export type KnownCommits = Map<string, CommitFacts>;
