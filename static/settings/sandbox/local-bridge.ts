import { enableTheme } from '../../sandbox-theme';

// Stands in for @forge/bridge in the sandbox build (`vite build --mode sandbox`): the page calls the
// same resolvers, through the local Forge host's ingress (proxied by the sandbox's page server), as
// the workspace admin or, with `?as=member`, as a member who is not an admin.

type Accounts = Record<'admin' | 'member', string>;

let accounts: Promise<Accounts> | undefined;

async function accountId(): Promise<string> {
  accounts ??= fetch('/sandbox/accounts.json').then((response) => response.json() as Promise<Accounts>);
  const as = new URLSearchParams(window.location.search).get('as') === 'member' ? 'member' : 'admin';
  return (await accounts)[as];
}

export async function invoke(functionKey: string, payload?: unknown): Promise<unknown> {
  const response = await fetch('/resolver/settings-resolver', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ call: { functionKey, payload }, accountId: await accountId() }),
  });
  const body = (await response.json()) as { result?: unknown; error?: string };
  // As the real bridge: a resolver that throws rejects the invoke.
  if (!response.ok) throw new Error(body.error ?? `the local Forge host answered ${response.status}`);
  return body.result;
}

export const view = {
  theme: { enable: enableTheme },
};
