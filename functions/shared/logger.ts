import { Logger } from '@aws-lambda-powertools/logger';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
type Level = (typeof LEVELS)[number];

/**
 * `LOG_LEVEL` in either case (Powertools reads only upper case from the environment; local mode sets `warn`), or
 * undefined when unset, which Powertools takes as INFO. A value that is no level fails the module load rather than
 * logging at a level nobody chose. Lambda's own log level (`AWS_LAMBDA_LOG_LEVEL`), when set, still wins.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv = process.env): Level | undefined {
  const value = env.LOG_LEVEL;
  if (value === undefined || value === '') return undefined;
  const level = value.toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`LOG_LEVEL must be one of ${LEVELS.join(', ')} (in either case), got "${value}"`);
  }
  return level as Level;
}

/**
 * The Powertools logger every handler shares: one JSON line per entry with an ISO timestamp, the service
 * `keepsake`, and the keys the middy chains (http.ts, task.ts) set for the invocation (requestId, principal and
 * route, or task). Nothing logs request or response bodies: the chains never let Powertools log the event, so a
 * password cannot reach a log line through it.
 */
export const logger = new Logger({ serviceName: 'keepsake', logLevel: logLevelFromEnv() });
