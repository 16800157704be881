/**
 * `keepsake`: the Keepsake API from a shell, for what people script. Talks to local mode (default
 * http://127.0.0.1:8780, or KEEPSAKE_API_URL) or, with `--api <url>`, to a deployed API with SigV4 and the
 * standard AWS credential chain. Results go to stdout, errors and progress to stderr. Exit codes: 0 done, 1 the
 * operation failed (a failed backup, a checksum mismatch, an API error), 2 the command line is wrong.
 */
import { createHash, randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { copyFile, link, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { ZodType } from 'zod';
import { allPages, PageQuerySchema } from '../../types/api.ts';
import { BackupStatusSchema, type Backup, type BackupStatus } from '../../types/backup.ts';
import { DatabaseNameSchema, IdSchema, type DataSource } from '../../types/dataSource.ts';
import type { LogLine, LogPage } from '../../types/jobLogs.ts';
import type { Restore } from '../../types/restore.ts';
import { ApiError, apiClient, waitForBackup, waitForRestore, type ApiClient } from '../../types/apiClient.ts';
import { duration, localTime, size, table } from './format.ts';
import { commandHelp, generalHelp, type CommandHelp, type OptionSpec } from './help.ts';
import { progressMeter, type ProgressMeter, type ProgressStream } from './progress.ts';
import { sigV4Signer } from './sigv4.ts';

/** The command line is wrong: exit 2, nothing done. */
class UsageError extends Error {}

/** Every option of every command; a command lists the ones it takes (besides GLOBAL_OPTIONS). */
const OPTIONS = {
  api: {
    type: 'string',
    value: 'URL',
    help: 'a deployed API, signed with your AWS credentials (default KEEPSAKE_API_URL, else local mode)',
  },
  json: { type: 'boolean', help: "print the API's objects as JSON on stdout instead of text" },
  quiet: {
    type: 'boolean',
    short: 'q',
    help: 'no progress line on stderr (none is drawn anyway when it is not a terminal)',
  },
  help: { type: 'boolean', short: 'h', help: 'what a command does, its options and examples' },
  source: { type: 'string', value: 'S', help: 'only this data source: its id, its name or the start of its name' },
  status: {
    type: 'string',
    value: 'ST',
    help: `only backups in this status: ${BackupStatusSchema.options.join(', ')}`,
  },
  limit: { type: 'string', value: 'N', help: 'at most N rows, 1-100 (default 25)' },
  to: { type: 'string', value: 'S/DB', help: 'the target: a data source (id, name or start of its name) / a database' },
  out: {
    type: 'string',
    short: 'o',
    value: 'FILE',
    help: "where to save it (default: here, under the API's name <source>-<database>-<time>.sql.gz)",
  },
  force: {
    type: 'boolean',
    short: 'f',
    help: 'replace FILE if it exists (only once the download is whole and checked)',
  },
  'no-wait': { type: 'boolean', help: 'print the new backup id and return at once' },
  yes: {
    type: 'boolean',
    short: 'y',
    help: 'replace an existing database without asking (a safety backup is taken first)',
  },
  'rollback-on-failure': {
    type: 'boolean',
    help: 'if the restore fails part-way, put the safety backup back at once',
  },
} as const satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;
const GLOBAL_OPTIONS = ['api', 'json', 'quiet', 'help'] as const satisfies readonly OptionName[];
const globalSpecs = Object.fromEntries(GLOBAL_OPTIONS.map((name) => [name, OPTIONS[name]]));

type Flags = { [K in OptionName]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

/** Where a command can ask the person running it something: only when stdin is a terminal. */
export interface Terminal {
  ask(question: string): Promise<string>;
}

/** Where the CLI writes: stdout for results, stderr for errors and (on a terminal) progress. */
export interface Output {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: ProgressStream;
}

/** What a command runs with. */
interface Run {
  readonly api: ApiClient;
  readonly args: readonly string[];
  readonly flags: Flags;
  readonly terminal: Terminal | undefined;
  readonly meter: ProgressMeter;
  /** The TZ times are shown in. */
  readonly tz: string | undefined;
  /** A line of text, or with --json the value as JSON. */
  print(text: () => string, value: unknown): void;
  /** A line on stderr about the command's outcome (the exit code says it failed). */
  warn(message: string): void;
}

interface Command extends CommandHelp {
  readonly options: readonly OptionName[];
  run(run: Run): Promise<number>;
}

/** A flag's value checked with the API's own schema, so a bad one is refused before anything is sent. */
function valid<T>(schema: ZodType<T>, value: string, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`bad ${what} "${value}": ${result.error.issues.map((issue) => issue.message).join('; ')}`);
}

function statusFlag(flags: Flags): BackupStatus | undefined {
  if (flags.status === undefined) return undefined;
  const status = BackupStatusSchema.safeParse(flags.status);
  if (status.success) return status.data;
  throw new UsageError(`bad --status "${flags.status}": it is one of ${BackupStatusSchema.options.join(', ')}`);
}

const limitFlag = (flags: Flags) => valid(PageQuerySchema.shape.limit, flags.limit ?? '25', '--limit');

function oneArgument(args: readonly string[], what: string): string {
  const [value, ...rest] = args;
  if (!value) throw new UsageError(`give the ${what}`);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return value;
}

const oneId = (args: readonly string[], what: string) => valid(IdSchema, oneArgument(args, what), what);

function noArguments(args: readonly string[]): void {
  if (args.length > 0) throw new UsageError(`unexpected argument "${args[0]}"`);
}

const allSources = (api: ApiClient): Promise<DataSource[]> =>
  allPages((cursor) => api.listDataSources({ limit: 100, cursor }));

/**
 * The data source `given` names: its id, its exact name, or the one name starting with it (any case), so `demo`
 * finds "demo (local MariaDB)". More than one match is an error listing them, never a guess.
 */
export function matchSource(sources: readonly DataSource[], given: string): DataSource {
  const byId = sources.find((s) => s.id === given);
  if (byId) return byId;
  const exact = sources.filter((s) => s.name === given);
  const prefix = given.toLowerCase();
  const matches = exact.length > 0 ? exact : sources.filter((s) => s.name.toLowerCase().startsWith(prefix));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length > 1)
    throw new UsageError(
      `"${given}" matches ${matches.length} data sources; give more of the name or the id:\n${matches
        .map((s) => `  ${s.name}  (${s.id})`)
        .join('\n')}`,
    );
  throw new UsageError(`no data source has the id or name "${given}" (keepsake sources lists them)`);
}

const findSource = async (api: ApiClient, given: string) => matchSource(await allSources(api), given);

function describeBackup(backup: Backup): string {
  const parts = [`backup ${backup.id}`, backup.status, backup.database, size(backup.compressedBytes)];
  if (backup.sha256) parts.push(`sha256 ${backup.sha256}`);
  if (backup.error) parts.push(`error: ${backup.error}`);
  return parts.join('  ');
}

const PROGRESS_INTERVAL_MS = 1000;

/**
 * Resolves with `job`; meanwhile, on a terminal, redraws progress with `tick` at once and every second. Progress is
 * best effort: a failed tick leaves the line as it was and never fails the command.
 */
async function whileRunning<T>(job: Promise<T>, meter: ProgressMeter, tick: () => Promise<void>): Promise<T> {
  if (!meter.active) return job;
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      await tick().catch(() => undefined);
      await sleep(PROGRESS_INTERVAL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  })();
  try {
    return await job;
  } finally {
    stop.abort();
    await loop;
    meter.clear();
  }
}

