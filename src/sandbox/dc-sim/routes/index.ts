import type { DcRoute } from '../http/types';
import { buildRoutes, commitRoutes } from './commits';
import { projectRoutes } from './projects';
import { pullRequestRoutes } from './pull-requests';

/** Under `/rest/api/1.0` and `/rest/api/latest`. Table order matters where templates overlap. */
export const apiRoutes: DcRoute[] = [...projectRoutes, ...pullRequestRoutes, ...commitRoutes];

export { buildRoutes };
