import { useState } from 'react';

/** The page of a signed-out console: one button to the hosted UI, and why the last sign-in failed, if it did. */
export function SignIn({ problem, signIn }: { problem?: string; signIn: () => Promise<void> }) {
  const [leaving, setLeaving] = useState(false);
  return (
    <main className="mx-auto mt-24 max-w-sm p-8 text-center">
      <h1 className="text-2xl font-bold tracking-tight">Keepsake</h1>
      <p className="mt-2 text-slate-600 dark:text-slate-400">Sign in to manage your database backups.</p>
      {problem ? (
        <p role="alert" className="mt-4 text-red-700">
          {problem}
        </p>
      ) : null}
      <button
        type="button"
        className="btn btn-primary mt-6"
        disabled={leaving}
        onClick={() => {
          setLeaving(true);
          void signIn();
        }}
      >
        Sign in
      </button>
    </main>
  );
}
