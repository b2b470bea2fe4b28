import type { Route } from '../http/types';
import { accountRoutes } from './accounts';
import { ciRoutes } from './ci';
import { commentRoutes } from './comments';
import { commitRoutes } from './commits';
import { pullRequestRoutes } from './pull-requests';
import { refRoutes } from './refs';
import { repositoryRoutes } from './repositories';

/** Table order matters where templates overlap: literal segments come before parameters. */
export const routes: Route[] = [
  ...accountRoutes,
  ...repositoryRoutes,
  ...pullRequestRoutes,
  ...commentRoutes,
  ...commitRoutes,
  ...refRoutes,
  ...ciRoutes,
];
