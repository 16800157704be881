import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiRoutes, type Operation } from '../../../functions/routes.ts';
import type { Backup } from '../../../types/backup.ts';
import type { DataSource } from '../../../types/dataSource.ts';
import type { Restore } from '../../../types/restore.ts';

/** How the fake deployment behaves: how each job ends and after how many reads it ends. */
export interface FakeBehaviour {
  backupOutcome: 'succeeded' | 'failed' | 'never';
  verification: 'verified' | 'failed';
  restoreOutcome: 'succeeded' | 'failed';
  connection: 'ok' | 'refused';
  /** Reads of a job that still answer queued/running before it ends. */
  readsBeforeEnd: number;
}

/** One request as the fake API saw it: the operation it matched, its path parameters, query, body and signature. */
export interface SeenCall {
  readonly operation: Operation;
  readonly params: Record<string, string>;
  readonly query: Record<string, string>;
  readonly body: unknown;
  readonly authorization: string | undefined;
}

type Answer = { status: number; body?: unknown };

const STAGE = '/prod';
const AT = '2026-12-07T19:00:00.000Z';

/**
 * A local HTTP server speaking the Keepsake API's routes, matched from the same route table the CDK API mounts
 * (under a `/prod` stage like API Gateway's): a request the table does not have gets a 404, so a smoke test that
 * built a wrong path fails. It keeps sources, backups and restores in memory and records every call.
 */
export class FakeKeepsakeApi {
  readonly calls: SeenCall[] = [];
  readonly sources = new Map<string, DataSource>();
  readonly backups = new Map<string, Backup>();
  readonly restores = new Map<string, Restore>();
  private readonly reads = new Map<string, number>();
  private server: Server | undefined;
  private next = 1;

  constructor(readonly behaviour: FakeBehaviour) {}

