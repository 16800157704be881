import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { apiClient, type ApiClient } from '../../types/apiClient.ts';
import type { DataSource } from '../../types/dataSource.ts';
import { consolePage, launchChromium } from './browser.ts';
import { mariadb } from './services.ts';
import { rootSql } from './sql.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `npm start` as a newcomer runs it (scripts/start.ts under tsx), as a child process of the test. */
export interface LocalModeProcess {
  readonly child: ChildProcess;
  readonly apiUrl: string;
  readonly s3Endpoint: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Each line it printed to stdout so far, with when it arrived (ms after the spawn). */
  lines(): readonly { readonly atMs: number; readonly text: string }[];
  /** Sends `signal` (Ctrl-C by default) and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code when it exits by itself. */
  readonly exited: Promise<number | null>;
}

/** Runs `npm start -- <args>` and waits until it serves (or exits, for `--once`); fails with its output if it dies. */
export async function startLocalMode(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 150_000,
): Promise<LocalModeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const spawnedAt = Date.now();
  let output = '';
  let stdout = '';
  const lines: { atMs: number; text: string }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
    stdout += chunk;
    const complete = stdout.split('\n');
    stdout = complete.pop() ?? '';
    for (const text of complete) lines.push({ atMs: Date.now() - spawnedAt, text });
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const serving = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`local mode did not come up within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    const check = () => {
      if (/Ctrl-C stops everything/.test(output) || /Round trip OK/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      if (/Round trip OK/.test(output) && code === 0) resolve();
      else reject(new Error(`local mode exited with ${code}:\n${output}`));
    });
  });
  await serving;
  const field = (pattern: RegExp) => pattern.exec(output)?.[1] ?? '';
  return {
    child,
    apiUrl: field(/API\s+(http:\/\/127\.0\.0\.1:\d+)/),
    s3Endpoint: field(/S3 \(s3rver\)\s+(http:\/\/127\.0\.0\.1:\d+)/),
    output: () => output,
    lines: () => lines,
    exited,
    async stop(signal = 'SIGINT') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Recreates `database` on the test MariaDB with an `items` table of `rows` rows, and drops `<database>_restored`. */
export async function createItemsDatabase(database: string, rows: number): Promise<void> {
  await rootSql(`DROP DATABASE IF EXISTS ${database}; DROP DATABASE IF EXISTS ${database}_restored;
    CREATE DATABASE ${database}; USE ${database}; CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(40));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_${rows};`);
}

/** Registers `database` on the test MariaDB as a data source, without TLS: the test server has no certificates. */
export function addMariaDbSource(api: ApiClient, name: string, database: string): Promise<DataSource> {
  const db = mariadb();
  return api.request<DataSource>('POST', '/v1/data-sources', {
    name,
    engine: 'mariadb',
    host: db.host,
    port: db.port,
    database,
    username: db.user,
    password: db.password,
    tls: { mode: 'disabled' },
  });
}

/** Local mode in a fresh data directory, its API client, and Chromium with one console page (errors into `errors`). */
export interface ConsoleOnLocalMode {
  readonly local: LocalModeProcess;
  readonly api: ApiClient;
  readonly browser: Browser;
  readonly page: Page;
  /** Closes Chromium, stops local mode with Ctrl-C and removes its data directory. */
  readonly close: () => Promise<void>;
}

export async function startConsoleOnLocalMode(
  dirPrefix: string,
  errors: string[],
  pageOptions: BrowserContextOptions = {},
): Promise<ConsoleOnLocalMode> {
  const dataDir = await mkdtemp(join(tmpdir(), dirPrefix));
  let local: LocalModeProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await local?.stop('SIGINT');
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0']);
    browser = await launchChromium();
    const page = await consolePage(browser, errors, pageOptions);
    return { local, api: apiClient(local.apiUrl), browser, page, close };
  } catch (error) {
    await close();
    throw error;
  }
}
