import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, type Terminal } from '../../scripts/cli/keepsake.ts';
import type { Restore } from '../../types/restore.ts';

const SOURCE = {
  id: 'src-1',
  name: 'Shop',
  engine: 'mariadb',
  host: 'db',
  port: 3306,
  database: 'shop',
  username: 'u',
  tls: { mode: 'required' },
  enabled: true,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const SAFETY_KEY = 'src-1/shop/2026-03-01_12-00-00_before-restore-r-1.sql.gz';
const SAFETY_ID = 'safety-0123456789abcdef0123456789abcdef';

const LONG = 'x'.repeat(65);

/** The API as the CLI meets it: `shop` exists, `fresh` does not, `unreachable` cannot be inspected. */
const INSPECTIONS: Record<string, [number, unknown]> = {
  shop: [200, { database: 'shop', exists: true, tableCount: 3, tables: [] }],
  fresh: [200, { database: 'fresh', exists: false }],
  unreachable: [502, { error: 'cannot inspect database "unreachable": connect ETIMEDOUT' }],
};

let server: Server;
let baseUrl: string;
const restoresStarted: Record<string, unknown>[] = [];
const rollbacksStarted: { restoreId: string; body: unknown }[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://stub');
      const answer = (status: number, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const inspected = /^\/v1\/data-sources\/src-1\/databases\/([^/]+)$/.exec(url.pathname);
      if (url.pathname === '/v1/data-sources') return answer(200, { items: [SOURCE] });
      if (inspected?.[1])
        return answer(...(INSPECTIONS[decodeURIComponent(inspected[1])] ?? [404, { error: 'no such stub database' }]));
      if (request.method === 'POST' && url.pathname === '/v1/restores') {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { targetDatabase: string };
        restoresStarted.push(body);
        return answer(202, { restoreId: `r-${body.targetDatabase}` });
      }
      if (url.pathname === '/v1/data-sources/src-1') return answer(200, SOURCE);
      const rolledBack = /^\/v1\/restores\/(r-[^/]+)\/rollback$/.exec(url.pathname);
      if (request.method === 'POST' && rolledBack?.[1]) {
        rollbacksStarted.push({ restoreId: rolledBack[1], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        return answer(202, { restoreId: `${rolledBack[1]}-back` });
      }
      const restore = /^\/v1\/restores\/r-(.+)$/.exec(url.pathname);
      if (restore?.[1]) {
        const target = restore[1];
        const record: Restore = {
          id: `r-${target}`,
          backupId: 'b-1',
          sourceId: 'src-1',
          targetSourceId: 'src-1',
          targetDatabase: target,
          status: 'succeeded',
          requestedBy: 'local',
          createdAt: '2026-03-01T12:00:00.000Z',
          ...(target !== 'fresh' && { safetyBackupKey: SAFETY_KEY, safetyBackupId: SAFETY_ID }),
        };
        return answer(200, record);
      }
      answer(404, { error: `stub: no ${request.method} ${url.pathname}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  restoresStarted.length = 0;
  rollbacksStarted.length = 0;
  vi.restoreAllMocks();
});

/** Runs `keepsake <args>` against the stub, with `terminal` standing for a terminal on stdin (undefined: none). */
async function keepsake(args: string[], terminal?: Terminal) {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await main(args, { KEEPSAKE_API_URL: baseUrl }, terminal);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

const typing = (answer: string) => {
  const questions: string[] = [];
  return { questions, terminal: { ask: async (question: string) => (questions.push(question), answer) } };
};

describe('keepsake restore over a database that exists', () => {
  it('restores nothing without --yes or a terminal, exits 2 and says how to go on', async () => {
    const result = await keepsake(['restore', 'b-1', '--to', 'Shop/shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shop exists on Shop \(3 tables\) and will be replaced: nothing restored/);
    expect(result.stderr).toContain('--yes');
    expect(restoresStarted).toEqual([]);
  });

  it('treats a database whose existence could not be checked as existing', async () => {
    const result = await keepsake(['restore', 'b-1', '--to', 'Shop/unreachable']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/could not be checked \(cannot inspect database "unreachable": connect ETIMEDOUT\)/);
    expect(restoresStarted).toEqual([]);
  });

  it("restores nothing into a name the API's schema refuses, with its message (exit 2, a bad argument)", async () => {
    const result = await keepsake(['restore', 'b-1', '--to', `Shop/${LONG}`, '--yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('database names are at most 64 characters');
    expect(restoresStarted).toEqual([]);
  });

  it('restores with --yes and prints the safety backup it took and how to roll back', async () => {
    const result = await keepsake(['restore', 'b-1', '--to', 'Shop/shop', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(restoresStarted).toEqual([
      { backupId: 'b-1', targetSourceId: 'src-1', targetDatabase: 'shop', confirmDatabase: 'shop' },
    ]);
    expect(result.stdout).toContain(`safety backup of Shop/shop as it was before this restore: backup ${SAFETY_ID}`);
    expect(result.stdout).toContain('to roll back: keepsake rollback r-shop');
  });

  it('asks for the automatic rollback with --rollback-on-failure', async () => {
    const result = await keepsake(['restore', 'b-1', '--to', 'Shop/shop', '--yes', '--rollback-on-failure']);
    expect(result.code, result.stderr).toBe(0);
    expect(restoresStarted).toEqual([expect.objectContaining({ targetDatabase: 'shop', rollbackOnFailure: true })]);
  });

  it('asks on a terminal for the name and restores only when it is typed exactly', async () => {
    const wrong = typing('Shop');
    const refused = await keepsake(['restore', 'b-1', '--to', 'Shop/shop'], wrong.terminal);
    expect(refused.code).toBe(2);
    expect(wrong.questions).toEqual([expect.stringMatching(/shop exists on Shop .*Type the database name to go on/)]);
    expect(refused.stderr).toContain('"Shop" is not "shop": nothing restored');
    expect(restoresStarted).toEqual([]);

    const right = typing('shop');
    const restored = await keepsake(['restore', 'b-1', '--to', 'Shop/shop'], right.terminal);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restoresStarted).toHaveLength(1);
    expect(restored.stdout).toContain(SAFETY_ID);
  });

  it('restores into a database that does not exist without asking, and says there was nothing to keep', async () => {
    const never = typing('');
    const result = await keepsake(['restore', 'b-1', '--to', 'Shop/fresh'], never.terminal);
    expect(result.code, result.stderr).toBe(0);
    expect(never.questions).toEqual([]);
    expect(restoresStarted).toHaveLength(1);
    expect(result.stdout).toContain('no safety backup: Shop/fresh had nothing to keep');
  });
});

describe('keepsake rollback', () => {
  it('rolls nothing back over an existing database without --yes or a terminal, exiting 2', async () => {
    const result = await keepsake(['rollback', 'r-shop']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/shop exists on Shop \(3 tables\) and will be replaced: nothing rolled back/);
    expect(result.stderr).toContain('--yes');
    expect(rollbacksStarted).toEqual([]);
  });

  it('rolls back with --yes, repeating the target, and prints the rollback and its own safety backup', async () => {
    const result = await keepsake(['rollback', 'r-shop', '--yes']);
    expect(result.code, result.stderr).toBe(0);
    expect(rollbacksStarted).toEqual([{ restoreId: 'r-shop', body: { confirmDatabase: 'shop' } }]);
    expect(result.stdout).toContain('rollback r-shop-back  succeeded  into Shop/shop');
    expect(result.stdout).toContain('to roll back: keepsake rollback r-shop-back');
  });

  it('asks on a terminal and rolls back only when the name is typed exactly', async () => {
    const wrong = typing('SHOP');
    const refused = await keepsake(['rollback', 'r-shop'], wrong.terminal);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"SHOP" is not "shop": nothing rolled back');
    expect(rollbacksStarted).toEqual([]);

    const right = typing('shop');
    expect((await keepsake(['rollback', 'r-shop'], right.terminal)).code).toBe(0);
    expect(rollbacksStarted).toHaveLength(1);
  });

  it('needs the restore id (exit 2)', async () => {
    const result = await keepsake(['rollback']);
    expect(result.code).toBe(2);
    expect(rollbacksStarted).toEqual([]);
  });
});