  /** The API URL as the stack's ApiUrl output gives it (trailing slash included). */
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.answer(req).then(({ status, body }) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body === undefined ? '' : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${STAGE}/`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** The operations called, in order. */
  operations(): Operation[] {
    return this.calls.map((c) => c.operation);
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    for (const route of apiRoutes) {
      if (route.method !== req.method) continue;
      const pattern = new RegExp(`^${STAGE}${route.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`);
      const match = pattern.exec(url.pathname);
      if (!match) continue;
      const params = Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
      const call: SeenCall = {
        operation: route.operation,
        params,
        query: Object.fromEntries(url.searchParams),
        body: text ? JSON.parse(text) : undefined,
        authorization: req.headers.authorization,
      };
      this.calls.push(call);
      return this.handle(call);
    }
    return { status: 404, body: { error: `no route ${req.method} ${url.pathname}` } };
  }

  private handle(call: SeenCall): Answer {
    const b = this.behaviour;
    const id = call.params.id ?? '';
    switch (call.operation) {
      case 'createDataSource': {
        const { password: _password, ...fields } = call.body as DataSource & { password: string };
        const source: DataSource = { ...fields, id: `src-${this.next++}`, createdAt: AT, updatedAt: AT };
        this.sources.set(source.id, source);
        return { status: 201, body: source };
      }
      case 'testDataSource':
        return b.connection === 'ok'
          ? {
              status: 200,
              body: { ok: true, serverVersion: '8.0.36', tls: 'verified', tlsProtocol: 'TLSv1.3', durationMs: 12 },
            }
          : {
              status: 200,
              body: {
                ok: false,
                problem: 'unreachable',
                explanation: 'Nothing answered at 10.0.0.5:3306.',
                error: 'connect ECONNREFUSED 10.0.0.5:3306',
                durationMs: 8000,
              },
            };
      case 'triggerBackup': {
        const source = this.sources.get(id);
        if (!source) return { status: 404, body: { error: `data source ${id} not found` } };
        const backup: Backup = {
          id: `bk-${this.next++}`,
          sourceId: id,
          database: source.database,
          status: 'queued',
          trigger: 'api',
          createdAt: AT,
        };
        this.backups.set(backup.id, backup);
        return { status: 202, body: { backupId: backup.id } };
      }
      case 'getBackup': {
        const backup = this.backups.get(id);
        if (!backup) return { status: 404, body: { error: `backup ${id} not found` } };
        if (this.tick(id) && backup.status === 'running' && b.backupOutcome !== 'never') {
          Object.assign(
            backup,
            b.backupOutcome === 'succeeded'
              ? {
                  status: 'succeeded',
                  s3Key: `${backup.sourceId}/x.sql.gz`,
                  compressedBytes: 2_097_152,
                  uncompressedBytes: 9_000_000,
                  sha256: 'a'.repeat(64),
                  tables: 7,
                }
              : { status: 'failed', error: 'mysqldump: Got error: 1045: Access denied for user' },
          );
        }
        if (backup.status === 'queued') backup.status = 'running';
        return { status: 200, body: backup };
      }
      case 'verifyBackup': {
        const backup = this.backups.get(id);
        if (backup?.status !== 'succeeded') return { status: 409, body: { error: `backup ${id} is not succeeded` } };
        const reason = b.verification === 'failed' ? { reason: 'sha256 differs from the recorded one' } : {};
        backup.verification = { status: b.verification, at: '2026-12-07T19:05:00.000Z', ...reason };
        return {
          status: 202,
          body: { backupId: id, executionArn: `arn:aws:states:eu-west-1:123456789012:execution:verify:${id}` },
        };
      }
      case 'createRestore': {
        const body = call.body as { backupId: string; targetSourceId: string; targetDatabase: string };
        const backup = this.backups.get(body.backupId);
        if (!backup) return { status: 404, body: { error: 'backup not found' } };
        const restore: Restore = {
          id: `rs-${this.next++}`,
          backupId: backup.id,
          sourceId: backup.sourceId,
          targetSourceId: body.targetSourceId,
          targetDatabase: body.targetDatabase,
          status: 'queued',
          requestedBy: 'arn:aws:iam::123456789012:user/ops',
          createdAt: AT,
        };
        this.restores.set(restore.id, restore);
        return { status: 202, body: { restoreId: restore.id } };
      }
      case 'getRestore': {
        const restore = this.restores.get(id);
        if (!restore) return { status: 404, body: { error: `restore ${id} not found` } };
        if (this.tick(id) && restore.status === 'running') {
          Object.assign(
            restore,
            b.restoreOutcome === 'succeeded'
              ? { status: 'succeeded', durationMs: 4000 }
              : { status: 'failed', error: 'ERROR 1044: Access denied to database' },
          );
        }
        if (restore.status === 'queued') restore.status = 'running';
        return { status: 200, body: restore };
      }
      case 'cancelBackup': {
        const backup = this.backups.get(id);
        if (!backup || !['queued', 'running'].includes(backup.status))
          return { status: 409, body: { error: 'not running' } };
        Object.assign(backup, { status: 'cancelled' });
        return { status: 200, body: backup };
      }
      case 'trashBackup': {
        const backup = this.backups.get(id);
        if (!backup) return { status: 404, body: { error: `backup ${id} not found` } };
        if (['queued', 'running'].includes(backup.status))
          return { status: 409, body: { error: `backup ${id} is ${backup.status}` } };
        backup.trashedAt = '2026-12-07T19:10:00.000Z';
        return { status: 200, body: backup };
      }
      case 'deleteDataSource': {
        const holds = [...this.backups.values()].some((x) => x.sourceId === id);
        if (holds && call.query.force !== 'true')
          return { status: 409, body: { error: `data source ${id} holds backups: delete with ?force=true` } };
        return this.sources.delete(id)
          ? { status: 204 }
          : { status: 404, body: { error: `data source ${id} not found` } };
      }
      default:
        return { status: 501, body: { error: `the fake does not serve ${call.operation}` } };
    }
  }

  /** Counts a read of job `id`; true once it has been read more than `readsBeforeEnd` times. */
  private tick(id: string): boolean {
    const count = (this.reads.get(id) ?? 0) + 1;
    this.reads.set(id, count);
    return count > this.behaviour.readsBeforeEnd;
  }
}
