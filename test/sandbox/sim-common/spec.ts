// How both simulators' spec checks read an official OpenAPI spec from ../shared/specs and relax the
// faults reality contradicts (shared so each relaxation table is applied, and goes stale, the same way).
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from '../../helpers/shared';
import type { Json } from './helpers';

/** The spec `file` under ../shared/specs, or undefined (with a printed note) when it is absent. */
export function loadSpecOrSkip(file: string): Json | undefined {
  const spec = path.join(sharedDir, 'specs', file);
  if (existsSync(spec)) return JSON.parse(readFileSync(spec, 'utf8'));
  console.warn(`skipped: ${spec} is absent (the spec conformance checks need ../shared/specs)`);
  return undefined;
}

export type Fix = (node: Json) => Json;
export const nullable: Fix = (node) => ({ anyOf: [node, { type: 'null' }] });

/** A spec fault as a pointer under components.schemas, its fix, and what the real product does instead. */
export type Relaxation = [string, Fix, string];

export function relax(schemas: Json, relaxations: readonly Relaxation[]): void {
  for (const [pointer, fix, why] of relaxations) {
    const keys = pointer.split('/');
    const last = keys.pop() as string;
    const parent = keys.reduce((node: Json, key) => node?.[key], schemas);
    if (parent?.[last] === undefined) throw new Error(`spec relaxation ${pointer} (${why}) no longer applies: fix the table`);
    parent[last] = fix(parent[last]);
  }
}

/** Ajv as both checks use it: every error, the spec's formats, int32/int64 taken as plain numbers. */
export function specAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', true).addFormat('int64', true);
  return ajv;
}
