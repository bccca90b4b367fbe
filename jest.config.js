/**
 * Jest: ts-jest (transpile only; `tsc --noEmit` type-checks), one set of Azurites for the whole run
 * (test/support/global-setup.ts), two projects: every suite with key-based storage, and the suites
 * that matter for a managed identity again in identity mode (service URIs over HTTPS, a token
 * credential, no account key), as the service runs in Azure.
 */
const common = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: "key", testMatch: ["**/*.test.ts"], testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/identity/"] },
    {
      ...common,
      displayName: "identity",
      testMatch: [
        "<rootDir>/test/api/*.test.ts",
        "<rootDir>/test/operator/lifecycle.test.ts",
        "<rootDir>/test/operator/logs.test.ts",
        "<rootDir>/test/maintenance/rules.test.ts",
        "<rootDir>/test/resilience/storage-faults.test.ts",
        "<rootDir>/test/identity/*.test.ts",
      ],
      // The $filter and precondition header parsers are pure, and the smoke test's command line sends
      // nothing: nothing in them depends on how storage is reached.
      testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/api/odata-filter.test.ts", "<rootDir>/test/api/precondition-headers.test.ts", "<rootDir>/test/api/smoke-usage.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/support/identity-mode.ts"],
    },
  ],
  globalSetup: "<rootDir>/test/support/global-setup.ts",
  globalTeardown: "<rootDir>/test/support/global-teardown.ts",
  testTimeout: 30000,
  maxWorkers: 2,
  // Workers even for a single file: the identity suites trust the OAuth Azurite's certificate through
  // NODE_EXTRA_CA_CERTS, which the global setup sets and only processes started after it read.
  workerIdleMemoryLimit: "2GB",
};