const PHASES: Record<string, string> = { dumping: 'dumping', completing: 'completing the upload' };
const READS_THE_OBJECT = new Set(['verifying', 'restoring']);

/**
 * A tick that reads the runner's new log lines (`readLog`: getBackupLogs or getRestoreLogs) and shows its latest `progress` line: bytes read,
 * and for a restore against the stored object's size, which its runner counts its reading against. Before the runner reports, the time waited.
 */
function followLog(
  readLog: (cursor: string | undefined) => Promise<LogPage>,
  meter: ProgressMeter,
  restore?: { readonly stored: number | undefined },
): () => Promise<void> {
  const started = Date.now();
  let cursor: string | undefined;
  let mode: string | undefined;
  let latest: LogLine | undefined;
  return async () => {
    let page: LogPage;
    do {
      page = await readLog(cursor);
      cursor = page.nextCursor ?? cursor;
      for (const line of page.lines) {
        if (line.event === 'start') [mode, latest] = [line.mode, undefined];
        if (line.event === 'progress') latest = line;
      }
    } while (page.more);
    if (!latest) return meter.show({ label: 'waiting for the runner', elapsedMs: Date.now() - started });
    const phase = latest.phase ?? 'working';
    meter.show({
      // A restore's runner first backs the target up (its safety backup), then restores.
      label: `${restore && mode === 'backup' ? 'safety backup: ' : ''}${PHASES[phase] ?? phase}`,
      ...(latest.bytesRead !== undefined && { bytes: latest.bytesRead }),
      // Both read the stored object: a restore checks it before it feeds it to the server.
      ...(READS_THE_OBJECT.has(phase) && restore?.stored !== undefined && { total: restore.stored }),
      elapsedMs: latest.elapsedMs ?? Date.now() - started,
    });
  };
}

