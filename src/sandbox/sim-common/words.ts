// Vocabulary for generated data. Plain lists keep the output readable in a demo and stable across runs.
// Shared: both simulators draw names from it, so a Cloud and a Data Center sandbox read alike.

export const PEOPLE: readonly (readonly [string, string])[] = [
  ['Alice', 'Moreau'], ['Bilal', 'Haddad'], ['Chen', 'Wei'], ['Dana', 'Kowalski'], ['Emeka', 'Okafor'],
  ['Farida', 'Nurlanovna'], ['Gustavo', 'Reyes'], ['Hana', 'Sato'], ['Ivan', 'Petrov'], ['Jana', 'Novak'],
  ['Kofi', 'Mensah'], ['Lea', 'Schmidt'], ['Mateo', 'Silva'], ['Nadia', 'Rahman'], ['Omar', 'Aziz'],
];

export const WORKSPACES: readonly (readonly [string, string])[] = [
  ['acme-dev', 'Acme Development'], ['northwind', 'Northwind Traders'], ['globex-eng', 'Globex Engineering'],
  ['initech', 'Initech'], ['umbrella-labs', 'Umbrella Labs'], ['stark-soft', 'Stark Software'],
];

export const PROJECTS: readonly (readonly [string, string])[] = [
  ['PLAT', 'Platform'], ['WEB', 'Web'], ['MOB', 'Mobile'], ['DATA', 'Data'],
];

export const REPOSITORIES: readonly (readonly [string, string])[] = [
  ['payments-api', 'Kotlin'], ['web-frontend', 'TypeScript'], ['auth-service', 'Go'], ['mobile-app', 'Swift'],
  ['data-pipeline', 'Python'], ['notification-worker', 'Java'], ['design-system', 'TypeScript'],
  ['infra-terraform', 'HCL'], ['search-indexer', 'Rust'], ['billing-reports', 'Python'],
];

export const SOURCE_DIRS: Readonly<Record<string, readonly string[]>> = {
  Kotlin: ['src/main/kotlin/app', 'src/test/kotlin/app'],
  TypeScript: ['src/components', 'src/lib', 'test'],
  Go: ['internal/auth', 'cmd/server', 'pkg/token'],
  Swift: ['App/Sources', 'App/Tests'],
  Python: ['pipeline', 'tests'],
  Java: ['src/main/java/com/acme', 'src/test/java/com/acme'],
  HCL: ['modules/network', 'environments/prod'],
  Rust: ['src', 'tests'],
};

export const EXTENSIONS: Readonly<Record<string, string>> = {
  Kotlin: 'kt', TypeScript: 'ts', Go: 'go', Swift: 'swift', Python: 'py', Java: 'java', HCL: 'tf', Rust: 'rs',
};

export const NOUNS = [
  'retry', 'cache', 'login', 'invoice', 'webhook', 'pagination', 'search', 'timeout', 'rate limit', 'export',
  'session', 'settings page', 'audit log', 'health check', 'metrics', 'migration', 'dark mode', 'onboarding',
] as const;

export const VERBS = ['Add', 'Fix', 'Refactor', 'Improve', 'Remove', 'Speed up', 'Document', 'Test'] as const;

export const COMMENTS = [
  'Looks good to me.', 'Could we add a test for the empty case?', 'Nit: naming.', 'Why not reuse the existing helper?',
  'This will need a migration note in the changelog.', 'Nice cleanup!', 'Can you split this into two commits?',
  'I think this breaks the retry path when the token expires.', 'Done, thanks for the review.',
  'Please rebase on main.', 'What happens on a 429 here?', 'LGTM once CI is green.',
] as const;

export const FILE_WORDS = ['client', 'handler', 'service', 'model', 'config', 'utils', 'router', 'store', 'parser', 'worker'] as const;
