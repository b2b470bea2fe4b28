/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // Loopback servers and a local Forge host start per file; keep files isolated but not too parallel on 2 cores.
  maxWorkers: 2,
  testTimeout: 60000,
};
