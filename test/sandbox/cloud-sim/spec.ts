// The official Bitbucket Cloud OpenAPI spec, read from ../shared/specs, with the faults reality
// contradicts relaxed one by one (each says why), compiled with ajv for response validation.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { loadSpecOrSkip as loadSpec, nullable, relax, specAjv, type Fix, type Relaxation } from '../sim-common/spec';
import type { Json } from './helpers';

export const loadSpecOrSkip = (): Json | undefined => loadSpec('bitbucket-cloud.swagger.v3.json');

const open: Fix = (node) => {
  delete node.additionalProperties;
  return node;
};
const anyFormat: Fix = (node) => {
  delete node.format;
  return node;
};

/** Spec faults, as pointers under components.schemas, with what real Cloud responses do instead. */
const RELAXATIONS: Relaxation[] = [
  // Closed `links` objects that list fewer links than Bitbucket sends.
  ['pullrequest/allOf/1/properties/links', open, 'real pull requests also link request-changes and statuses'],
  ['repository/allOf/1/properties/links', open, 'real repositories also link branches, tags and source'],
  ['project/allOf/1/properties/links', open, 'real projects also link self'],
  ['ref/properties/links', open, 'real branches also link pullrequest_create (jenkinsci refs-branches captures)'],
  // Rendered markup is closed over {raw, markup, html}, but every real one also says `type: "rendered"`.
  ['pullrequest/allOf/1/properties/summary', open, 'rendered markup carries type'],
  ['pullrequest/allOf/1/properties/rendered/properties/title', open, 'rendered markup carries type'],
  ['pullrequest/allOf/1/properties/rendered/properties/description', open, 'rendered markup carries type'],
  ['base_commit/allOf/1/properties/summary', open, 'rendered markup carries type'],
  ['comment/allOf/1/properties/content', open, 'rendered markup carries type'],
  // Pull request endpoints and merge commits are closed over fewer keys than real payloads carry.
  ['pullrequest_endpoint/properties/branch', open, 'real source branches carry links and sync_strategies'],
  ['pullrequest_endpoint/properties/commit', open, 'real endpoint commits carry type and links'],
  ['pullrequest/allOf/1/properties/merge_commit', open, 'real merge commits carry type and links'],
  // Nulls that real responses and webhooks send where the spec allows none.
  ['pullrequest/allOf/1/properties/merge_commit', nullable, 'null until merged'],
  ['pullrequest/allOf/1/properties/closed_by', nullable, 'null while open'],
  ['participant/allOf/1/properties/state', nullable, 'the enum lists null but the type is string'],
  ['repository/allOf/1/properties/parent', nullable, 'null for repositories that are not forks'],
  ['diffstat/properties/old', nullable, 'null for added files'],
  ['diffstat/properties/new', nullable, 'null for removed files'],
  ['commitstatus/allOf/1/properties/refname', nullable, 'null when the reporter gave no ref'],
  ['tag/allOf/1/properties/message', nullable, 'null for lightweight tags'],
  ['tag/allOf/1/properties/date', nullable, 'null for lightweight tags'],
  ['tag/allOf/1/properties/tagger', nullable, 'null for lightweight tags'],
  // The SSH clone link (`git@bitbucket.org:ws/repo.git`) is not an RFC 3986 URI.
  ['repository/allOf/1/properties/links/properties/clone/items/properties/href', anyFormat, 'scp-style SSH URL'],
  // Pipelines links inherit `object` (required `type`), which real pipeline links never have.
  ['pipelines_pipeline_links/allOf/0', () => ({ type: 'object' }), 'links sections have no type'],
  ['pipelines_links_section_href/allOf/0', () => ({ type: 'object' }), 'links sections have no type'],
];

export interface SpecValidator {
  /** The 200 response schema of `GET template`, if the spec has one. */
  responseSchema(template: string): string | undefined;
  validate(schema: string, value: unknown): ErrorObject[];
}

export function specValidator(spec: Json): SpecValidator {
  const schemas = structuredClone(spec.components.schemas);
  relax(schemas, RELAXATIONS);
  const ajv = specAjv();
  ajv.addSchema({ components: { schemas } }, 'bitbucket');
  const compiled = new Map<string, ValidateFunction>();
  return {
    responseSchema: (template) => {
      const ref: string | undefined = spec.paths[template]?.get?.responses?.['200']?.content?.['application/json']?.schema?.$ref;
      return ref?.replace('#/components/schemas/', '');
    },
    validate: (schema, value) => {
      let validate = compiled.get(schema);
      if (!validate) {
        validate = ajv.compile({ $ref: `bitbucket#/components/schemas/${schema}` });
        compiled.set(schema, validate);
      }
      return validate(value) ? [] : [...(validate.errors ?? [])];
    },
  };
}
