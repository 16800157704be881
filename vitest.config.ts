import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration files share one MariaDB and one s3rver; two workers match the 2-core CI machine.
    maxWorkers: 2,
    // s3rver's fixed credentials; no test ever talks to AWS.
    env: { TZ: 'UTC', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
  },
});
