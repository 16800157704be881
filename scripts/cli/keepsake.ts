/**
 * `keepsake`: the Keepsake API from a shell, for what people script. Talks to local mode (default
 * http://127.0.0.1:8780, or KEEPSAKE_API_URL) or, with `--api <url>`, to a deployed API with SigV4 and the
 * standard AWS credential chain. Results go to stdout, errors to stderr. Exit codes: 0 done, 1 the operation
 * failed (a failed backup, a checksum mismatch, an API error), 2 the command line is wrong.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import { allPages, type Page } from '../../types/api.ts';
import type { DatabaseInspection } from '../../types/apiDataSources.ts';
import type { Backup } from '../../types/backup.ts';
import type { DataSource } from '../../types/dataSource.ts';
import type { Restore } from '../../types/restore.ts';
import { ApiError, apiClient, waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import { sigV4Signer } from './sigv4.ts';

const USAGE = `usage: keepsake [--api URL] <command>
  backup <source> [--no-wait]              back a data source (id or name) up now; waits for the result
  list [--source S] [--status ST] [--limit N]
                                           backups, newest first
  restore <backup> --to <source>/<database> [--yes] [--rollback-on-failure]
                                           restore into that database (created if absent; a safety backup of an
                                           existing one is taken first); replacing an existing database needs
                                           --yes or its name typed at the prompt; waits for the result.
                                           --rollback-on-failure: if it fails part-way, put the safety backup back
  rollback <restore> [--yes]               undo a restore: restore its safety backup into the same database (itself
                                           after a new safety backup); needs --yes or the name typed, as restore
  verify <backup>                          re-read the stored object and check its SHA-256 and gzip stream
  download <backup> [--out FILE]           save the .sql.gz, checking its SHA-256 as it is written
  --api URL   a deployed Keepsake API (SigV4-signed with your AWS credentials); default KEEPSAKE_API_URL or
              local mode's http://127.0.0.1:8780`;

class UsageError extends Error {}

const say = (line: string) => process.stdout.write(`${line}\n`);

const allSources = (api: ApiClient): Promise<DataSource[]> =>
  allPages((cursor) =>
    api.request<Page<DataSource>>(
      'GET',
      `/v1/data-sources?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    ),
  );

/** A data source by id or by its exact name; a name two sources share must be given as an id. */
async function findSource(api: ApiClient, idOrName: string): Promise<DataSource> {
  const sources = await allSources(api);
  const byId = sources.find((s) => s.id === idOrName);
  if (byId) return byId;
  const named = sources.filter((s) => s.name === idOrName);
  if (named.length === 1 && named[0]) return named[0];
  if (named.length > 1)
    throw new UsageError(
      `${named.length} data sources are named "${idOrName}": give the id (${named.map((s) => s.id).join(', ')})`,
    );
  throw new UsageError(
    `no data source has the id or name "${idOrName}" (keepsake list shows backups; GET /v1/data-sources lists sources)`,
  );
}

const size = (bytes: number | undefined) =>
  bytes === undefined
    ? '-'
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KiB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

function describe(backup: Backup): string {
  const parts = [`backup ${backup.id}`, backup.status, `${backup.database}`, size(backup.compressedBytes)];
  if (backup.sha256) parts.push(`sha256 ${backup.sha256}`);
  if (backup.error) parts.push(`error: ${backup.error}`);
  return parts.join('  ');
}

