import { useEffect, useRef } from 'react';
import type { ResolverResult } from '../../../src/contract/resolvers';

type Failure = Extract<ResolverResult<unknown>, { ok: false }>['error'];

/**
 * Reads a form's settings with each of the page's refreshes (`version`) until one reading succeeds: one
 * that failed (Bitbucket or the platform refusing for a moment) must not leave the form out of reach
 * until a reload. Only the first answer fills the form: a later one would overwrite what the admin typed.
 */
export function useFirstLoad<T>(version: number, load: () => Promise<ResolverResult<T>>, loaded: (data: T) => void, failed: (error: Failure | undefined) => void): void {
  const done = useRef(false);
  useEffect(() => {
    if (done.current) return;
    void load().then((result) => {
      if (done.current) return;
      if (!result.ok) return failed(result.error);
      done.current = true;
      failed(undefined);
      loaded(result.data);
    });
  }, [version]);
}
