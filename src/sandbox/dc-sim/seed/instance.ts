// The instance's people, projects, repositories and the personal access tokens the sandbox hands out.
import { DcModel, type DcToken } from '../model/state';
import { DcRepository } from '../model/repository';
import type { DcProject, DcUser } from '../model/types';
import { hashText } from '../util/hash';
import { DAY } from '../util/dates';
import { Prng } from '../../sim-common/prng';
import { PEOPLE, PROJECTS, REPOSITORIES, SOURCE_DIRS, EXTENSIONS, FILE_WORDS } from '../../sim-common/words';

export interface InstanceOptions {
  seed: string;
  base: number;
  projects: number;
  repositoriesPerProject: number;
  pullRequestsPerRepository: number;
}

const PEOPLE_COUNT = 9;
/** Id blocks per seeded pull request for its generated activities and comments. */
export const ACTIVITY_BLOCK = 48;
export const COMMENT_BLOCK = 12;

function people(rng: Prng): DcUser[] {
  const admin: DcUser = { id: 1, name: 'admin', slug: 'admin', displayName: 'Administrator', email: 'admin@example.com', active: true };
  const chosen = rng.shuffle(PEOPLE).slice(0, PEOPLE_COUNT);
  return [admin, ...chosen.map(([first, last], i) => {
    const name = first.toLowerCase();
    return { id: 101 + i * 3 + rng.int(0, 2), name, slug: name, displayName: `${first} ${last}`, email: `${first}.${last}@example.com`.toLowerCase(), active: true };
  })];
}

/** DC tokens are 44 characters of base64 (33 random bytes). */
function tokenText(rng: Prng): string {
  return Buffer.from(Array.from({ length: 33 }, () => rng.int(0, 255))).toString('base64');
}

function projects(rng: Prng, count: number): DcProject[] {
  const named = rng.shuffle(PROJECTS);
  return Array.from({ length: count }, (_, i) => {
    const [key, name] = named[i] ?? [`PRJ${i + 1}`, `Project ${i + 1}`];
    return { id: i + 1, key, name, description: `${name} services and libraries` };
  });
}

function sourceFiles(rng: Prng, language: string): string[] {
  const dirs = SOURCE_DIRS[language] ?? ['src'];
  const ext = EXTENSIONS[language] ?? 'txt';
  return ['README.md', ...Array.from({ length: 8 }, () => `${rng.pick(dirs)}/${rng.pick(FILE_WORDS)}.${ext}`)].filter((p, i, all) => all.indexOf(p) === i);
}

export function seedInstance(options: InstanceOptions): DcModel {
  const root = new Prng(options.seed);
  const rng = root.fork('instance');
  const users = people(rng.fork('users'));
  const keys = rng.fork('tokens');
  const [, first, second, third] = users as [DcUser, DcUser, DcUser, DcUser, ...DcUser[]];
  const tokens: DcToken[] = [
    { label: 'admin', token: tokenText(keys), userId: 1, revoked: false },
    { label: 'user', token: tokenText(keys), userId: first.id, revoked: false },
    { label: 'revoked', token: tokenText(keys), userId: second.id, revoked: true },
  ];
  const normal = projects(rng.fork('projects'), options.projects);
  // One personal project holds a fork, so pull requests from forks (and `origin`) exist.
  const personal: DcProject = { id: normal.length + 1, key: `~${third.name}`, name: third.displayName, description: '', ownerId: third.id };
  const pullRequests = options.projects * options.repositoriesPerProject * options.pullRequestsPerRepository;
  const model = new DcModel(
    { seed: options.seed, key: hashText(options.seed), displayName: 'Bitbucket', serverId: `B${rng.hex(3).toUpperCase()}-${rng.hex(4).toUpperCase()}-${rng.hex(4).toUpperCase()}-${rng.hex(4).toUpperCase()}` },
    users, [...normal, personal], tokens,
    { activities: (pullRequests + 1) * ACTIVITY_BLOCK, comments: (pullRequests + 1) * COMMENT_BLOCK },
  );
  const layout = rng.fork('repositories');
  normal.forEach((project) => {
    for (let r = 0; r < options.repositoriesPerProject; r++) {
      const index = model.repositories.length;
      const [baseName, language] = REPOSITORIES[index % REPOSITORIES.length] as readonly [string, string];
      const slug = index < REPOSITORIES.length ? baseName : `${baseName}-${Math.floor(index / REPOSITORIES.length) + 1}`;
      const repo = new DcRepository({
        index, id: index + 1, slug, name: slug, description: `${slug.replace(/-/g, ' ')} (${project.name})`, projectKey: project.key,
        hierarchyId: layout.hex(20), createdAt: options.base - layout.int(60, 400) * DAY - layout.int(0, DAY),
        defaultBranch: layout.chance(0.6) ? 'master' : 'main', language,
      });
      repo.files = sourceFiles(layout, language);
      model.repositories.push(repo);
    }
  });
  const origin = model.repositories[0];
  if (origin) {
    const fork = new DcRepository({
      index: model.repositories.length, id: model.repositories.length + 1, slug: origin.slug, name: origin.name, description: origin.description,
      projectKey: personal.key, hierarchyId: origin.hierarchyId, createdAt: options.base - 20 * DAY, defaultBranch: origin.defaultBranch,
      language: origin.language, originId: origin.id,
    });
    fork.files = [...origin.files];
    model.repositories.push(fork);
  }
  return model;
}