async function backupCommand({ api, args, flags, meter, print }: Run): Promise<number> {
  const source = await findSource(api, oneArgument(args, 'data source (id or name)'));
  const { backupId } = await api.triggerBackup({ id: source.id }, { trigger: 'api' });
  if (flags['no-wait']) {
    print(() => backupId, { backupId });
    return 0;
  }
  const backup = await whileRunning(
    waitForBackup(api, backupId),
    meter,
    followLog((cursor) => api.getBackupLogs({ id: backupId, cursor }), meter),
  );
  print(() => describeBackup(backup), backup);
  return backup.status === 'succeeded' ? 0 : 1;
}

async function listCommand({ api, args, flags, tz, print }: Run): Promise<number> {
  noArguments(args);
  const sources = await allSources(api);
  const page = await api.listBackups({
    limit: limitFlag(flags),
    status: statusFlag(flags),
    sourceId: flags.source ? matchSource(sources, flags.source).id : undefined,
  });
  const names = new Map(sources.map((s) => [s.id, s.name]));
  print(
    () =>
      page.items.length === 0
        ? 'no backups'
        : table(
            ['ID', 'CREATED', 'STATUS', 'TRIGGER', 'SIZE', 'SOURCE', 'DATABASE', 'ERROR'],
            page.items.map((b) => [
              b.id,
              localTime(b.createdAt, tz),
              b.status,
              b.trigger,
              size(b.compressedBytes),
              names.get(b.sourceId) ?? b.sourceId,
              b.database,
              b.error ?? '',
            ]),
          ),
    page.items,
  );
  return 0;
}

async function sourcesCommand({ api, args, print }: Run): Promise<number> {
  noArguments(args);
  const sources = await allSources(api);
  print(
    () =>
      sources.length === 0
        ? 'no data sources'
        : table(
            ['NAME', 'ENGINE', 'SERVER', 'DATABASE', 'ENABLED', 'ID'],
            sources.map((s) => [s.name, s.engine, `${s.host}:${s.port}`, s.database, s.enabled ? 'yes' : 'no', s.id]),
          ),
    sources,
  );
  return 0;
}

