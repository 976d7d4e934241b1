/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': 'ts-jest',
  },
  snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
  // Synthesis is CPU-bound; two workers fit this project's 2-core machines.
  maxWorkers: 2,
  testTimeout: 120000,
};
