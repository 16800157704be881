import type { S3Client } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import type { Connection } from '../../types/dataSource.ts';
import type { S3Location } from '../../types/job.ts';
import { localS3Client } from '../../scripts/local/s3rver.ts';
import type { TestServices } from './globalSetup.ts';

export function services(): TestServices {
  return inject('services');
}

/** The shared test MariaDB; tests that need it are skipped by `describe.runIf(hasMariaDb())` where it is absent. */
export function mariadb(): NonNullable<TestServices['mariadb']> {
  const db = services().mariadb;
  if (!db) throw new Error('MariaDB is not installed: run `npm test` (it installs mariadb-server as root)');
  return db;
}

export function connectionTo(database: string): Connection {
  const db = mariadb();
  return { engine: 'mariadb', host: db.host, port: db.port, database, username: db.user, tls: { mode: 'preferred' } };
}

/** Environment for a job whose password reference is `{ from: 'env' }`. */
export function jobEnv(): NodeJS.ProcessEnv {
  return { ...process.env, KEEPSAKE_DB_PASSWORD: mariadb().password };
}

export function s3Location(): S3Location {
  const { endpoint, bucket } = services().s3;
  return { bucket, region: 'us-east-1', endpoint, forcePathStyle: true };
}

export function testS3Client(endpoint = services().s3.endpoint): S3Client {
  return localS3Client(endpoint);
}
