import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressLine, progressMeter } from '../../../scripts/cli/progress.ts';
import { keepsake, startFakeApi, type FakeApi } from './fakeApi.ts';

let api: FakeApi;
let dir: string;
beforeAll(async () => {
  api = await startFakeApi();
  dir = await mkdtemp(join(tmpdir(), 'keepsake-progress-'));
});
afterAll(async () => {
  await api.close();
  await rm(dir, { recursive: true, force: true });
});

const ERASE = '\x1b[K';

/** The progress lines drawn: each redraw starts with a carriage return and ends by erasing the rest of the line. */
const drawn = (stderr: string) =>
  stderr
    .split('\r')
    .map((line) => (line.endsWith(ERASE) ? line.slice(0, -ERASE.length) : line))
    .filter(Boolean);

describe('progress on a terminal', () => {
  it('backup: bytes dumped and the rate from the runner log, then the line is wiped before the result', async () => {
    const result = await keepsake(api, ['backup', 'demo'], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(drawn(result.stderr)).toContain('dumping  2.0 MiB  1.0 MiB/s  2 s');
    expect(result.stderr.endsWith(`\r${ERASE}`)).toBe(true);
    expect(result.stdout).toMatch(/^backup b-new {2}succeeded/);
  });

  it('restore: the check of the stored object, then the restoring, each with %, rate and ETA against its size', async () => {
    const result = await keepsake(api, ['restore', 'b-1', '--to', 'demo/shop_new'], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(drawn(result.stderr)).toEqual(
      expect.arrayContaining([
        'verifying  300.0 KiB / 300.0 KiB  100%  300.0 KiB/s  1 s',
        'restoring  150.0 KiB / 300.0 KiB  50%  150.0 KiB/s  ETA 1 s  1 s',
      ]),
    );
  });

  it('rollback: the same, for the rollback restore', async () => {
    const result = await keepsake(api, ['rollback', 'r-1', '--yes'], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(drawn(result.stderr).some((line) => line.startsWith('restoring'))).toBe(true);
  });

  it('verify: what is re-read and for how long', async () => {
    const result = await keepsake(api, ['verify', 'b-1'], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    expect(drawn(result.stderr)).toContain('verifying 300.0 KiB stored  0 s');
  });

  it('download: bytes against Content-Length with a percentage, ending at 100%', async () => {
    const result = await keepsake(api, ['download', 'b-1', '--out', join(dir, 'tty.sql.gz')], { tty: true });
    expect(result.code, result.stderr).toBe(0);
    const lines = drawn(result.stderr);
    expect(lines[0]).toMatch(/^downloading {2}\d+\.\d KiB \/ 300\.0 KiB {2}\d+%/);
    expect(lines.at(-1)).toMatch(/^downloaded {2}300\.0 KiB \/ 300\.0 KiB {2}100%/);
  });
});

describe('no progress when it would clutter', () => {
  it.each([
    ['backup', ['backup', 'demo']],
    ['restore', ['restore', 'b-1', '--to', 'demo/shop_new']],
    ['verify', ['verify', 'b-1']],
    ['download', ['download', 'b-1', '--out', join(tmpdir(), `keepsake-quiet-${process.pid}.sql.gz`), '--force']],
  ])('%s: nothing on stderr when it is not a terminal, nor with --quiet on one', async (_name, args) => {
    const piped = await keepsake(api, args);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stderr).toBe('');
    const quiet = await keepsake(api, [...args, '--quiet'], { tty: true });
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('asks the API for no log lines when nothing is drawn', async () => {
    api.requests.length = 0;
    await keepsake(api, ['backup', 'demo', '-q'], { tty: true });
    expect(api.requests.filter((r) => r.includes('/logs'))).toEqual([]);
  });
});

describe('progressMeter', () => {
  it('draws the whole line on a terminal that does not say its width, and cuts it to a narrow one', () => {
    const drawnOn = (columns: number) => {
      let written = '';
      progressMeter({ isTTY: true, columns, write: (chunk) => (written += chunk) }, false).show({
        label: 'waiting for the runner',
        elapsedMs: 3000,
      });
      return written;
    };
    expect(drawnOn(0)).toBe(`\rwaiting for the runner  3 s${ERASE}`);
    expect(drawnOn(22)).toBe(`\rwaiting for the runne${ERASE}`);
  });
});

describe('progressLine', () => {
  it('shows % and ETA only where the total is known, and a rate once a second has passed', () => {
    expect(progressLine({ label: 'restoring', bytes: 10 * 1024 ** 2, total: 40 * 1024 ** 2, elapsedMs: 5000 })).toBe(
      'restoring  10.0 MiB / 40.0 MiB  25%  2.0 MiB/s  ETA 15 s  5 s',
    );
    expect(progressLine({ label: 'dumping', bytes: 3 * 1024 ** 3, elapsedMs: 600_000 })).toBe(
      'dumping  3.0 GiB  5.1 MiB/s  10 min 0 s',
    );
    expect(progressLine({ label: 'dumping', bytes: 512, elapsedMs: 200 })).toBe('dumping  512 B  0 s');
    expect(progressLine({ label: 'waiting for the runner', elapsedMs: 3000 })).toBe('waiting for the runner  3 s');
  });
});
