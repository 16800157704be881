import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerError } from '../../../containers/backup/src/errors.ts';
import { failure, loadJobText, parseJob, parseJobText } from '../../../containers/backup/src/runJob.ts';

const SHA = 'a'.repeat(64);
const connection = { engine: 'mysql', host: 'db.example.com', database: 'shop', username: 'backup' };

const backupJob = {
  mode: 'backup',
  sourceId: 'src-1',
  connection,
  password: { from: 'env' },
  s3: { bucket: 'my-backups' },
};
const restoreJob = {
  mode: 'restore',
  connection,
  password: { from: 'secretsManager', secretId: 'prod/db' },
  s3: { bucket: 'my-backups' },
  key: 'src-1/shop/x.sql.gz',
  expectedSha256: SHA,
};
const verifyJob = {
  mode: 'verify',
  s3: { bucket: 'my-backups', region: 'eu-west-1' },
  key: 'src-1/shop/x.sql.gz',
  expectedSha256: SHA,
};

/** The message of the RunnerError that `fn` throws. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RunnerError);
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

const withField = (job: object, path: string, value: unknown): unknown => {
  const copy = structuredClone(job) as Record<string, unknown>;
  const keys = path.split('.');
  let target = copy;
  for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
  const last = keys.at(-1) ?? '';
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
};

describe('parseJob', () => {
  it('fills in every default of a backup job', () => {
    expect(parseJob(backupJob)).toEqual({
      mode: 'backup',
      sourceId: 'src-1',
      connection: { ...connection, port: 3306, tls: { mode: 'preferred' } },
      password: { from: 'env', name: 'KEEPSAKE_DB_PASSWORD' },
      connectTimeoutSeconds: 10,
      s3: { bucket: 'my-backups', region: 'us-east-1' },
      compressor: 'auto',
      compressionLevel: 2,
      compressionParallelism: 0,
      uploadQueueSize: 2,
      skipIfDatabaseMissing: false,
    });
  });

  it('fills in every default of a restore job', () => {
    expect(parseJob(restoreJob)).toEqual({
      mode: 'restore',
      connection: { ...connection, port: 3306, tls: { mode: 'preferred' } },
      password: { from: 'secretsManager', secretId: 'prod/db', jsonKey: 'password' },
      connectTimeoutSeconds: 10,
      s3: { bucket: 'my-backups', region: 'us-east-1' },
      key: 'src-1/shop/x.sql.gz',
      expectedSha256: SHA,
      replaceTarget: false,
      rewriteDefiners: false,
    });
  });

  it('accepts a verify job and keeps what was given', () => {
    expect(parseJob(verifyJob)).toEqual(verifyJob);
  });

  it('keeps explicit values over defaults', () => {
    const job = parseJob({
      ...backupJob,
      connection: { ...connection, engine: 'mariadb', port: 13306, tls: { mode: 'verify-identity', caPem: 'PEM' } },
      s3: { bucket: 'local', endpoint: 'http://127.0.0.1:4569', forcePathStyle: true, kmsKeyId: 'alias/keepsake' },
      compressionLevel: 6,
      compressionParallelism: 2,
      partSizeMiB: 16,
      uploadQueueSize: 2,
      key: 'custom/key.sql.gz',
      backupId: 'bk_1',
    });
    expect(job).toMatchObject({
      connection: { engine: 'mariadb', port: 13306, tls: { mode: 'verify-identity', caPem: 'PEM' } },
      s3: { endpoint: 'http://127.0.0.1:4569', forcePathStyle: true, kmsKeyId: 'alias/keepsake' },
      compressionLevel: 6,
      key: 'custom/key.sql.gz',
      backupId: 'bk_1',
    });
  });

  it.each([
    ['connection.port', 'abc', 'connection.port: port must be a number', backupJob],
    ['connection.port', 70000, 'connection.port: port must be between 1 and 65535', backupJob],
    ['connection.host', 'db; rm -rf /', 'connection.host: host must be a hostname or IP address', backupJob],
    ['connection.database', '', 'connection.database: database is required', backupJob],
    ['connection.username', 'a\nb', 'connection.username: username must not contain control characters', backupJob],
    ['connection.engine', 'postgres', 'connection.engine:', backupJob],
    ['connection.tls.mode', 'strict', 'connection.tls.mode:', backupJob],
    ['password.name', 'lower-case', 'password.name: name must be an environment variable name', backupJob],
    ['password.from', 'vault', 'password.from:', backupJob],
    ['s3.bucket', 'Bad_Bucket', 's3.bucket: bucket must be a valid S3 bucket name', backupJob],
    ['s3.endpoint', 'not a url', 's3.endpoint: endpoint must be a URL', backupJob],
    ['sourceId', 'has space', 'sourceId: id must be 1-64 letters, digits, _ or -', backupJob],
    ['compressionLevel', 0, 'compressionLevel:', backupJob],
    ['partSizeMiB', 4, 'partSizeMiB:', backupJob],
    ['connectTimeoutSeconds', 1.5, 'connectTimeoutSeconds:', backupJob],
    ['expectedSha256', 'ABC', 'expectedSha256: sha256 must be 64 lowercase hex characters', restoreJob],
    ['expectedSha256', undefined, 'expectedSha256:', restoreJob],
    ['key', '', 'key: key is required', restoreJob],
    ['password.secretId', '', 'password.secretId: secretId is required', restoreJob],
    ['expectedSha256', 'A'.repeat(64), 'expectedSha256: sha256 must be 64 lowercase hex characters', verifyJob],
    ['mode', 'nope', 'mode:', verifyJob],
    ['mode', undefined, 'mode:', verifyJob],
  ] as const)('names %s when it is %j', (path, value, expected, job) => {
    const message = errorOf(() => parseJob(withField(job, path, value)));
    expect(message.startsWith('invalid job: ')).toBe(true);
    expect(message).toContain(expected);
  });

  it('names every bad field at once', () => {
    const message = errorOf(() =>
      parseJob({ ...backupJob, connection: { ...connection, port: 0, host: '' }, s3: { bucket: 'X' } }),
    );
    expect(message).toContain('connection.port');
    expect(message).toContain('connection.host');
    expect(message).toContain('s3.bucket');
  });

  it('rejects unknown fields, naming them', () => {
    expect(errorOf(() => parseJob({ ...verifyJob, extra: 1 }))).toContain('extra');
    expect(errorOf(() => parseJob({ ...backupJob, s3: { bucket: 'my-backups', secretAccessKey: 'x' } }))).toContain(
      'secretAccessKey',
    );
    expect(errorOf(() => parseJob({ ...backupJob, password: { from: 'env', value: 'plain-password' } }))).toContain(
      'value',
    );
  });

  it('rejects non-objects', () => {
    for (const input of [null, 42, 'backup', [], undefined])
      expect(errorOf(() => parseJob(input))).toMatch(/^invalid job: /);
  });
});

describe('parseJobText', () => {
  it('parses a JSON job', () => {
    expect(parseJobText(JSON.stringify(verifyJob))).toEqual(verifyJob);
  });

  it('says clearly when the text is not JSON', () => {
    for (const text of ['', 'mode=backup', '{"mode": "backup",}', "{'mode': 'verify'}"]) {
      expect(errorOf(() => parseJobText(text))).toMatch(/^invalid job: not JSON \(.+\)$/);
    }
  });

  it('validates JSON that parses', () => {
    expect(errorOf(() => parseJobText('{"mode":"nope"}'))).toMatch(/^invalid job: mode: /);
  });
});

describe('loadJobText', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keepsake-job-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a job file named by the first argument', async () => {
    const file = join(dir, 'job.json');
    await writeFile(file, JSON.stringify(verifyJob));
    expect(await loadJobText([file], {})).toBe(JSON.stringify(verifyJob));
    expect(await loadJobText([file], { KEEPSAKE_JOB: '{"mode":"other"}' })).toBe(JSON.stringify(verifyJob));
  });

  it('takes inline JSON as the first argument, even after whitespace', async () => {
    expect(await loadJobText(['{"mode":"verify"}'], {})).toBe('{"mode":"verify"}');
    expect(await loadJobText(['  \n{"mode":"verify"}'], { KEEPSAKE_JOB: 'ignored' })).toBe('  \n{"mode":"verify"}');
  });

  it('falls back to KEEPSAKE_JOB when there is no argument', async () => {
    expect(await loadJobText([], { KEEPSAKE_JOB: '{"mode":"restore"}' })).toBe('{"mode":"restore"}');
  });

  it('says how to pass a job when there is none', async () => {
    await expect(loadJobText([], {})).rejects.toThrow(
      'no job: pass a job file (runner.mjs job.json) or set KEEPSAKE_JOB',
    );
    await expect(loadJobText([], { KEEPSAKE_JOB: '' })).rejects.toBeInstanceOf(RunnerError);
  });

  it('names a job file that cannot be read', async () => {
    const missing = join(dir, 'missing.json');
    await expect(loadJobText([missing], {})).rejects.toThrow(`cannot read job file ${missing}`);
  });
});

describe('failure', () => {
  it('is the one-line result of a failed job', () => {
    expect(failure(new RunnerError('boom'), 'backup')).toEqual({ ok: false, mode: 'backup', error: 'boom' });
    expect(failure('plain string')).toEqual({ ok: false, error: 'plain string' });
  });
});
