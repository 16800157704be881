import { describe, expect, it } from 'vitest';
import { DataSourceSchema, type DataSource } from '../../../types/dataSource.ts';
import { DUMP_FORMATS, ENGINES, formatOfKey } from '../../../types/engines.ts';
import { RunnerJobSchema, backupKey } from '../../../types/job.ts';
import { describeZodError } from '../../../types/zodMessages.ts';

const AT = new Date('2026-03-05T07:08:09Z');

const source = (overrides: Partial<DataSource>): unknown => ({
  id: 'src-1',
  name: 'Orders',
  engine: 'postgresql',
  host: 'db.example.com',
  port: 5432,
  database: 'orders',
  username: 'backup',
  tls: { mode: 'verify-identity' },
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});

const problems = (input: unknown): string => {
  const parsed = DataSourceSchema.safeParse(input);
  return parsed.success ? '' : describeZodError(parsed.error);
};

describe('engine-specific data source fields', () => {
  it('accepts a PostgreSQL source with a schema filter and each of libpq’s sslmodes', () => {
    for (const mode of ['disabled', 'required', 'verify-ca', 'verify-identity'] as const)
      expect(problems(source({ tls: { mode }, schemas: ['public', 'Sales "EU"'] }))).toBe('');
    expect(ENGINES.postgresql.tlsModes['verify-identity']).toBe('verify-full');
  });

  it('refuses what the engine does not have, naming the field', () => {
    expect(problems(source({ tls: { mode: 'preferred' } }))).toMatch(
      /^tls\.mode: PostgreSQL sources use tls\.mode disabled \(disable\), required \(require\), verify-ca, verify-identity \(verify-full\); preferred is not one of them/,
    );
    expect(problems(source({ engine: 'mysql', port: 3306, schemas: ['public'] }))).toMatch(
      /^schemas: MySQL sources have no schema filter/,
    );
    expect(problems(source({ database: 'é'.repeat(32) }))).toMatch(
      /^database: PostgreSQL database names are at most 63 bytes in UTF-8/,
    );
    expect(problems(source({ schemas: [] }))).toMatch(/^schemas: schemas must name at least one schema/);
    expect(problems(source({ schemas: ['a', 'a'] }))).toMatch(/^schemas: schemas must not name a schema twice/);
  });

  it('checks a job’s connection the same way', () => {
    const job = {
      mode: 'backup',
      sourceId: 'src-1',
      connection: { engine: 'postgresql', host: 'db', database: 'orders', username: 'u', tls: { mode: 'preferred' } },
      password: { from: 'env' },
      s3: { bucket: 'my-backups' },
    };
    const parsed = RunnerJobSchema.safeParse(job);
    expect(parsed.success).toBe(false);
    expect(describeZodError(parsed.error!)).toMatch(/connection\.tls\.mode: PostgreSQL sources use/);
  });
});

describe('backup keys carry their format', () => {
  it('ends a PostgreSQL backup in .dump.gz and a MySQL or MariaDB one in .sql.gz', () => {
    expect(backupKey('postgresql', 'src-1', 'orders', AT)).toBe('src-1/orders/2026-03-05_07-08-09.dump.gz');
    expect(backupKey('mariadb', 'src-1', 'orders', AT, 'x')).toBe('src-1/orders/2026-03-05_07-08-09_x.sql.gz');
    expect(formatOfKey('a/b/c.dump.gz')).toBe('pgCustom');
    expect(formatOfKey('a/b/c.sql.gz')).toBe('mysqlSql');
    expect(formatOfKey('a/b/c.gz')).toBeUndefined();
    // The runner's and the Lambdas' grants on backup objects name `*/*/*.gz` (infra/constructs/BackupRunner.ts).
    for (const { extension } of Object.values(DUMP_FORMATS)) expect(extension).toMatch(/^\.[a-z]+\.gz$/);
  });

  it('refuses a restore or verify job whose key names no known format', () => {
    const parsed = RunnerJobSchema.safeParse({
      mode: 'verify',
      s3: { bucket: 'my-backups' },
      key: 'src-1/orders/backup.tar',
      expectedSha256: 'a'.repeat(64),
    });
    expect(parsed.success).toBe(false);
    expect(describeZodError(parsed.error!)).toBe('key: key must end with .sql.gz or .dump.gz');
  });
});
