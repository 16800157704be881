import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackupRecord } from '../../../functions/shared/repositories/backups.ts';
import { getDataSource } from '../../../functions/shared/repositories/dataSources.ts';
import { caBundleKey, type RunnerJob } from '../../../types/job.ts';
import { pemBundle } from '../../support/caBundles.ts';
import { startLocalMachines, type LocalMachines } from '../../support/localMachines.ts';
import { getObjectBytes, sha256 } from '../../support/runner.ts';
import { mariadb, services } from '../../support/services.ts';
import { rootSql } from '../../support/sql.ts';

const DATABASE = `sfn_ca_${process.pid}`;

/**
 * A source with a 160 KB CA bundle through the local Backup machine: the bundle goes by reference, so the job fits
 * RunTask's overrides, and the runner (which refuses a job it cannot read) takes the reference and succeeds.
 * The test MariaDB has no TLS, so the source uses `preferred` with its CA (`verify-ca` would
 * refuse this server, and MariaDB 10.11's client does not enforce `--ssl`, so `required` would pass only through
 * that gap): no TLS handshake is watched here. That the runner reads the bundle, holds it to its SHA-256 and hands
 * it to the client tools is tested on the runner itself (test/integration/runnerCaBundle.test.ts).
 */
describe.runIf(services().mariadb !== null)('Backup state machine with a CA bundle, run locally', () => {
  let machines: LocalMachines;

  beforeAll(async () => {
    machines = await startLocalMachines();
    await rootSql(
      `DROP DATABASE IF EXISTS ${DATABASE}; CREATE DATABASE ${DATABASE}; CREATE TABLE ${DATABASE}.t (id INT PRIMARY KEY); INSERT INTO ${DATABASE}.t VALUES (1);`,
    );
  });

  afterAll(async () => {
    await rootSql(`DROP DATABASE IF EXISTS ${DATABASE}`);
  });

  it('backs up a source whose 160 KB CA travels by reference: the job fits the overrides and the runner takes it', async () => {
    const pem = pemBundle(160_000, 'machine');
    // Through the API, as a user adds it: the bundle fits its body limit.
    const created = await machines.createSource('With CA', DATABASE, mariadb().password, {
      tls: { mode: 'preferred', caPem: pem },
    });
    expect((await getDataSource(machines.table, created.id))?.tls.caPem).toBe(pem);

    const outcome = await machines.run('Backup', { dataSourceId: created.id, trigger: 'schedule' }, 'ca-bundle-backup');
    expect(outcome).toMatchObject({ ok: true });
    expect((await getBackupRecord(machines.table, 'ca-bundle-backup'))?.status).toBe('succeeded');

    // What "Begin backup" handed the run step: the bundle by reference, within RunTask's 8,192 characters.
    const job = (outcome.ok ? (outcome.output as { begun: { job: RunnerJob } }).begun.job : undefined) as Extract<
      RunnerJob,
      { mode: 'backup' }
    >;
    const digest = sha256(Buffer.from(pem, 'utf8'));
    expect(job.connection.tls).toEqual({ mode: 'preferred', caBundle: { key: caBundleKey(digest), sha256: digest } });
    const overrides = [
      {
        Name: 'runner',
        Environment: [
          { Name: 'KEEPSAKE_JOB', Value: JSON.stringify(job) },
          {
            Name: 'KEEPSAKE_EXECUTION_ARN',
            Value: 'arn:aws:states:us-east-1:123456789012:execution:Backup:ca-bundle-backup',
          },
        ],
      },
    ];
    expect(JSON.stringify(overrides).length).toBeLessThanOrEqual(8192);

    expect(JSON.stringify(job)).not.toContain('BEGIN CERTIFICATE');
    // The bundle is in the bucket under its digest, byte for byte.
    expect((await getObjectBytes(caBundleKey(digest))).toString('utf8')).toBe(pem);
  });
});
