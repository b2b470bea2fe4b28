import type { z } from 'zod';
import type { CloudRequest } from '../../enrich/cloud/endpoints';
import { CommitGraph, type MergedPullRequest } from '../../history/graph';
import type { Prebuilt } from '../../history/prebuilt';
import { stagePrebuilt } from '../../pipeline/stage';
import type { BackfillDeps } from '../job';
import type { BackfillRecord } from '../state';
import type { RunStore } from '../store';

export type Phase = 'commits' | 'pullrequests' | 'lifecycle' | 'activity' | 'refs' | 'statuses' | 'deployments';

export interface PhaseContext extends BackfillDeps {
  repository: string;
  since: number;
  /** This run's working data. */
  data: RunStore;
  /** Outbox ids this piece staged: its chain queues them when the piece ends (chains.ts). */
  staged: string[];
  /** Requests made in this piece so far, and how many it may make. */
  spent(): number;
  cap: number;
  /**
   * No request left for this piece: it made as many as it may, or another would not end before the
   * invocation must hand over. A step that reads more than one page asks before each further one.
   */
  exhausted(): boolean;
  /** The step failed here too often: it leaves out what it can do without, noting it (retries.ts). */
  readonly leavingOut: boolean;
  get<T extends z.ZodType>(request: CloudRequest, schema: T): Promise<z.infer<T>>;
}

/** One step of a phase: the record as it now stands, and where the phase resumes (undefined: it is done). */
export interface PhaseStep {
  record: BackfillRecord;
  next?: string;
  page?: number;
}

export type PhaseRunner = (pc: PhaseContext, record: BackfillRecord) => Promise<PhaseStep>;

/** Commits are looked for this far before the window, so pull requests opened in it find their first commit. */
export const COMMIT_LOOKBACK_MS = 7 * 86_400_000;

const graphs = new WeakMap<PhaseContext, CommitGraph>();

/** The commit graph the commits phase stored, loaded once per piece. */
export async function graphOf(pc: PhaseContext): Promise<CommitGraph> {
  let graph = graphs.get(pc);
  if (!graph) {
    graph = new CommitGraph(await pc.data.commits());
    graphs.set(pc, graph);
  }
  return graph;
}

const mergedLists = new WeakMap<PhaseContext, MergedPullRequest[]>();

/** The merged pull requests the list phase found, loaded once per piece. */
export async function mergedOf(pc: PhaseContext): Promise<MergedPullRequest[]> {
  let merged = mergedLists.get(pc);
  if (!merged) {
    merged = await pc.data.merged();
    mergedLists.set(pc, merged);
  }
  return merged;
}

export function repoParams(pc: PhaseContext) {
  return { workspace: pc.workspace, repo_slug: pc.repository };
}

/**
 * Into the outbox; onto the queue when the piece ends, all in one push request (Forge counts push
 * requests per lineage, and a piece used to make one per pull request). Delivery happens in the
 * consumer, in parallel.
 */
export async function stage(pc: PhaseContext, items: Prebuilt[]): Promise<void> {
  if (!items.length) return;
  const staged = await stagePrebuilt(items, pc.ctx);
  for (const entry of staged.entries) pc.staged.push(entry.id);
}
