import type { HttpResult } from '../../sim-common/http';
import type { DcToken } from '../model/state';
import type { DcUser } from '../model/types';
import type { DcRuntime } from '../runtime';

export { HttpError, type HttpResult } from '../../sim-common/http';

export interface Caller {
  token: DcToken;
  user: DcUser;
}

export interface DcRequest {
  url: URL;
  params: Record<string, string>;
  caller: Caller | undefined;
  body: unknown;
  runtime: DcRuntime;
}

export type DcHandler = (req: DcRequest) => HttpResult;

export interface DcRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** As in the 9.2 spec, after `/rest/api/latest` (or `/rest/build-status/latest` for the build API). */
  template: string;
  handler: DcHandler;
  /** Anonymous callers may use it (application properties). */
  anonymous?: boolean;
}
