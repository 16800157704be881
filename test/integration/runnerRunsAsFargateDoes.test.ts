import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fargateSandbox,
  runnerImage,
  runnerTaskDefinition,
  RUNNER_IMAGE_DIR,
  type RunnerTaskDefinition,
} from '../../scripts/local/fargateTask.ts';
import { keepsakeTemplate } from '../../scripts/local/stack.ts';
import {
  hasPostgres,
  recreateDatabase as recreatePgDatabase,
  startTestPostgres,
  type TestPostgres,
} from '../support/postgres.ts';
import { pgBackupJob } from '../support/postgresJobs.ts';
import { backupJob, dropDatabases, keysUnder, recreateDatabase } from '../support/runner.ts';
import { mariadb } from '../support/services.ts';
import { rootSql } from '../support/sql.ts';

const DB = 'fargate_sandbox';
const PLATFORM = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
const asRoot = process.getuid?.() === 0;
const postgresInstalled = await hasPostgres();

let task: RunnerTaskDefinition;
let scratch: string;

beforeAll(async () => {
  task = runnerTaskDefinition(keepsakeTemplate());
  scratch = await mkdtemp(join(tmpdir(), 'keepsake-fargate-'));
  await recreateDatabase(DB);
  await rootSql(`CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)); INSERT INTO t VALUES (1, 'one'), (2, 'two');`, DB);
}, 60_000);

afterAll(async () => {
  await dropDatabases(DB);
  await rm(scratch, { recursive: true, force: true });
});

function run({
  command,
  args,
  env,
}: ReturnType<typeof fargateSandbox>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A backup job in the task's environment, as the state machine's container override carries it. */
function overridesFor(sourceId: string): Record<string, string> {
  return { KEEPSAKE_JOB: JSON.stringify(backupJob(DB, { sourceId })), KEEPSAKE_DB_PASSWORD: mariadb().password };
}

/** What the container sees, probed by node inside the same sandbox instead of the runner. */
const PROBE = `
const fs = require('node:fs');
const writable = (p) => { try { fs.writeFileSync(p, 'x'); fs.rmSync(p); return true; } catch (e) { return e.code; } };
const tmp = fs.statSync('/tmp');
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(), env: Object.keys(process.env).sort(), home: process.env.HOME,
  tmp: { uid: tmp.uid, mode: (tmp.mode & 0o7777).toString(8), writable: writable('/tmp/probe') },
  root: writable('/probe'), app: writable('/app/probe'), cwd: process.cwd(), bundle: fs.existsSync('/app/runner.mjs'),
  hostWork: fs.existsSync(${JSON.stringify(process.cwd())}),
}));`;

describe('the runner runs as the Fargate task does (bubblewrap sandbox from the synthesized task definition)', () => {
  it('reads the container facts from the synthesized task definition', () => {
    expect(task).toMatchObject({ containerName: 'runner', user: '10001:10001', readonlyRootFilesystem: true });
    expect(task.mountPoints).toEqual([{ containerPath: '/tmp', sourceVolume: 'tmp', readOnly: false }]);
  });

  it('gives the task its user, a read-only root, /tmp as the image declares it and only the task environment', async () => {
    const image = { ...runnerImage(), entrypoint: ['node', '-e', PROBE] };
    const sandbox = fargateSandbox({ task, image, overrides: { KEEPSAKE_JOB: '{}' }, platform: PLATFORM });
    const out = await run(sandbox);
    expect(out.code, out.stderr).toBe(0);
    const seen = JSON.parse(out.stdout) as Record<string, unknown>;
    expect(seen).toMatchObject({
      uid: 10001,
      gid: 10001,
      root: 'EROFS',
      app: 'EROFS',
      cwd: '/app',
      bundle: true,
      hostWork: false,
      home: '/home/keepsake',
    });
    expect(seen.tmp).toMatchObject({ mode: '1777', writable: true, ...(asRoot && { uid: 0 }) });
    // Nothing of the host's environment leaks in: only the image's ENV, the overrides and what ECS adds.
    expect(seen.env).not.toContain('VITEST');
    expect(seen.env).not.toContain('TZ');
    expect(seen.env).toEqual(expect.arrayContaining(['AWS_REGION', 'HOME', 'KEEPSAKE_JOB', 'NODE_ENV', 'PATH']));
  });

  it('backs up through the image entrypoint in the sandbox', async () => {
    const sandbox = fargateSandbox({
      task,
      image: runnerImage(),
      overrides: overridesFor('fargate-ok'),
      platform: PLATFORM,
    });
    // Nothing of the task environment is on bwrap's command line, where `ps` would show the password.
    expect(sandbox.args.join(' ')).not.toContain(mariadb().password);
    const out = await run(sandbox);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, mode: 'backup', tables: 1 });
    expect(await keysUnder('fargate-ok/')).toHaveLength(1);
  }, 60_000);

  it.runIf(asRoot)(
    'fails every backup when the image does not declare /tmp a volume (Fargate mounts it root 0755)',
    async () => {
      const dockerfile = join(scratch, 'Dockerfile');
      const original = await readFile(join(RUNNER_IMAGE_DIR, 'Dockerfile'), 'utf8');
      await writeFile(dockerfile, original.replace(/^VOLUME .*$/m, ''));
      const image = runnerImage(dockerfile);
      expect(image.volumes).toEqual([]);
      const sandbox = fargateSandbox({ task, image, overrides: overridesFor('fargate-no-volume'), platform: PLATFORM });
      const out = await run(sandbox);
      expect(out.code).toBe(1);
      expect(JSON.parse(out.stdout)).toMatchObject({ ok: false });
      expect(out.stdout).toMatch(/EACCES|permission denied/i);
      expect(await keysUnder('fargate-no-volume/')).toEqual([]);
    },
    60_000,
  );

  describe.runIf(postgresInstalled)('with a PostgreSQL source', () => {
    let server: TestPostgres;
    beforeAll(async () => {
      server = await startTestPostgres();
      await recreatePgDatabase(server, 'sandboxed');
      await server.psql('CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1), (2);', 'sandboxed');
    });
    afterAll(() => server?.stop());

    it('backs up through the image entrypoint: pg_dump finds its pgpass under /tmp, as user 10001', async () => {
      const job = pgBackupJob(server, 'sandboxed', { sourceId: 'fargate-pg' });
      const sandbox = fargateSandbox({
        task,
        image: runnerImage(),
        // The local client stands in for the image's PostgreSQL 17 one.
        overrides: {
          KEEPSAKE_JOB: JSON.stringify(job),
          KEEPSAKE_DB_PASSWORD: server.password,
          KEEPSAKE_PG_CLIENT_DIR: server.binDir,
        },
        platform: PLATFORM,
      });
      expect(sandbox.args.join(' ')).not.toContain(server.password);
      const out = await run(sandbox);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout + out.stderr).not.toContain(server.password);
      expect(JSON.parse(out.stdout)).toMatchObject({ ok: true, mode: 'backup', tables: 1 });
      expect(await keysUnder('fargate-pg/')).toEqual([expect.stringMatching(/\.dump\.gz$/)]);
    }, 60_000);
  });
});
