import { useDeferredValue, useState } from 'react';
import { NavLink, Outlet, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext';
import { useLive } from '../live/LiveProvider';
import { preloadPage } from '../routes';
import { MD_UP, useMediaQuery } from '../useMediaQuery';
import { PageBoundary } from './PageBoundary';
import { Loading } from './States';

const LINKS: { to: string; label: string; admin?: boolean }[] = [
  { to: '/jobs', label: 'Jobs' },
  { to: '/board', label: 'Board' },
  { to: '/sources', label: 'Sources' },
  { to: '/profile', label: 'Profile' },
  { to: '/notifications', label: 'Notifications' },
  { to: '/members', label: 'Members', admin: true },
  { to: '/analytics', label: 'Analytics', admin: true },
  { to: '/billing', label: 'Billing' },
  { to: '/account', label: 'Account' },
];

/** A link about to be followed (pointed at, touched, focused) starts loading its page. */
function preloadOnIntent(to: string) {
  return { onPointerEnter: () => preloadPage(to), onFocus: () => preloadPage(to) };
}

export function ConnectionBanner() {
  const { status, retryInMs, online } = useLive();
  if (!online) {
    return (
      <div role="alert" data-testid="connection-banner" className="bg-red-700 px-4 py-2 text-center text-sm text-white">
        You are offline. Changes cannot be saved and live updates are paused until the connection is back.
      </div>
    );
  }
  if (status === 'reconnecting') {
    return (
      <div role="alert" data-testid="connection-banner" className="bg-amber-500 px-4 py-2 text-center text-sm text-slate-900">
        Live updates are disconnected. Reconnecting{retryInMs ? ` in ${Math.ceil(retryInMs / 1000)} s` : '…'} — the list will
        catch up once we are back.
      </div>
    );
  }
  return null;
}

export function Layout() {
  const { session, isAdmin, signOut } = useAuth();
  const { status } = useLive();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  // The row of links is for wide screens (CSS hides it below `md`); a phone opens "Menu".
  const wide = useMediaQuery(MD_UP);
  // When the layout appears (a sign-in, or a session restored on opening a bookmark) the
  // header commits first and the page renders right after in the background, where React
  // works in slices of a few milliseconds instead of one task the length of the whole page:
  // on a throttled phone that one task was most of the page's blocking time. Moving between
  // pages keeps the layout, so it does not delay them.
  const showPage = useDeferredValue(true, false);
  const links = LINKS.filter((l) => !l.admin || isAdmin);
  const linkClass = ({ isActive }: { isActive: boolean }) =>
    `block rounded-md px-3 py-2 text-sm font-medium focus-visible:outline-2 focus-visible:outline-indigo-600 ${
      isActive ? 'bg-indigo-50 text-indigo-700' : 'text-slate-700 hover:bg-slate-100'
    }`;
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:p-2">
        Skip to content
      </a>
      <ConnectionBanner />
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl items-center gap-4 px-4 py-3">
          <span className="text-lg font-bold text-indigo-700">jobmon</span>
          <span
            className={`h-2 w-2 rounded-full ${status === 'open' ? 'bg-emerald-500' : 'bg-amber-500'}`}
            title={status === 'open' ? 'Live updates on' : 'Live updates not connected'}
            aria-label={status === 'open' ? 'Live updates on' : 'Live updates not connected'}
            data-testid="live-dot"
            data-status={status}
            role="img"
          />
          {wide && (
            <nav aria-label="Main" className="hidden flex-1 md:block">
              <ul className="flex gap-1">
                {links.map((l) => (
                  <li key={l.to}>
                    <NavLink to={l.to} className={linkClass} {...preloadOnIntent(l.to)}>
                      {l.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          <div className="ml-auto flex items-center gap-2">
            <span className="hidden text-sm text-slate-600 lg:inline" data-testid="who">
              {session?.user.email} · {session?.tenant.name}
            </span>
            <button
              type="button"
              className="btn-secondary"
              onClick={async () => {
                await signOut();
                navigate('/login');
              }}
            >
              Sign out
            </button>
            <button
              type="button"
              className="btn-secondary md:hidden"
              aria-expanded={menuOpen}
              aria-controls="mobile-nav"
              onClick={() => setMenuOpen((o) => !o)}
            >
              Menu
            </button>
          </div>
        </div>
        {menuOpen && (
          <nav id="mobile-nav" aria-label="Main" className="border-t border-slate-200 px-4 py-2 md:hidden">
            <ul>
              {links.map((l) => (
                <li key={l.to}>
                  <NavLink to={l.to} className={linkClass} onClick={() => setMenuOpen(false)} {...preloadOnIntent(l.to)}>
                    {l.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {showPage ? (
          <PageBoundary>
            <Outlet />
          </PageBoundary>
        ) : (
          <Loading />
        )}
      </main>
    </div>
  );
}

export function PageTitle({ children, actions }: { children: React.ReactNode; actions?: React.ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-3">
      <h1 className="text-2xl font-semibold">{children}</h1>
      {actions && <div className="flex flex-wrap gap-2">{actions}</div>}
    </div>
  );
}
