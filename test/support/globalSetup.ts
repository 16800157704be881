import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'vitest';
import type { TestProject } from 'vitest/node';
import { findMariaDbServer, startMariaDb } from '../../scripts/local/mariadb.ts';
import { startDynamoDb } from '../../scripts/local/dynamodb.ts';
import { startS3rver } from '../../scripts/local/s3rver.ts';

export interface TestServices {
  readonly mariadb: { host: string; port: number; socket: string; user: string; password: string } | null;
  readonly s3: { endpoint: string; bucket: string };
  readonly dynamodb: { endpoint: string };
  readonly workDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    services: TestServices;
  }
}

/** One real MariaDB, s3rver and DynamoDB Local for the whole run, on private ports and directories. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workDir = await mkdtemp(join(tmpdir(), 'keepsake-test-'));
  const [mariadb, s3, dynamodb] = await Promise.all([
    findMariaDbServer().then((found) => (found ? startMariaDb(join(workDir, 'mariadb')) : null)),
    startS3rver(join(workDir, 's3'), 'keepsake-test'),
    startDynamoDb(),
  ]);
  project.provide('services', {
    mariadb: mariadb && {
      host: mariadb.host,
      port: mariadb.port,
      socket: mariadb.socket,
      user: mariadb.user,
      password: mariadb.password,
    },
    s3: { endpoint: s3.endpoint, bucket: s3.bucket },
    dynamodb: { endpoint: dynamodb.endpoint },
    workDir,
  });
  return async () => {
    await Promise.all([mariadb?.stop(), s3.stop(), dynamodb.stop()]);
    await rm(workDir, { recursive: true, force: true });
  };
}
