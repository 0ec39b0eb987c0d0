import { StrictMode, startTransition } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { ApiError } from './api/errors';
import { session } from './api/session';
import { AuthProvider } from './auth/AuthContext';
import { ToastProvider } from './components/Toasts';
import { LiveProvider } from './live/LiveProvider';
import { App } from './App';
import { preloadPage } from './routes';
import { warmIntl } from './warmIntl';
import './index.css';

// Both before the first render: the session cookie is asked for a session now rather than
// from an effect after React has rendered and the browser painted, and the page of the
// address opened fetches its chunk alongside. (AuthProvider's restore joins this one.)
void session.restore();
preloadPage(window.location.pathname);
warmIntl();

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // A 4xx will not change by asking again; a network error or 5xx might.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

// The first render is a transition, so React renders it in slices of a few milliseconds
// with the browser free in between, instead of one task: React's own start-up (compiling
// and running its code for the first time) made that task the longest of a bookmark's load
// on a throttled phone. index.html's loading line stays until it commits.
const root = createRoot(document.getElementById('root')!);
startTransition(() =>
  root.render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <ToastProvider>
            <AuthProvider>
              <LiveProvider>
                <App />
              </LiveProvider>
            </AuthProvider>
          </ToastProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  ),
);
