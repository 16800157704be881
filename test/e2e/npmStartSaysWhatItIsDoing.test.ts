import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalMode, type LocalModeProcess } from '../support/localMode.ts';

/**
 * `npm start` as a newcomer first meets it, on a fresh data directory with the demo MariaDB: a line as each part
 * comes up, no AWS SDK notice, and a summary that ends with what a person needs, the console's address and a
 * client command for the demo database that works when pasted into a shell.
 */
const PARTS = [
  'S3 (s3rver)',
  'DynamoDB Local',
  'State machines',
  'Step Functions',
  'API and console',
  'Scheduler',
  'MariaDB (demo)',
  'Data source',
  'Schedule',
  'First backup',
];

const NOTICE = /NodeVersionSupportWarning|will require node >=22/;

let dataDir: string;
let local: LocalModeProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'keepsake-start-'));
  // As a person's shell has it: without the SDK's switch.
  local = await startLocalMode(['--data-dir', dataDir, '--api-port', '0'], {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
  });
}, 200_000);

afterAll(async () => {
  await local?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Pastes `command` into sh with `sql` on its input, as a person would at a prompt. */
function paste(command: string, sql: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const shell = spawn('sh', ['-c', command], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  shell.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  shell.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  shell.stdin.end(sql);
  return new Promise((resolve) => shell.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('npm start on a fresh data directory', () => {
  it('prints a line as each part comes up, before the summary, and no AWS SDK Node-version notice', () => {
    const lines = local?.lines() ?? [];
    const summaryAt = lines.findIndex((l) => l.text.startsWith('Keepsake is running'));
    expect(summaryAt, local?.output()).toBeGreaterThan(0);
    const progress = lines.slice(0, summaryAt).filter((l) => l.text.trimStart().startsWith('✔'));
    for (const part of PARTS)
      expect(
        progress.some((l) => l.text.includes(` ${part} `)),
        `no progress line for ${part}`,
      ).toBe(true);
    // Streamed as it happens, not printed at the end: the first part was up well before the summary came.
    expect((lines[summaryAt]?.atMs ?? 0) - (progress[0]?.atMs ?? Infinity)).toBeGreaterThan(1000);
    expect(local?.output()).not.toMatch(NOTICE);
  });

  it("keeps the notice out of the first backup's runner log too (the runner runs on this machine's Node)", async () => {
    const logDir = join(dataDir, 'runner-logs');
    const logs = (await readdir(logDir)).filter((name) => name.endsWith('.log'));
    expect(logs.length).toBeGreaterThan(0);
    for (const name of logs) expect(await readFile(join(logDir, name), 'utf8')).not.toMatch(NOTICE);
  });

  it('ends with the console address, which serves the console', async () => {
    const consoleUrl = /^ {2}Console\s+(http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(local?.output() ?? '')?.[1];
    expect(consoleUrl, local?.output()).toBeDefined();
    const response = await fetch(consoleUrl ?? '');
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<div id="root">/);
  });

  it('prints a client command for the demo database, with its credentials, that connects when pasted', async () => {
    const output = local?.output() ?? '';
    expect(output).toMatch(/MariaDB \(demo\)\s+database keepsake_demo at 127\.0\.0\.1:\d+, user keepsake, password: /);
    const command = /^\s+(mariadb --host=.*)$/m.exec(output)?.[1];
    expect(command, output).toBeDefined();
    const result = await paste(command ?? '', 'SELECT 1 AS ok, DATABASE() AS db;\n');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('ok\tdb\n1\tkeepsake_demo\n');
  });
});