async function showCommand({ api, args, tz, print }: Run): Promise<number> {
  const id = oneId(args, 'backup id');
  const backup = await api.getBackup({ id });
  const source = await api.getDataSource({ id: backup.sourceId }).catch(() => undefined);
  const { verification } = backup;
  const fields: [string, string | undefined][] = [
    ['id', backup.id],
    ['source', source ? `${source.name} (${backup.sourceId})` : backup.sourceId],
    ['database', backup.database],
    ['status', backup.status],
    ['trigger', backup.trigger],
    ['created', localTime(backup.createdAt, tz)],
    ['finished', backup.finishedAt && localTime(backup.finishedAt, tz)],
    ['duration', backup.durationMs === undefined ? undefined : duration(backup.durationMs)],
    [
      'size',
      backup.compressedBytes === undefined
        ? undefined
        : `${size(backup.compressedBytes)} stored, ${size(backup.uncompressedBytes)} of SQL`,
    ],
    ['tables', backup.tables?.toString()],
    ['sha256', backup.sha256],
    [
      'verified',
      verification &&
        `${verification.status} ${localTime(verification.at, tz)}${verification.reason ? `: ${verification.reason}` : ''}`,
    ],
    ['error', backup.error],
    [
      'trashed',
      backup.trashedAt &&
        `${localTime(backup.trashedAt, tz)}${backup.trashedBy ? ` by ${backup.trashedBy}` : ''}${backup.trashReason ? `: ${backup.trashReason}` : ''}`,
    ],
  ];
  print(
    () =>
      fields
        .filter((field): field is [string, string] => field[1] !== undefined)
        .map(([name, value]) => `${`${name}:`.padEnd(10)}${value}`)
        .join('\n'),
    backup,
  );
  return 0;
}

async function restoresCommand({ api, args, flags, tz, print }: Run): Promise<number> {
  noArguments(args);
  const sources = await allSources(api);
  const page = await api.listRestores({
    limit: limitFlag(flags),
    targetSourceId: flags.source ? matchSource(sources, flags.source).id : undefined,
  });
  const names = new Map(sources.map((s) => [s.id, s.name]));
  print(
    () =>
      page.items.length === 0
        ? 'no restores'
        : table(
            ['ID', 'CREATED', 'STATUS', 'BACKUP', 'TARGET', 'BY', 'ERROR'],
            page.items.map((r) => [
              r.id,
              localTime(r.createdAt, tz),
              r.status,
              r.backupId,
              `${names.get(r.targetSourceId) ?? r.targetSourceId}/${r.targetDatabase}`,
              r.requestedByName ?? r.requestedBy,
              r.error ?? '',
            ]),
          ),
    page.items,
  );
  return 0;
}

