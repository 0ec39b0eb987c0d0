import { createElement, use, type ComponentType } from 'react';
import { matchPath } from 'react-router';
import { JobDetailPage } from './pages/JobDetailPage';
import { JobsPage } from './pages/JobsPage';

// Each signed-in page but the jobs list is its own chunk, so the sign-in page and a bookmark
// of one page load only the shell and that page: the first load no longer grows with every
// page added. The shell holds React, the router, the query cache, the layout, the sign-in and
// register pages (where a new visit starts) and the jobs list (where a signed-in visit starts,
// and where every sign-in leads): measured with Lighthouse, the jobs list as a chunk of its
// own painted about half a second later on a throttled phone, the chunk's request waiting
// for the shell's script to run. (The job detail page comes with it: the list's restore
// action shares its rule.)

export interface LazyPage<P extends object = object> {
  Component: ComponentType<P>;
  /** Starts fetching the chunk (once); rendering `Component` afterwards waits for the same fetch. */
  preload: () => Promise<unknown>;
}

/** A promise that says, once settled, how it settled: React's `use` reads that without suspending. */
type Tracked<T> = Promise<T> & { status?: 'pending' | 'fulfilled' | 'rejected'; value?: T; reason?: unknown };

// Not React.lazy: a lazy component suspends on its first render even when its chunk has
// long arrived (it learns so only in a later microtask), and a suspended sync render commits
// the spinner and renders the page again. A page preloaded at start-up whose chunk arrived
// before the session refresh answered renders straight away.
export function lazyPage<P extends object = object>(load: () => Promise<ComponentType<P>>): LazyPage<P> {
  let loading: Tracked<ComponentType<P>> | undefined;
  const preload = (): Tracked<ComponentType<P>> => {
    if (loading) return loading;
    const tracked: Tracked<ComponentType<P>> = load().then(
      (Component) => {
        tracked.status = 'fulfilled';
        tracked.value = Component;
        return Component;
      },
      (error: unknown) => {
        // A preload that failed (a link pointed at while offline) is tried again when the
        // page is opened, rather than leaving that page broken for the rest of the visit.
        loading = undefined;
        throw error;
      },
    );
    return (loading = tracked);
  };
  function Page(props: P) {
    const Component = use<ComponentType<P>>(preload() as Promise<ComponentType<P>>);
    return createElement(Component, props);
  }
  return { Component: Page, preload };
}

/** A page in the shell, with the same face as a lazy one. */
function eagerPage(Component: ComponentType): LazyPage {
  return { Component, preload: () => Promise.resolve() };
}

export const pages = {
  start: lazyPage(() => import('./pages/StartPage').then((m) => m.StartPage)),
  jobs: eagerPage(JobsPage),
  jobDetail: eagerPage(JobDetailPage),
  board: lazyPage(() => import('./pages/BoardPage').then((m) => m.BoardPage)),
  sources: lazyPage(() => import('./pages/SourcesPage').then((m) => m.SourcesPage)),
  profile: lazyPage(() => import('./pages/ProfilePage').then((m) => m.ProfilePage)),
  notifications: lazyPage(() => import('./pages/NotificationsPage').then((m) => m.NotificationsPage)),
  members: lazyPage(() => import('./pages/MembersPage').then((m) => m.MembersPage)),
  analytics: lazyPage(() => import('./pages/AnalyticsPage').then((m) => m.default)),
  billing: lazyPage(() => import('./pages/BillingPage').then((m) => m.BillingPage)),
  account: lazyPage(() => import('./pages/AccountPage').then((m) => m.AccountPage)),
  forgotPassword: lazyPage(() => import('./pages/auth/PasswordPages').then((m) => m.ForgotPasswordPage)),
  resetPassword: lazyPage(() => import('./pages/auth/PasswordPages').then((m) => m.ResetPasswordPage)),
  verifyEmail: lazyPage(() => import('./pages/auth/VerifyEmailPage').then((m) => m.VerifyEmailPage)),
  acceptInvitation: lazyPage(() => import('./pages/auth/AcceptInvitationPage').then((m) => m.AcceptInvitationPage)),
};

/** The pages reached from a link in an e-mail or from the sign-in page, outside the signed-in layout. */
export const PUBLIC_ROUTES: { path: string; page: LazyPage }[] = [
  { path: '/forgot-password', page: pages.forgotPassword },
  { path: '/reset-password', page: pages.resetPassword },
  { path: '/verify-email', page: pages.verifyEmail },
  { path: '/accept-invitation', page: pages.acceptInvitation },
];

/** The signed-in pages, inside the layout. `/` goes to the jobs list. */
export const SIGNED_IN_ROUTES: { path: string; page: LazyPage }[] = [
  { path: '/start', page: pages.start },
  { path: '/jobs', page: pages.jobs },
  { path: '/jobs/:id', page: pages.jobDetail },
  { path: '/board', page: pages.board },
  { path: '/sources', page: pages.sources },
  { path: '/profile', page: pages.profile },
  { path: '/notifications', page: pages.notifications },
  { path: '/members', page: pages.members },
  { path: '/analytics', page: pages.analytics },
  { path: '/billing', page: pages.billing },
  { path: '/account', page: pages.account },
];

/**
 * Starts fetching the chunk of the page at `pathname`, if it has one: called at start-up so a
 * bookmark's page loads while the session is being restored, when a sign-in is submitted
 * (for the page it will open), and when a navigation link is pointed at or focused.
 */
export function preloadPage(pathname: string): void {
  const path = pathname.split(/[?#]/)[0] || '/';
  if (path === '/') return void pages.jobs.preload().catch(() => undefined);
  const route = [...SIGNED_IN_ROUTES, ...PUBLIC_ROUTES].find((r) => matchPath(r.path, path));
  // A failed fetch is reported when the page renders (PageBoundary), not here.
  void route?.page.preload().catch(() => undefined);
}
