import type { ChildProcess } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { expect } from 'vitest';

/** What a child process exposed while it ran: its argv, its environment and the file that held its credentials. */
export interface ChildView {
  readonly tool: string;
  readonly argv: string[];
  readonly environ: Buffer;
  /** MySQL's `--defaults-file=` option file, or PostgreSQL's `PGPASSFILE`. */
  readonly credentialFile?: string;
  readonly credentialFileMode?: number;
  readonly credentialFileText?: string;
}

/**
 * A child's /proc/<pid>/{cmdline,environ}. Both read empty while the process is inside an exec (stdbuf execs the dump
 * tool moments after spawn returns), and an empty read would prove nothing: retry until both have content.
 */
function readProcess(pid: number): { argv: string[]; environ: Buffer } {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    const argv = readFileSync(`/proc/${pid}/cmdline`)
      .toString('utf8')
      .split('\0')
      .filter((a) => a !== '');
    const environ = readFileSync(`/proc/${pid}/environ`);
    if ((argv.length > 0 && environ.length > 0) || attempt === 500) return { argv, environ };
    Atomics.wait(pause, 0, 0, 1);
  }
}

/** Reads a child's argv, environment and credentials file the moment the runner reports it, while the job runs. */
export function spy(views: ChildView[]): (child: ChildProcess, tool: string) => void {
  return (child, tool) => {
    const { argv, environ } = readProcess(child.pid!);
    const credentialFile =
      argv.find((a) => a.startsWith('--defaults-file='))?.slice('--defaults-file='.length) ??
      environ
        .toString('utf8')
        .split('\0')
        .find((v) => v.startsWith('PGPASSFILE='))
        ?.slice('PGPASSFILE='.length);
    views.push({
      tool,
      argv,
      environ,
      ...(credentialFile !== undefined && {
        credentialFile,
        credentialFileMode: statSync(credentialFile).mode & 0o777,
        credentialFileText: readFileSync(credentialFile, 'utf8'),
      }),
    });
  };
}

export function expectNoPassword(view: ChildView, password: string): void {
  expect(view.environ.length, `${view.tool} environment was read`).toBeGreaterThan(0);
  expect(view.argv.join(' '), `${view.tool} argv`).not.toContain(password);
  expect(view.environ.includes(Buffer.from(password, 'utf8')), `${view.tool} environment holds the password`).toBe(
    false,
  );
}
