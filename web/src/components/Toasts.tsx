import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

type Tone = 'success' | 'error' | 'info';
interface Toast {
  readonly id: number;
  readonly tone: Tone;
  readonly message: string;
}

/** Toasts shown at once: a fourth pushes the oldest out, so a burst of results never covers the page. */
const MAX_SHOWN = 3;

const ToastContext = createContext<(tone: Tone, message: string) => void>(() => undefined);

/**
 * Every action's result as a toast: read out by screen readers (a live region), dismissed after 6 s (an error
 * after 10 s) or by click, at most MAX_SHOWN at once.
 */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback(
    (tone: Tone, message: string) => {
      const id = Date.now() + Math.random();
      setToasts((all) => [...all.slice(1 - MAX_SHOWN), { id, tone, message }]);
      setTimeout(() => dismiss(id), tone === 'error' ? 10_000 : 6_000);
    },
    [dismiss],
  );
  const colors: Record<Tone, string> = {
    success: 'border-emerald-600 bg-emerald-50 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-100',
    error: 'border-red-600 bg-red-50 text-red-900 dark:bg-red-950 dark:text-red-100',
    info: 'border-sky-600 bg-sky-50 text-sky-900 dark:bg-sky-950 dark:text-sky-100',
  };
  return (
    <ToastContext.Provider value={show}>
      {children}
      <div
        aria-live="polite"
        className="fixed right-4 bottom-4 z-50 flex w-[min(28rem,calc(100vw-2rem))] flex-col gap-2"
      >
        {toasts.map((toast) => (
          <button
            key={toast.id}
            type="button"
            role={toast.tone === 'error' ? 'alert' : 'status'}
            onClick={() => dismiss(toast.id)}
            className={`rounded-md border-l-4 px-4 py-3 text-left text-sm shadow ${colors[toast.tone]}`}
          >
            {toast.message}
          </button>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast() {
  const show = useContext(ToastContext);
  return useMemo(
    () => ({
      success: (message: string) => show('success', message),
      error: (message: string) => show('error', message),
      info: (message: string) => show('info', message),
    }),
    [show],
  );
}
