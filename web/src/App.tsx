import type { ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useAuth } from './auth/AuthContext';
import { Layout } from './components/Layout';
import { PageBoundary } from './components/PageBoundary';
import { Loading } from './components/States';
import { LoginPage } from './pages/auth/LoginPage';
import { RegisterPage } from './pages/auth/RegisterPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { PUBLIC_ROUTES, SIGNED_IN_ROUTES } from './routes';

function RequireAuth({ children }: { children: ReactNode }) {
  const { session, restoring } = useAuth();
  const location = useLocation();
  if (!session && restoring) return <Loading label="Opening your session…" />;
  if (!session) {
    const next = location.pathname + location.search;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return children;
}

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route path="/register" element={<RegisterPage />} />
      {PUBLIC_ROUTES.map(({ path, page }) => (
        <Route
          key={path}
          path={path}
          element={
            <PageBoundary>
              <page.Component />
            </PageBoundary>
          }
        />
      ))}
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/jobs" replace />} />
        {SIGNED_IN_ROUTES.map(({ path, page }) => (
          <Route key={path} path={path} element={<page.Component />} />
        ))}
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
