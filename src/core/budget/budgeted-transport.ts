import { parseRetryAfter } from '../enrich/cloud/client';
import type { CloudTransport } from '../enrich/cloud/transport';
import type { RateBudget } from './rate-budget';

/** Counts every Bitbucket request against the shared budget and lets Bitbucket's answers tighten it. */
export function budgetedTransport(transport: CloudTransport, budget: RateBudget): CloudTransport {
  return async (request) => {
    budget.noteRequest();
    const response = await transport(request);
    budget.noteResponse(response.status, response.headers, parseRetryAfter(response.headers.get('retry-after')));
    return response;
  };
}
