// Personal access tokens as Data Center accepts them: `Authorization: Bearer <token>`, or as the
// password of Basic auth next to the token owner's username. A revoked token authenticates nobody.
import type { DcModel, DcToken } from '../model/state';
import { errorBody, EXCEPTIONS } from './respond';
import type { Caller, HttpResult } from './types';

export type AuthOutcome = { caller: Caller } | { failure: 'anonymous' | 'invalid' | 'revoked' };

export function authenticate(model: DcModel, header: string | undefined): AuthOutcome {
  if (!header) return { failure: 'anonymous' };
  const [scheme = '', value = ''] = header.trim().split(/\s+/, 2);
  let token: DcToken | undefined;
  if (scheme.toLowerCase() === 'bearer') {
    token = model.tokens.find((candidate) => candidate.token === value);
  } else if (scheme.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const [name, secret] = [decoded.slice(0, colon).toLowerCase(), decoded.slice(colon + 1)];
    token = colon > 0 ? model.tokens.find((candidate) => candidate.token === secret && model.userById(candidate.userId).name === name) : undefined;
  }
  if (!token) return { failure: 'invalid' };
  if (token.revoked) return { failure: 'revoked' };
  return { caller: { token, user: model.userById(token.userId) } };
}

/** A wrong, expired or revoked token fails before any resource is looked at. */
export const BAD_CREDENTIALS: HttpResult = {
  status: 401,
  json: errorBody('Authentication failed. Please check your credentials and try again.', EXCEPTIONS.badCredentials),
};

/** No credentials at all, on a resource that needs them. */
export const NOT_PERMITTED: HttpResult = {
  status: 401,
  json: errorBody('You are not permitted to access this resource', EXCEPTIONS.notPermitted),
};
