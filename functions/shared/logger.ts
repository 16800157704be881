type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** `LOG_LEVEL` (debug, info, warn, error; default info): lines below it are dropped. */
const threshold = (): number => RANK[process.env.LOG_LEVEL as Level] ?? RANK.info;

/**
 * JSON-lines logger (CloudWatch parses each line). Keys set with `appendKeys` (request id, principal) go on
 * every line of the invocation. It never logs request bodies, so a password cannot reach a log line through it.
 */
export class Logger {
  private keys: Record<string, unknown> = {};

  constructor(
    private readonly service: string,
    private readonly write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  ) {}

  appendKeys(keys: Record<string, unknown>): void {
    this.keys = { ...this.keys, ...keys };
  }

  resetKeys(): void {
    this.keys = {};
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.log('debug', message, extra);
  }

  info(message: string, extra?: Record<string, unknown>): void {
    this.log('info', message, extra);
  }

  warn(message: string, extra?: Record<string, unknown>): void {
    this.log('warn', message, extra);
  }

  error(message: string, extra?: Record<string, unknown>): void {
    this.log('error', message, extra);
  }

  private log(level: Level, message: string, extra?: Record<string, unknown>): void {
    if (RANK[level] < threshold()) return;
    this.write(
      JSON.stringify({ time: new Date().toISOString(), level, service: this.service, message, ...this.keys, ...extra }),
    );
  }
}

export const logger = new Logger('keepsake-api');