function requireOne(positionals: string[], what: string): string {
  const [value, ...rest] = positionals;
  if (!value) throw new UsageError(`give the ${what}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return value;
}

async function backupCommand(api: ApiClient, positionals: string[], flags: Flags): Promise<number> {
  const source = await findSource(api, requireOne(positionals, 'data source (id or name)'));
  const { backupId } = await api.request<{ backupId: string }>('POST', `/v1/data-sources/${source.id}/backups`, {
    trigger: 'api',
  });
  if (flags['no-wait']) {
    say(backupId);
    return 0;
  }
  const backup = await waitForBackup(api, backupId);
  say(describe(backup));
  return backup.status === 'succeeded' ? 0 : 1;
}

async function listCommand(api: ApiClient, positionals: string[], flags: Flags): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const query = new URLSearchParams({ limit: flags.limit ?? '25' });
  if (flags.source) query.set('sourceId', (await findSource(api, flags.source)).id);
  if (flags.status) query.set('status', flags.status);
  const page = await api.request<Page<Backup>>('GET', `/v1/backups?${query}`);
  if (page.items.length === 0) say('no backups');
  for (const b of page.items)
    say(
      [
        b.id,
        b.status.padEnd(9),
        b.trigger.padEnd(8),
        b.createdAt,
        size(b.compressedBytes).padStart(10),
        b.database,
        b.error ?? '',
      ]
        .join('  ')
        .trimEnd(),
    );
  return 0;
}

/** Why restoring into `database` would replace data, or undefined when the server says it does not exist. */
async function whatWouldBeReplaced(api: ApiClient, source: DataSource, database: string): Promise<string | undefined> {
  const inspection = await api
    .request<DatabaseInspection>(
      'GET',
      `/v1/data-sources/${encodeURIComponent(source.id)}/databases/${encodeURIComponent(database)}`,
    )
    .catch((error: unknown) => {
      // A refused request (a bad name, a source gone, a role without the right) would be refused as a restore too.
      if (error instanceof ApiError && error.status < 500) throw error;
      return error as Error;
    });
  if (inspection instanceof Error)
    return `whether ${database} exists on ${source.name} could not be checked (${inspection.message}), so it may be replaced`;
  if (!inspection.exists) return undefined;
  return `${database} exists on ${source.name} (${inspection.tableCount} tables) and will be replaced`;
}

/**
 * A restore over a database that exists (or may) goes ahead only when the caller said so: `--yes`, or its name typed
 * at a prompt, as the console asks for it. Without a terminal to ask on, the command line is what is wrong.
 */
async function confirmReplacing(
  api: ApiClient,
  source: DataSource,
  database: string,
  flags: Flags,
  terminal: Terminal | undefined,
  undone = 'nothing restored',
): Promise<void> {
  const replaced = await whatWouldBeReplaced(api, source, database);
  if (replaced === undefined || flags.yes) return;
  if (!terminal)
    throw new UsageError(
      `${replaced}: ${undone}. To replace it (a safety backup is taken first), pass --yes or run this on a terminal and type its name`,
    );
  const typed = await terminal.ask(`${replaced} (a safety backup is taken first). Type the database name to go on: `);
  if (typed !== database) throw new UsageError(`"${typed}" is not "${database}": ${undone}`);
}

/** What the restore kept of the database it replaced, and how to put it back. */
function describeSafetyBackup(restore: Restore, target: string): string[] {
  if (restore.autoRollback?.status === 'succeeded')
    return [`rolled back automatically: ${target} holds what it held before this restore`];
  if (!restore.safetyBackupId && !restore.safetyBackupKey)
    return [
      restore.status === 'succeeded' ? `no safety backup: ${target} had nothing to keep` : 'no safety backup was taken',
    ];
  if (!restore.safetyBackupId)
    return [
      `safety backup of ${target} as it was before this restore: ${restore.safetyBackupKey} (in the backup bucket)`,
    ];
  return [
    `safety backup of ${target} as it was before this restore: backup ${restore.safetyBackupId}`,
    ...(restore.autoRollback
      ? [`the automatic rollback failed: ${restore.autoRollback.error ?? 'no reason given'}`]
      : []),
    `to roll back: keepsake rollback ${restore.id}`,
  ];
}

/** One line for a restore that ended, then what it kept of its target and how to put it back. */
function reportRestore(restore: Restore, target: string, what = 'restore'): number {
  say(`${what} ${restore.id}  ${restore.status}  into ${target}${restore.error ? `  error: ${restore.error}` : ''}`);
  for (const line of describeSafetyBackup(restore, target)) say(line);
  return restore.status === 'succeeded' ? 0 : 1;
}

async function restoreCommand(
  api: ApiClient,
  positionals: string[],
  flags: Flags,
  terminal: Terminal | undefined,
): Promise<number> {
  const backupId = requireOne(positionals, 'backup id');
  const to = flags.to ?? '';
  const slash = to.lastIndexOf('/');
  if (slash <= 0 || slash === to.length - 1) throw new UsageError('give the target as --to <source>/<database>');
  const source = await findSource(api, to.slice(0, slash));
  const database = to.slice(slash + 1);
  await confirmReplacing(api, source, database, flags, terminal);
  const { restoreId } = await api.request<{ restoreId: string }>('POST', '/v1/restores', {
    backupId,
    targetSourceId: source.id,
    targetDatabase: database,
    confirmDatabase: database,
    ...(flags['rollback-on-failure'] && { rollbackOnFailure: true }),
  });
  return reportRestore(await waitForRestore(api, restoreId), `${source.name}/${database}`);
}

/** `keepsake rollback <restore>`: the restore's safety backup back into its target, with the same consent as restore. */
async function rollbackCommand(
  api: ApiClient,
  positionals: string[],
  flags: Flags,
  terminal: Terminal | undefined,
): Promise<number> {
  const restoreId = requireOne(positionals, 'restore id');
  const original = await api.request<Restore>('GET', `/v1/restores/${encodeURIComponent(restoreId)}`);
  const source = await api.request<DataSource>(
    'GET',
    `/v1/data-sources/${encodeURIComponent(original.targetSourceId)}`,
  );
  const database = original.targetDatabase;
  await confirmReplacing(api, source, database, flags, terminal, 'nothing rolled back');
  const { restoreId: rollbackId } = await api.request<{ restoreId: string }>(
    'POST',
    `/v1/restores/${encodeURIComponent(restoreId)}/rollback`,
    { confirmDatabase: database },
  );
  return reportRestore(await waitForRestore(api, rollbackId), `${source.name}/${database}`, 'rollback');
}

async function verifyCommand(api: ApiClient, positionals: string[]): Promise<number> {
  const backupId = requireOne(positionals, 'backup id');
  const before = await api.request<Backup>('GET', `/v1/backups/${encodeURIComponent(backupId)}`);
  await api.request('POST', `/v1/backups/${encodeURIComponent(backupId)}/verify`);
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    const current = await api.request<Backup>('GET', `/v1/backups/${encodeURIComponent(backupId)}`);
    const verification = current.verification;
    if (verification && verification.at !== before.verification?.at) {
      say(`backup ${backupId}  ${verification.status}${verification.reason ? `  ${verification.reason}` : ''}`);
      return verification.status === 'verified' ? 0 : 1;
    }
    if (Date.now() > deadline) throw new Error(`backup ${backupId} was not verified within 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function downloadCommand(api: ApiClient, positionals: string[], flags: Flags): Promise<number> {
  const backupId = requireOne(positionals, 'backup id');
  const backup = await api.request<Backup>('GET', `/v1/backups/${encodeURIComponent(backupId)}`);
  const { url } = await api.request<{ url: string }>('GET', `/v1/backups/${encodeURIComponent(backupId)}/download-url`);
  const file = flags.out ?? `${backup.database}-${backup.createdAt.replace(/[:.]/g, '-')}.sql.gz`;
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(
    Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
    tap,
    createWriteStream(file, { flags: 'wx' }),
  );
  const sha256 = hash.digest('hex');
  if (sha256 !== backup.sha256) {
    await rm(file, { force: true });
    process.stderr.write(
      `keepsake: ${file} removed: its SHA-256 ${sha256} differs from the recorded ${backup.sha256 ?? '(none)'}\n`,
    );
    return 1;
  }
  say(`${file}  ${bytes} bytes  sha256 ${sha256} (matches the record)`);
  return 0;
}

type Flags = Partial<Record<'api' | 'source' | 'status' | 'limit' | 'to' | 'out', string>> & {
  'no-wait'?: boolean;
  yes?: boolean;
  'rollback-on-failure'?: boolean;
};

/** Where a command can ask the person running it something: only when stdin is a terminal. */
export interface Terminal {
  ask(question: string): Promise<string>;
}

function processTerminal(): Terminal | undefined {
  if (!process.stdin.isTTY) return undefined;
  return {
    async ask(question) {
      // On stderr, so that stdout keeps only results.
      const prompt = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await prompt.question(question);
      } finally {
        prompt.close();
      }
    },
  };
}

const COMMANDS: Record<
  string,
  (api: ApiClient, positionals: string[], flags: Flags, terminal: Terminal | undefined) => Promise<number>
> = {
  backup: backupCommand,
  list: listCommand,
  restore: restoreCommand,
  rollback: rollbackCommand,
  verify: verifyCommand,
  download: downloadCommand,
};

export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  terminal: Terminal | undefined = processTerminal(),
): Promise<number> {
  let parsed: { values: Flags; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        api: { type: 'string' },
        source: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string', short: 'o' },
        'no-wait': { type: 'boolean' },
        yes: { type: 'boolean', short: 'y' },
        'rollback-on-failure': { type: 'boolean' },
      },
    }) as { values: Flags; positionals: string[] };
  } catch (error) {
    process.stderr.write(`keepsake: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...positionals] = parsed.positionals;
  const run = command ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`${command ? `keepsake: unknown command "${command}"\n` : ''}${USAGE}\n`);
    return 2;
  }
  const deployed = parsed.values.api;
  const baseUrl = deployed ?? env.KEEPSAKE_API_URL ?? 'http://127.0.0.1:8780';
  try {
    return await run(
      apiClient(baseUrl, deployed ? sigV4Signer(deployed) : undefined),
      positionals,
      parsed.values,
      terminal,
    );
  } catch (error) {
    process.stderr.write(`keepsake: ${describeFailure(error, baseUrl, deployed === undefined)}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

/** One line for a failed API call: the API's message with its per-field messages, or why `baseUrl` did not answer. */
export function describeFailure(error: unknown, baseUrl: string, local: boolean): string {
  if (error instanceof ApiError && error.fields)
    return `${error.message} (${Object.entries(error.fields)
      .map(([f, m]) => `${f}: ${m}`)
      .join('; ')})`;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (error instanceof TypeError && cause) {
    return `cannot reach ${baseUrl}: ${cause.code ?? cause.message ?? 'no answer'}${local ? ' (is local mode running? npm start)' : ''}`;
  }
  return (error as Error).message;
}
