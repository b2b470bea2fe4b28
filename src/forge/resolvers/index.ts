import Resolver from '@forge/resolver';
import { DeadLetterReplayInput, DeadLettersListInput, DeadLettersReplayAllInput } from '../../contract/resolvers';
import { listNamedDeadLetters, replayDeadLetters } from '../../core/admin/dead-letters';
import { replayDeadLetter } from '../../core/pipeline/dead-letters';
import { forgeContext } from '../adapters/context';
import { forgeForwardQueue } from '../adapters/queue';
import { guarded, type ResolverRequest } from './define';
import { settingsPageResolvers } from './settings-page';

// The settings page's backend. One definition per use case; each is admin-only (see define.ts).
const resolver = new Resolver();

const define = (name: string, fn: (request: ResolverRequest) => Promise<unknown>) =>
  resolver.define(name, (request) => fn(request as unknown as ResolverRequest) as Promise<never>);

define('deadLetters/list', guarded('deadLetters/list', DeadLettersListInput, (input) => listNamedDeadLetters(forgeContext(), input)));
define('deadLetters/replayAll', guarded('deadLetters/replayAll', DeadLettersReplayAllInput, (input) => replayDeadLetters(forgeContext(), forgeForwardQueue(), input)));
define('deadLetters/replay', guarded('deadLetters/replay', DeadLetterReplayInput, async (input) => ({ outcome: await replayDeadLetter(input.id, forgeContext(), forgeForwardQueue(), input.deadAt) })));
for (const [name, fn] of Object.entries(settingsPageResolvers)) define(name, fn);

export const settingsResolver = resolver.getDefinitions();
