import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router';
import { useApiAt } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { ToastProvider } from './components/Toasts.tsx';
import { RoleProvider } from './permissions.tsx';
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
import './styles.css';

const root = createRoot(document.getElementById('root') as HTMLElement);

try {
  const config = await loadConfig();
  useApiAt(config.apiUrl);
  const queries = new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 5_000, refetchOnWindowFocus: true } } });
  const router = createBrowserRouter([
    {
      element: <Layout config={config} />,
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
          <RoleProvider role={config.auth.kind === 'local' ? config.auth.role : undefined}>
            <RouterProvider router={router} />
          </RoleProvider>
        </ToastProvider>
      </QueryClientProvider>
    </StrictMode>,
  );
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
