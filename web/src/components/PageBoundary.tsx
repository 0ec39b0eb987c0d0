import { Component, Suspense, type ErrorInfo, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { Loading } from './States';

interface State {
  failed: boolean;
}

/**
 * A page's code failed to load or to render. The usual cause is a deploy: this tab still runs
 * the previous build, whose page chunks are gone, and only a reload fetches the new one. The
 * layout stays usable around it, and another page may still open.
 */
class PageFailure extends Component<{ pathname: string; children: ReactNode }, State> {
  state: State = { failed: false };

  static getDerivedStateFromError(): State {
    return { failed: true };
  }

  // Opening another page gives it a fresh chance. (Not a `key`: that would also remount the
  // Suspense boundary on every navigation and flash a spinner where the router otherwise
  // keeps the current page until the next one is ready.)
  componentDidUpdate(previous: { pathname: string }) {
    if (this.state.failed && previous.pathname !== this.props.pathname) this.setState({ failed: false });
  }

  componentDidCatch(error: unknown, info: ErrorInfo) {
    console.error('page failed', error, info.componentStack);
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div role="alert" className="rounded-md border border-red-200 bg-red-50 p-4 text-sm text-red-800">
        <p className="font-medium">This page could not be opened</p>
        <p className="mt-1">Its code did not load — jobmon may have been updated since this tab was opened, or the connection dropped.</p>
        <button type="button" className="btn-secondary mt-3" onClick={() => window.location.reload()}>
          Reload
        </button>
      </div>
    );
  }
}

/** Where a lazily loaded page renders: a spinner while its chunk loads, a way out if it cannot. */
export function PageBoundary({ children }: { children: ReactNode }) {
  const { pathname } = useLocation();
  return (
    <PageFailure pathname={pathname}>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </PageFailure>
  );
}
