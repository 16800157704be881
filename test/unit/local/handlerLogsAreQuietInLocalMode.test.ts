import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** The level of the handlers' logger in a fresh process that loads local mode the way scripts/start.ts does. */
function handlerLogLevel(env: Record<string, string>): string {
  const script =
    "await import('./scripts/local/keepsake.ts'); const { logger } = await import('./functions/shared/logger.ts');" +
    'process.stdout.write(logger.getLevelName());';
  const { LOG_LEVEL: _ignored, ...inherited } = process.env;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...inherited, ...env },
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`the probe failed (exit ${run.status}): ${run.stderr}`);
  return run.stdout;
}

describe('the handlers’ log lines in local mode', () => {
  it('are warnings and errors only, so they do not drown what local mode prints, unless LOG_LEVEL says more', () => {
    expect(handlerLogLevel({})).toBe('WARN');
    expect(handlerLogLevel({ LOG_LEVEL: 'info' })).toBe('INFO');
  });
});
