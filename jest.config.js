/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': 'ts-jest',
  },
  // Installs and starts what the tests need from the machine (database servers), or stops the run at
  // once with one message saying what is missing and how to fix it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  // Synthesis is CPU-bound; two workers fit this project's 2-core machines.
  maxWorkers: 2,
  testTimeout: 120000,
};
