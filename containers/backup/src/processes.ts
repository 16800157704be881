import { spawn, type ChildProcess } from 'node:child_process';
import { RunnerError, redact } from './errors.ts';
import { childEnv } from './passwordSource.ts';

export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last few KB of the child's stderr, redacted. */
  readonly stderr: string;
}

const STDERR_TAIL_BYTES = 16 * 1024;

/** Resolves when the child exits, with a bounded tail of its stderr (a dump's warnings can be long). */
export function waitForExit(child: ChildProcess, secrets: readonly string[] = []): Promise<ExitStatus> {
  // The tail is cut before it is redacted, and a cut can fall inside a secret, leaving its end unrecognisable.
  // So keep `margin` more characters than needed and drop them after redacting: any such fragment goes with them.
  const margin = Math.max(0, ...secrets.map((secret) => secret.length));
  let tail = '';
  let cut = false;
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail += chunk;
    if (tail.length > STDERR_TAIL_BYTES + margin) {
      tail = tail.slice(-(STDERR_TAIL_BYTES + margin));
      cut = true;
    }
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const redacted = redact(tail, secrets);
      resolve({ code, signal, stderr: (cut ? redacted.slice(margin) : redacted).slice(-STDERR_TAIL_BYTES).trim() });
    });
  });
}

/** Describes a non-zero exit using the tool's own last error line. */
export function describeExit(tool: string, status: ExitStatus): string {
  const detail = status.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\S+: \[Warning\]/.test(l))
    .slice(-3)
    .join(' | ');
  const how = status.signal ? `was killed by ${status.signal}` : `exited with code ${status.code}`;
  return `${tool} ${how}${detail ? `: ${detail}` : ''}`;
}

/** Runs a short command to completion and returns its output; a non-zero exit is an error. */
export async function run(
  bin: string,
  args: readonly string[],
  opts: { timeoutMs: number; input?: string; secrets?: readonly string[]; env?: NodeJS.ProcessEnv },
): Promise<{ stdout: string }> {
  const child = spawn(bin, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs,
    killSignal: 'SIGKILL',
    env: opts.env ?? childEnv(undefined, opts.secrets),
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const exit = waitForExit(child, opts.secrets);
  // A child that exits without reading its input (`mysql -e`, `--version`) fails this write with EPIPE; unhandled,
  // that error would crash the runner. The exit status says what happened.
  child.stdin.on('error', () => undefined);
  child.stdin.end(opts.input ?? '');
  const status = await exit.catch((error: Error) => {
    throw new RunnerError(`cannot run ${bin}: ${error.message}`);
  });
  if (status.code !== 0) {
    const name = bin.split('/').pop() ?? bin;
    throw new RunnerError(
      status.signal === 'SIGKILL' && !status.stderr
        ? `${name} timed out after ${opts.timeoutMs / 1000} s`
        : describeExit(name, status),
    );
  }
  return { stdout };
}
