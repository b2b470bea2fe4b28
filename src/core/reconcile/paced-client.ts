import type { z } from 'zod';
import type { CloudClient } from '../enrich/cloud/client';
import type { CloudRequest } from '../enrich/cloud/endpoints';
import type { Clock } from '../ports';

// One busy repository behind a slow Bitbucket can take longer than the whole invocation (Forge stops
// a consumer at its limit, mid-write, and its retry would run the same pass into the same wall). So a
// pass watches the deadline between its requests, not only between repositories: it stops where the
// next requests, each as slow as the slowest so far, would not end in time, and owes the rest.

export interface PacedClient {
  client: CloudClient;
  /** Whether `requests` more (1 if not given) would end too late; never without a deadline. */
  outOfTime(requests?: number): boolean;
}

export function pacedClient(client: CloudClient, clock: Clock, deadline: number | undefined, margin: number): PacedClient {
  let slowest = 0;
  const timed = (began: number) => {
    slowest = Math.max(slowest, clock.now() - began);
  };
  return {
    client: {
      async get(request, schema) {
        const began = clock.now();
        try {
          return await client.get(request, schema);
        } finally {
          timed(began);
        }
      },
      async *pages<T extends z.ZodType>(request: CloudRequest, item: T, maxPages?: number, onCapped?: () => void) {
        const inner = client.pages(request, item, maxPages, onCapped);
        try {
          for (;;) {
            const began = clock.now();
            let step: IteratorResult<Array<z.infer<T>>>;
            try {
              step = await inner.next();
            } finally {
              timed(began);
            }
            if (step.done) return;
            yield step.value;
          }
        } finally {
          // A caller that stops reading early ends the inner reader too.
          await inner.return(undefined);
        }
      },
      get requests() {
        return client.requests;
      },
    },
    outOfTime: (requests = 1) => deadline !== undefined && clock.now() + requests * slowest + margin > deadline,
  };
}
