import { nextRuns } from '../../types/cron.ts';

/** Something that runs on a cron in a time zone: a Keepsake schedule, or local mode's daily sweep. */
export interface CronEntry {
  readonly id: string;
  readonly cron: string;
  readonly timeZone: string;
}

/** When `entry` fires within (`from`, `to`], if it does. Ticks are a minute apart, so there is at most one. */
export function firesWithin(entry: CronEntry, from: Date, to: Date): Date | undefined {
  const [next] = nextRuns(entry.cron, entry.timeZone, from, 1);
  return next !== undefined && next.getTime() <= to.getTime() ? next : undefined;
}

export interface CronScheduler {
  /** Stops ticking; a firing already under way is awaited. */
  stop(): Promise<void>;
}

const MINUTE = 60_000;

/**
 * EventBridge Scheduler's part in local mode: at the start of every minute it reads the entries (the schedules
 * the API stored, so a change takes effect at the next minute with nothing to keep in step) and fires each one
 * due since the previous tick, in its own time zone. Like Scheduler it does not catch up on runs missed while
 * it was not running. A failing read or firing is reported to `onError` and the next tick carries on.
 */
export function startCronScheduler<E extends CronEntry>(options: {
  readonly entries: () => Promise<readonly E[]>;
  readonly fire: (entry: E, at: Date) => Promise<void>;
  readonly onError: (error: unknown) => void;
  readonly now?: () => Date;
}): CronScheduler {
  const now = options.now ?? (() => new Date());
  let previous = now();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const current = now();
    const from = previous;
    previous = current;
    const entries = await options.entries();
    await Promise.all(
      entries.map(async (entry) => {
        const at = firesWithin(entry, from, current);
        if (at) await options.fire(entry, at).catch(options.onError);
      }),
    );
  }

  function schedule(): void {
    if (stopped) return;
    // Just past the minute, so the minute's runs are due when the tick looks.
    const wait = MINUTE - (now().getTime() % MINUTE) + 250;
    timer = setTimeout(() => {
      running = tick().catch(options.onError).finally(schedule);
    }, wait);
  }

  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
