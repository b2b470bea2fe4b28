import { enableTheme } from '../../sandbox-theme';

// Stands in for @forge/bridge in the sandbox build: Bitbucket would name the pull request the card
// is on; here the page's query string does (`?repository={uuid}&pullRequest=7`).

let admin: Promise<string> | undefined;

export async function invoke(functionKey: string, payload?: unknown): Promise<unknown> {
  const query = new URLSearchParams(window.location.search);
  admin ??= fetch('/sandbox/accounts.json').then(async (response) => ((await response.json()) as { admin: string }).admin);
  const extension = { repository: { uuid: query.get('repository') ?? '' }, pullRequest: { id: Number(query.get('pullRequest')) } };
  const response = await fetch('/resolver/card-resolver', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ call: { functionKey, payload: payload ?? {} }, context: { extension }, accountId: await admin }),
  });
  const body = (await response.json()) as { result?: unknown; error?: string };
  if (!response.ok) throw new Error(body.error ?? `the local Forge host answered ${response.status}`);
  return body.result;
}

export const view = {
  theme: { enable: enableTheme },
};
