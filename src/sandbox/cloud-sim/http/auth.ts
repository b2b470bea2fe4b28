// Authentication as Bitbucket Cloud does it for REST: `Bearer <access token>` or
// `Basic base64(email:api_token)` for Atlassian API tokens.
import type { Credential, SimModel } from '../model/state';
import type { Caller, HttpResult } from './types';

export type AuthOutcome = { caller: Caller } | { failure: 'anonymous' | 'invalid' };

export function authenticate(model: SimModel, header: string | undefined): AuthOutcome {
  if (!header) return { failure: 'anonymous' };
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  const all: Credential[] = Object.values(model.credentials);
  let credential: Credential | undefined;
  if (scheme.toLowerCase() === 'bearer') {
    credential = all.find((candidate) => candidate.token === value);
  } else if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [email, secret] = [decoded.slice(0, colon).toLowerCase(), decoded.slice(colon + 1)];
    credential = colon > 0 ? all.find((candidate) => candidate.email === email && candidate.apiToken === secret) : undefined;
  }
  return credential ? { caller: { credential, user: model.userByUuid(credential.userUuid) } } : { failure: 'invalid' };
}

/** Cloud answers a failed login in plain text with a Basic challenge, not with its JSON error shape. */
export const UNAUTHORIZED: HttpResult = {
  status: 401,
  headers: { 'WWW-Authenticate': 'Basic realm="Bitbucket.org HTTP"' },
  text: [
    'Login failed due to incorrect login credentials or method.',
    'For information on authentication methods for Bitbucket Cloud APIs, visit:',
    '    https://developer.atlassian.com/cloud/bitbucket/rest/intro/#authentication',
    '',
  ].join('\n'),
};
