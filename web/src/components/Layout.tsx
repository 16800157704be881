import { NavLink, Outlet } from 'react-router';
import type { Operation } from '../../../functions/routes.ts';
import type { ConsoleConfig } from '../../../types/consoleConfig.ts';
import type { Account } from '../auth/session.ts';
import { useCan } from '../permissions.tsx';
import { chooseTheme, useDarkTheme } from '../theme.ts';

interface NavItem {
  readonly to: string;
  readonly label: string;
  readonly end?: boolean;
  /** Shown only to those who may do it. */
  readonly operation?: Operation;
}

const NAV: readonly NavItem[] = [
  { to: '/', label: 'Dashboard', end: true },
  { to: '/data-sources', label: 'Data sources' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/backups', label: 'Backups' },
  { to: '/restores', label: 'Restores' },
  { to: '/trash', label: 'Trash' },
  { to: '/audit', label: 'Audit log', operation: 'listAudit' },
];

/**
 * The frame of every page: navigation (a top bar on a phone, wrapping onto a second line rather than scrolling
 * sideways, a sidebar from 1024 px), identity, sign-out and theme.
 */
export function Layout({ config, account }: { config: ConsoleConfig; account?: Account }) {
  const dark = useDarkTheme();
  const can = useCan();
  const identity =
    config.auth.kind === 'local'
      ? `${config.auth.principal}, ${config.auth.role}`
      : `${account?.name}, ${account?.role}`;
  return (
    <div className="min-h-screen lg:flex">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <aside className="border-b border-slate-200 bg-white lg:min-h-screen lg:w-56 lg:border-r lg:border-b-0 dark:border-slate-800 dark:bg-slate-900">
        <div className="flex items-center justify-between px-4 py-3">
          <span className="text-lg font-bold tracking-tight">Keepsake</span>
          <button
            type="button"
            className="btn"
            onClick={() => chooseTheme(dark ? 'light' : 'dark')}
            aria-pressed={dark}
            aria-label="Dark mode"
          >
            {dark ? '☾' : '☀'}
          </button>
        </div>
        <nav aria-label="Main" className="flex flex-wrap gap-1 px-2 pb-2 lg:flex-col">
          {NAV.filter((item) => item.operation === undefined || can(item.operation)).map((item) => (
            <NavLink
              key={item.to}
              to={item.to}
              end={item.end ?? false}
              className={({ isActive }) =>
                `rounded-md px-3 py-1.5 text-sm whitespace-nowrap ${isActive ? 'bg-sky-100 font-semibold text-sky-900 dark:bg-sky-900 dark:text-sky-100' : 'hover:bg-slate-100 dark:hover:bg-slate-800'}`
              }
            >
              {item.label}
            </NavLink>
          ))}
        </nav>
        <p className="hidden px-4 py-3 text-xs text-slate-500 lg:block">{identity}</p>
        {account ? (
          <div className="px-4 pb-3">
            <button type="button" className="btn" onClick={() => account.signOut()}>
              Sign out
            </button>
          </div>
        ) : null}
      </aside>
      <main id="main" className="min-w-0 flex-1 p-4 lg:p-8">
        <Outlet />
      </main>
    </div>
  );
}
