import Resolver from '@forge/resolver';
import { z } from 'zod';
import type { CardAnswer } from '../../contract/card';
import { pullRequestCard } from '../../core/metrics/card';
import { errorMessage } from '../../core/errors';
import { forgeContext } from '../adapters/context';
import { forgeLogger as log } from '../adapters/logger';

// The pull request card's backend. Bitbucket puts the card on a pull request page only for people who
// can read the repository, and names that repository and pull request in the context: the card shows
// figures of that pull request only, read from stored facts.

const CardContext = z.object({
  extension: z.object({
    repository: z.looseObject({ uuid: z.string() }),
    pullRequest: z.looseObject({ id: z.coerce.number().int().positive() }),
  }),
});

const resolver = new Resolver();
resolver.define('card/figures', async (request): Promise<CardAnswer> => {
  const context = CardContext.safeParse(request.context);
  if (!context.success) return { available: false, reason: 'Bitbucket did not say which pull request this card is on; reload the page.' };
  const { repository, pullRequest } = context.data.extension;
  try {
    return await pullRequestCard(repository.uuid, pullRequest.id, forgeContext());
  } catch (error) {
    log.error({ repository: repository.uuid, pullRequest: pullRequest.id, error: errorMessage(error) }, 'pull request card failed');
    return { available: false, reason: `The figures could not be read just now (${errorMessage(error)}).`, retry: true };
  }
});

export const pullRequestCardResolver = resolver.getDefinitions();
