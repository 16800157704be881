import type { ChildProcess } from 'node:child_process';
import type { ProgressListener } from './progress.ts';

/** What the caller of a job can observe and inject: progress, the child processes, the environment. */
export interface JobContext {
  readonly onProgress?: ProgressListener;
  /** Called with every long-running child (dump or restore client) right after it is spawned. */
  readonly onSpawn?: (child: ChildProcess, tool: string) => void;
  readonly progressIntervalMs?: number;
  readonly env?: NodeJS.ProcessEnv;
}
