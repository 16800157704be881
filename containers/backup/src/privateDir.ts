import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `fn` with a new private directory (mode 0700) under the system's temporary directory, where an engine writes
 * the files that carry a connection's secrets to its client tools (an option file, a pgpass file, the CA), and
 * removes it afterwards, also when the runner exits without unwinding (cut short after a stop, see main.ts).
 */
export async function withPrivateDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'keepsake-'));
  const removeAtExit = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeAtExit);
  try {
    return await fn(dir);
  } finally {
    process.off('exit', removeAtExit);
    await rm(dir, { recursive: true, force: true });
  }
}
