const TONES: Record<string, string> = {
  succeeded: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  verified: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  overdue: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
  failed: 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
  'object missing': 'bg-red-100 text-red-800 dark:bg-red-900 dark:text-red-100',
  running: 'bg-sky-100 text-sky-800 dark:bg-sky-900 dark:text-sky-100',
  queued: 'bg-slate-200 text-slate-800 dark:bg-slate-700 dark:text-slate-100',
  cancelled: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  unverified: 'bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300',
  enabled: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900 dark:text-emerald-100',
  paused: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
  disabled: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
};

/** A status as a coloured word (the word itself carries the meaning, not only the colour). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`inline-block rounded-full px-2 py-0.5 text-xs font-medium ${TONES[status] ?? TONES.queued}`}>
      {status}
    </span>
  );
}
