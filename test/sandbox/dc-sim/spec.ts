// The official Bitbucket Data Center 9.2 OpenAPI spec, read from ../shared/specs, with the faults reality
// contradicts relaxed one by one (each says why), compiled with ajv for response validation. The spec
// lists paths as `/api/latest/...` under server `/rest`; clients call `/rest/api/1.0/...`.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadSpecOrSkip as loadSpec, nullable, relax, specAjv, type Relaxation } from '../sim-common/spec';
import type { Json } from './helpers';

export const loadSpecOrSkip = (): Json | undefined => loadSpec('bitbucket-datacenter.swagger.v3.json');

const page = (items: string): Json => ({
  type: 'object',
  properties: {
    isLastPage: { type: 'boolean' }, limit: { type: 'number' }, nextPageStart: { type: 'integer' }, size: { type: 'number' }, start: { type: 'integer' },
    values: { type: 'array', items: { $ref: `#/components/schemas/${items}` } },
  },
});

/** Spec faults in component schemas, as pointers under components.schemas, with what Data Center does instead. */
const RELAXATIONS: Relaxation[] = [
  ['RestTag/properties/hash', nullable, 'lightweight tags print `hash: null` (go-scm stash/testdata/tags.json)'],
];

/**
 * Spec faults in whole responses: the 200 schema the spec gives for a path, replaced by what the
 * resource really answers.
 */
const RESPONSE_FAULTS: Record<string, [Json, string]> = {
  '/api/latest/projects/{projectKey}/repos/{repositorySlug}/pull-requests/{pullRequestId}/changes': [
    page('RestChange'), 'the spec gives a single RestChange; the resource answers a page of them (go-scm stash/testdata/pr_change.json)',
  ],
};

/** Date fields the 9.2 spec types as int64 epoch milliseconds and DC 10.x prints as ISO 8601 strings. */
const DATE_FIELDS = new Set(['createdDate', 'updatedDate', 'closedDate', 'authorTimestamp', 'committerTimestamp', 'dateAdded']);

/** For 10.x answers only: the 9.2 spec predates DC 10's ISO date strings. */
function acceptIsoDates(node: Json): void {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries<Json>(node.properties ?? {})) {
    if (DATE_FIELDS.has(key) && value?.type === 'integer') node.properties[key] = { anyOf: [value, { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{3})?(Z|\\+0000)$' }] };
  }
  for (const value of Object.values<Json>(node)) {
    if (Array.isArray(value)) value.forEach(acceptIsoDates);
    else if (value && typeof value === 'object') acceptIsoDates(value);
  }
}

/** `#/components/...` refs point into the document registered as `dc`. */
function anchorRefs(node: Json): Json {
  return JSON.parse(JSON.stringify(node).replace(/"#\/components\//g, '"dc#/components/'));
}

export interface SpecValidator {
  /** The spec path a simulator route answers for (`/projects/...` → `/api/latest/projects/...`). */
  specPath(template: string, area: 'api' | 'build'): string;
  hasGet(specPath: string): boolean;
  validateResponse(specPath: string, value: unknown): ErrorObject[];
  validate(schema: string, value: unknown): ErrorObject[];
}

export function specValidator(spec: Json, dateFormat: '9.x' | '10.x'): SpecValidator {
  const schemas = structuredClone(spec.components.schemas);
  relax(schemas, RELAXATIONS);
  const dates = (node: Json): Json => {
    if (dateFormat === '10.x') acceptIsoDates(node);
    return node;
  };
  const ajv = specAjv();
  ajv.addSchema({ components: { schemas: dates(schemas) } }, 'dc');
  const compiled = new Map<string, ValidateFunction>();
  const run = (key: string, schema: () => Json, value: unknown): ErrorObject[] => {
    let validate = compiled.get(key);
    if (!validate) compiled.set(key, (validate = ajv.compile(schema())));
    return validate(value) ? [] : [...(validate.errors ?? [])];
  };
  return {
    specPath: (template, area) => (area === 'api' ? `/api/latest${template}` : `/build-status/latest${template}`),
    hasGet: (specPath) => Boolean(spec.paths[specPath]?.get),
    validateResponse: (specPath, value) => run(`path:${specPath}`, () => {
      const fault = RESPONSE_FAULTS[specPath]?.[0];
      const declared = spec.paths[specPath]?.get?.responses?.['200']?.content?.['application/json']?.schema;
      if (!fault && !declared) throw new Error(`the spec has no 200 schema for GET ${specPath}`);
      return dates(anchorRefs(structuredClone(fault ?? declared)));
    }, value),
    validate: (schema, value) => run(`schema:${schema}`, () => ({ $ref: `dc#/components/schemas/${schema}` }), value),
  };
}
