import type { ForwardContext } from '../pipeline/context';
import { figuresFor } from './compute';
import { cardModel, type CardModel } from './render';
import { factsStore } from './store';

// The pull request card's figures, live: from the stored facts only, so opening a pull request page
// never spends a Bitbucket request. Open pull requests show coding and pickup time so far.

export type CardAnswer = { available: true; card: CardModel } | { available: false; reason: string };

export async function pullRequestCard(repository: string, id: number, ctx: Pick<ForwardContext, 'store' | 'clock'>): Promise<CardAnswer> {
  const facts = factsStore(ctx.store);
  const pr = await facts.pullRequest(repository, id);
  if (!pr) return { available: false, reason: 'PanDev Metrics has not seen this pull request yet: it was last active before the app was activated, or outside the backfill window.' };
  const figures = await figuresFor(facts, pr, ctx.clock.now(), pr.state === 'OPEN');
  return { available: true, card: cardModel(figures.pr, figures.repo) };
}
