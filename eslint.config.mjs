import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'static/*/build/', 'coverage/', 'docs/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Platform imports live only at the edges: the core never touches @forge/*, SQLite or the sandbox.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@forge/*'], message: 'core has no platform imports; add a port in src/core/ports.ts' },
          { group: ['better-sqlite3', 'pino', 'prom-client'], message: 'core has no platform imports' },
          { group: ['**/forge/**', '**/bridge/**', '**/sandbox/**', '**/cli/**'], message: 'core does not depend on hosts' },
        ],
      }],
    },
  },
  {
    // Tests read arbitrary JSON bodies; typing every webhook shape there would only restate them.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['bin/**/*.js', '*.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
