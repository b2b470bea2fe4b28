// The workspace, its people, the app and the credentials the sandbox hands out.
import type { Prng } from '../../sim-common/prng';
import { PEOPLE, PROJECTS, WORKSPACES } from '../../sim-common/words';
import { SimModel, type Credential } from '../model/state';
import type { Project, SimUser } from '../model/types';
import { DAY, type Micros } from '../util/time';

const USER_COUNT = 8;

/** Atlassian account ids come in two shapes: `557058:<uuid>` (older) and 24 hex digits (newer). */
function accountId(rng: Prng): string {
  return rng.chance(0.4) ? `557058:${rng.uuid().slice(1, -1)}` : rng.hex(24);
}

function users(rng: Prng, base: Micros): SimUser[] {
  return rng.shuffle(PEOPLE).slice(0, USER_COUNT).map(([first, last]) => ({
    uuid: rng.uuid(),
    accountId: accountId(rng),
    displayName: `${first} ${last}`,
    nickname: first,
    email: `${first}.${last}@example.com`.toLowerCase(),
    createdOn: base - rng.int(400, 3000) * DAY - rng.int(0, DAY),
    kind: 'user' as const,
  }));
}

function credential(rng: Prng, label: string, user: SimUser, tokenPrefix: string): Credential {
  return { label, token: `${tokenPrefix}${rng.hex(32)}`, email: user.email, apiToken: `ATATT3x${rng.hex(40)}`, userUuid: user.uuid };
}

export function seedWorkspace(rng: Prng, base: Micros): SimModel {
  const [slug, name] = rng.pick(WORKSPACES);
  const people = users(rng.fork('users'), base);
  const app: SimUser = {
    uuid: rng.uuid(), accountId: `712020:${rng.uuid().slice(1, -1)}`, displayName: 'PanDev Metrics', nickname: 'pandev-metrics',
    email: 'pandev-metrics@connect.atlassian.com', createdOn: base - 90 * DAY - rng.int(0, DAY), kind: 'app',
  };
  const projects: Project[] = rng.shuffle(PROJECTS).slice(0, 2).map(([key, projectName]) => ({
    uuid: rng.uuid(), key, name: projectName, createdOn: base - rng.int(400, 900) * DAY - rng.int(0, DAY),
  }));
  const [admin, member] = people as [SimUser, SimUser, ...SimUser[]];
  const tokens = rng.fork('credentials');
  const credentials = {
    app: credential(tokens, 'app', app, 'sim_app_'),
    admin: credential(tokens, 'admin', admin, 'sim_oauth_'),
    member: credential(tokens, 'member', member, 'sim_oauth_'),
  };
  return new SimModel(
    { uuid: rng.uuid(), slug, name, createdOn: base - 1000 * DAY - rng.int(0, DAY) },
    people, app, projects, credentials, 300_000_000 + rng.int(0, 99_999_999),
  );
}
