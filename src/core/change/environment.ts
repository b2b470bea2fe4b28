// One rule for "production", shared by the body PanDev gets (`is_production`) and the DORA figures of
// the comment and card, so the two never disagree about a deployment. Pipelines gives every
// environment a type (Test, Staging, Production); an environment known only by its name counts when
// the name says so ("Production EU", "prod").

export function isProductionEnvironment(environment: { type?: string | null; name?: string | null } | undefined): boolean {
  if (environment?.type) return environment.type.toLowerCase() === 'production';
  return /^prod/i.test(environment?.name ?? '');
}
