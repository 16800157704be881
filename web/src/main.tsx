import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { useApiAt } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { ToastProvider } from './components/Toasts.tsx';
import { RoleProvider } from './permissions.tsx';
import type { Account } from './auth/session.ts';
import { loadConfig } from './config.ts';
import { Audit } from './pages/Audit.tsx';
import { BackupDetail } from './pages/BackupDetail.tsx';
import { Backups } from './pages/Backups.tsx';
import { Dashboard } from './pages/Dashboard.tsx';
import { DataSources } from './pages/DataSources.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { RestoreDetail } from './pages/RestoreDetail.tsx';
import { Restores } from './pages/Restores.tsx';
import { Schedules } from './pages/Schedules.tsx';
import { Trash } from './pages/Trash.tsx';
import type { ConsoleConfig } from '../../types/consoleConfig.ts';
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

/** The console itself, for the signed-in `account` (none in local mode, whose config names the identity). */
function renderConsole(config: ConsoleConfig, account: Account | undefined): void {
  useApiAt(config.apiUrl, account?.sign);
  const queries = new QueryClient({
    defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: true } },
  });
  const router = createBrowserRouter([
    {
      element: <Layout config={config} account={account} />,
      children: [
        { index: true, element: <Dashboard /> },
        { path: 'data-sources', element: <DataSources /> },
        { path: 'backups', element: <Backups /> },
        { path: 'backups/:id', element: <BackupDetail /> },
        { path: 'restores', element: <Restores /> },
        { path: 'restores/:id', element: <RestoreDetail /> },
        { path: 'schedules', element: <Schedules /> },
        { path: 'trash', element: <Trash /> },
        { path: 'audit', element: <Audit /> },
        { path: '*', element: <NotFound /> },
      ],
    },
  ]);
  root.render(
    <StrictMode>
      <QueryClientProvider client={queries}>
        <ToastProvider>
          <RoleProvider role={config.auth.kind === 'local' ? config.auth.role : account?.role}>
            <RouterProvider router={router} />
          </RoleProvider>
        </ToastProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
}

try {
  const config = await loadConfig();
  // The sign-in code (and the SigV4 signer) loads only for a deployment that signs in with Cognito.
  const signIn =
    config.auth.kind === 'cognito'
      ? await (await import('./auth/session.ts')).cognitoSignIn(config.auth, config.region)
      : undefined;
  if (signIn?.kind === 'signedOut') {
    const { SignIn } = await import('./auth/SignIn.tsx');
    root.render(
      <StrictMode>
        <SignIn problem={signIn.problem} signIn={signIn.signIn} />
      </StrictMode>,
    );
  } else renderConsole(config, signIn?.account);
} catch (error) {
  root.render(
    <main className="p-8">
      <h1 className="text-xl font-semibold">Keepsake cannot start</h1>
      <p role="alert" className="mt-2 text-red-700">
        {(error as Error).message}
      </p>
    </main>,
  );
}