/** Why restoring into `database` would replace data, or undefined when the server says it does not exist. */
async function whatWouldBeReplaced(api: ApiClient, source: DataSource, database: string): Promise<string | undefined> {
  const inspection = await api.inspectDatabase({ id: source.id, database }).catch((error: unknown) => {
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
  { api, flags, terminal }: Run,
  source: DataSource,
  database: string,
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

/** Waits for a restore with progress; then one line for how it ended, what it kept of its target, how to undo it. */
async function finishRestore(
  { api, meter, print }: Run,
  restoreId: string,
  backupId: string | undefined,
  target: string,
  what: string,
): Promise<number> {
  const stored =
    meter.active && backupId
      ? await api
          .getBackup({ id: backupId })
          .then((b) => b.compressedBytes)
          .catch(() => undefined)
      : undefined;
  const restore = await whileRunning(
    waitForRestore(api, restoreId),
    meter,
    followLog((cursor) => api.getRestoreLogs({ id: restoreId, cursor }), meter, { stored }),
  );
  print(
    () =>
      [
        `${what} ${restore.id}  ${restore.status}  into ${target}${restore.error ? `  error: ${restore.error}` : ''}`,
        ...describeSafetyBackup(restore, target),
      ].join('\n'),
    restore,
  );
  return restore.status === 'succeeded' ? 0 : 1;
}

async function restoreCommand(run: Run): Promise<number> {
  const { api, args, flags } = run;
  const backupId = oneId(args, 'backup id');
  const to = flags.to ?? '';
  const slash = to.lastIndexOf('/');
  if (slash <= 0 || slash === to.length - 1) throw new UsageError('give the target as --to <source>/<database>');
  const database = valid(DatabaseNameSchema, to.slice(slash + 1), 'database in --to');
  const source = await findSource(api, to.slice(0, slash));
  await confirmReplacing(run, source, database);
  const { restoreId } = await api.createRestore({
    backupId,
    targetSourceId: source.id,
    targetDatabase: database,
    confirmDatabase: database,
    ...(flags['rollback-on-failure'] && { rollbackOnFailure: true }),
  });
  return finishRestore(run, restoreId, backupId, `${source.name}/${database}`, 'restore');
}

/** `keepsake rollback <restore>`: the restore's safety backup back into its target, with the same consent as restore. */
async function rollbackCommand(run: Run): Promise<number> {
  const { api, args } = run;
  const restoreId = oneId(args, 'restore id');
  const original = await api.getRestore({ id: restoreId });
  const source = await api.getDataSource({ id: original.targetSourceId });
  const database = original.targetDatabase;
  await confirmReplacing(run, source, database, 'nothing rolled back');
  const { restoreId: rollbackId } = await api.rollbackRestore({ id: restoreId }, { confirmDatabase: database });
  return finishRestore(run, rollbackId, original.safetyBackupId, `${source.name}/${database}`, 'rollback');
}

async function verifyCommand({ api, args, meter, print }: Run): Promise<number> {
  const backupId = oneId(args, 'backup id');
  const before = await api.getBackup({ id: backupId });
  await api.verifyBackup({ id: backupId });
  const started = Date.now();
  const verified = async (): Promise<Backup> => {
    const deadline = started + 10 * 60_000;
    for (;;) {
      const current = await api.getBackup({ id: backupId });
      if (current.verification && current.verification.at !== before.verification?.at) return current;
      if (Date.now() > deadline) throw new Error(`backup ${backupId} was not verified within 10 minutes`);
      await sleep(500);
    }
  };
  // The Verify machine's runner log is not served by the API, so this shows what is read and for how long.
  const current = await whileRunning(verified(), meter, async () =>
    meter.show({ label: `verifying ${size(before.compressedBytes)} stored`, elapsedMs: Date.now() - started }),
  );
  const verification = current.verification;
  if (!verification) throw new Error(`backup ${backupId} has no verification`);
  print(
    () => `backup ${backupId}  ${verification.status}${verification.reason ? `  ${verification.reason}` : ''}`,
    current,
  );
  return verification.status === 'verified' ? 0 : 1;
}

async function isThere(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

const exists = (file: string) =>
  new UsageError(`${file} already exists: nothing downloaded (--force replaces it, --out names another file)`);

/** Puts the checked download at `file`: over an existing one only with `force`, and never over one that appeared since. */
async function keep(partial: string, file: string, force: boolean): Promise<void> {
  if (force) return rename(partial, file);
  try {
    await link(partial, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists(file);
    // A file system without hard links: a copy that still refuses to replace.
    await copyFile(partial, file, constants.COPYFILE_EXCL).catch((copyError: NodeJS.ErrnoException) => {
      throw copyError.code === 'EEXIST' ? exists(file) : copyError;
    });
  }
}

/** Refuses a target that exists (unless `force`) or whose folder does not, before anything is written. */
async function mayWrite(file: string, force: boolean): Promise<void> {
  if (!force && (await isThere(file))) throw exists(file);
  const folder = await stat(dirname(file)).catch(() => undefined);
  if (!folder?.isDirectory()) throw new UsageError(`cannot save ${file}: ${dirname(file)} is not a folder`);
}

/**
 * The file name the API gives the download (`{source}-{database}-{time}.sql.gz`, the console's too), from the
 * object's Content-Disposition: the UTF-8 form where there is one. Only a bare name is taken, never a path.
 */
export function suggestedName(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
  const plain = /filename="([^"]*)"/i.exec(disposition)?.[1];
  let name: string | undefined;
  try {
    name = extended ? decodeURIComponent(extended) : plain;
  } catch {
    name = plain;
  }
  // No hidden file either (the API strips leading dots too).
  const bare = name && basename(name.replace(/\\/g, '/')).replace(/^\.+/, '');
  return bare || undefined;
}

async function downloadCommand({ api, args, flags, meter, print, warn }: Run): Promise<number> {
  const backupId = oneId(args, 'backup id');
  const backup = await api.getBackup({ id: backupId });
  if (flags.out) await mayWrite(flags.out, flags.force === true);
  const { url } = await api.getDownloadUrl({ id: backupId });
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download failed: HTTP ${response.status}`);
  const file =
    flags.out ??
    suggestedName(response.headers.get('content-disposition')) ??
    `${backup.database}-${backup.createdAt.replace(/[:.]/g, '-')}.sql.gz`;
  if (!flags.out)
    await mayWrite(file, flags.force === true).catch(async (error: unknown) => {
      await response.body?.cancel();
      throw error;
    });
  const total = Number(response.headers.get('content-length')) || backup.compressedBytes;
  // Written beside the target and moved there only when whole and matching its SHA-256: a failed or corrupt
  // download leaves no file, and --force never destroys the old one for a bad new one.
  const partial = join(dirname(file), `.${basename(file)}.${randomUUID().slice(0, 8)}.partial`);
  const hash = createHash('sha256');
  const started = Date.now();
  let bytes = 0;
  let drawn = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      if (Date.now() - drawn >= 100) {
        drawn = Date.now();
        meter.show({ label: 'downloading', bytes, ...(total !== undefined && { total }), elapsedMs: drawn - started });
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      tap,
      createWriteStream(partial, { flags: 'wx' }),
    );
    meter.show({ label: 'downloaded', bytes, ...(total !== undefined && { total }), elapsedMs: Date.now() - started });
    meter.clear();
    const sha256 = hash.digest('hex');
    if (sha256 !== backup.sha256) {
      warn(`nothing saved: the download's SHA-256 ${sha256} differs from the recorded ${backup.sha256 ?? '(none)'}`);
      return 1;
    }
    await keep(partial, file, flags.force === true);
    print(() => `${file}  ${bytes} bytes  sha256 ${sha256} (matches the record)`, { file, bytes, sha256, backupId });
    return 0;
  } finally {
    meter.clear();
    await rm(partial, { force: true });
  }
}

const COMMANDS: Record<string, Command> = {
  sources: {
    usage: '',
    summary: 'the data sources, with their ids',
    details: 'Every data source: name, engine, server, database, whether its schedules run, and its id.',
    options: [],
    examples: ['keepsake sources', 'keepsake sources --json'],
    run: sourcesCommand,
  },
  list: {
    usage: '[--source S] [--status ST] [--limit N]',
    summary: 'backups, newest first',
    details: 'Backups, newest first, under a header; times in your time zone, sizes as stored (compressed).',
    options: ['source', 'status', 'limit'],
    examples: ['keepsake list', 'keepsake list --source demo --status failed', 'keepsake list --limit 100 --json'],
    run: listCommand,
  },
  show: {
    usage: '<backup>',
    summary: 'one backup in full',
    details: 'Everything recorded about one backup: source, sizes, SHA-256, last verification, error, trash.',
    options: [],
    examples: ['keepsake show <backup-id>', 'keepsake show <backup-id> --json'],
    run: showCommand,
  },
  backup: {
    usage: '<source> [--no-wait]',
    summary: 'back a data source up now and wait for the result',
    details:
      'Backs the data source up now and waits for the result, drawing progress on stderr (bytes dumped, rate).\nExits 1 if the backup fails.',
    options: ['no-wait'],
    examples: ['keepsake backup demo', 'keepsake backup demo --no-wait'],
    run: backupCommand,
  },
  restores: {
    usage: '[--source S] [--limit N]',
    summary: 'restores, newest first',
    details: 'Restores and rollbacks, newest first, under a header; --source keeps those into that data source.',
    options: ['source', 'limit'],
    examples: ['keepsake restores', 'keepsake restores --source demo --json'],
    run: restoresCommand,
  },
  restore: {
    usage: '<backup> --to <source>/<database> [--yes] [--rollback-on-failure]',
    summary: 'restore a backup into a database and wait for the result',
    details: `Restores the backup into that database, created if absent, and waits, drawing progress on stderr (%, rate,
ETA). A database that exists is backed up first (its safety backup) and replaced only with --yes or its name typed
at the prompt; without a terminal to ask on, nothing is restored. Prints the safety backup and how to roll back.`,
    options: ['to', 'yes', 'rollback-on-failure'],
    examples: [
      'keepsake restore <backup-id> --to demo/shop_copy',
      'keepsake restore <backup-id> --to demo/shop --yes --rollback-on-failure',
    ],
    run: restoreCommand,
  },
  rollback: {
    usage: '<restore> [--yes]',
    summary: 'undo a restore: put its safety backup back (once)',
    details: `Restores the restore's safety backup into the same database (itself after a new safety backup). Needs
--yes or the database name typed, as restore does; a restore is rolled back once.`,
    options: ['yes'],
    examples: ['keepsake rollback <restore-id>', 'keepsake rollback <restore-id> --yes'],
    run: rollbackCommand,
  },
  verify: {
    usage: '<backup>',
    summary: 're-read a stored backup and check its SHA-256 and gzip stream',
    details: 'Re-reads the stored object end to end and checks its SHA-256 and gzip stream. Exits 1 if it fails.',
    options: [],
    examples: ['keepsake verify <backup-id>'],
    run: verifyCommand,
  },
  download: {
    usage: '<backup> [--out FILE] [--force]',
    summary: 'save a backup as a .sql.gz file, its SHA-256 checked',
    details: `Saves the stored .sql.gz, drawing progress on stderr (%, rate, ETA); without --out, here under the name
the console gives it (<source>-<database>-<time>.sql.gz). It is written beside its target and moved there only when
whole and its SHA-256 matches the record, so a bad download leaves nothing. A file that exists is an error (exit 2)
unless --force.`,
    options: ['out', 'force'],
    examples: [
      'keepsake download <backup-id>',
      'keepsake download <backup-id> --out shop.sql.gz',
      'keepsake download <backup-id> -o shop.sql.gz --force',
    ],
    run: downloadCommand,
  },
};

const HELP_TEXT = () => generalHelp(COMMANDS, globalSpecs);

/** parseArgs' own words for a bad option, made shorter and pointed at the help. */
function describeParseError(error: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(error.message)?.[1];
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option} (keepsake --help lists them)`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && /argument (missing|is ambiguous)/.test(error.message))
    return `${option} needs a value`;
  return error.message.split('\n')[0] ?? error.message;
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

/** Runs `keepsake <argv>`; resolves with the exit code. */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  terminal: Terminal | undefined = processTerminal(),
  output: Output = process,
): Promise<number> {
  const fail = (message: string, code = 2) => (output.stderr.write(`keepsake: ${message}\n`), code);
  let values: Flags;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true }));
  } catch (error) {
    return fail(describeParseError(error as Error));
  }
  const [name, ...args] = positionals;
  const topic = name === 'help' ? args[0] : name;
  if (name === 'help' && args.length > 1) return fail(`unexpected argument "${args[1]}"`);
  const command = topic === undefined ? undefined : COMMANDS[topic];
  if (topic !== undefined && !command) return fail(`unknown command "${topic}" (keepsake --help lists them)`);
  if (name === 'help' || values.help) {
    output.stdout.write(`${command && topic ? commandHelp(topic, command, OPTIONS, globalSpecs) : HELP_TEXT()}\n`);
    return 0;
  }
  if (!command) return (output.stderr.write(`${HELP_TEXT()}\n`), 2);
  const foreign = Object.keys(values).find(
    (option) =>
      !(GLOBAL_OPTIONS as readonly string[]).includes(option) && !command.options.includes(option as OptionName),
  );
  if (foreign) return fail(`${name} does not take --${foreign} (keepsake help ${name})`);

  const deployed = values.api;
  const baseUrl = deployed ?? env.KEEPSAKE_API_URL ?? 'http://127.0.0.1:8780';
  try {
    return await command.run({
      api: apiClient(baseUrl, deployed ? sigV4Signer(deployed, { env }) : undefined),
      args,
      flags: values,
      terminal,
      meter: progressMeter(output.stderr, values.quiet === true),
      tz: env.TZ,
      print: (text, value) => output.stdout.write(`${values.json ? JSON.stringify(value, null, 2) : text()}\n`),
      warn: (message) => output.stderr.write(`keepsake: ${message}\n`),
    });
  } catch (error) {
    return fail(describeFailure(error, baseUrl, deployed === undefined), error instanceof UsageError ? 2 : 1);
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
