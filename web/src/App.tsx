import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useAuth } from './auth/AuthContext';
import { Layout } from './components/Layout';
import { Loading } from './components/States';
import { LoginPage } from './pages/auth/LoginPage';
import { RegisterPage } from './pages/auth/RegisterPage';
import { ForgotPasswordPage, ResetPasswordPage } from './pages/auth/PasswordPages';
import { VerifyEmailPage } from './pages/auth/VerifyEmailPage';
import { AcceptInvitationPage } from './pages/auth/AcceptInvitationPage';
import { JobsPage } from './pages/JobsPage';
import { StartPage } from './pages/StartPage';
import { JobDetailPage } from './pages/JobDetailPage';
import { BoardPage } from './pages/BoardPage';
import { SourcesPage } from './pages/SourcesPage';
import { ProfilePage } from './pages/ProfilePage';
import { NotificationsPage } from './pages/NotificationsPage';
import { MembersPage } from './pages/MembersPage';
import { BillingPage } from './pages/BillingPage';
import { AccountPage } from './pages/AccountPage';
import { NotFoundPage } from './pages/NotFoundPage';

// Analytics pulls in Recharts (> 500 kB): its own chunk, loaded when an admin opens it.
const AnalyticsPage = lazy(() => import('./pages/AnalyticsPage'));

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
      <Route path="/forgot-password" element={<ForgotPasswordPage />} />
      <Route path="/reset-password" element={<ResetPasswordPage />} />
      <Route path="/verify-email" element={<VerifyEmailPage />} />
      <Route path="/accept-invitation" element={<AcceptInvitationPage />} />
      <Route
        element={
          <RequireAuth>
            <Layout />
          </RequireAuth>
        }
      >
        <Route index element={<Navigate to="/jobs" replace />} />
        <Route path="/start" element={<StartPage />} />
        <Route path="/jobs" element={<JobsPage />} />
        <Route path="/jobs/:id" element={<JobDetailPage />} />
        <Route path="/board" element={<BoardPage />} />
        <Route path="/sources" element={<SourcesPage />} />
        <Route path="/profile" element={<ProfilePage />} />
        <Route path="/notifications" element={<NotificationsPage />} />
        <Route path="/members" element={<MembersPage />} />
        <Route
          path="/analytics"
          element={
            <Suspense fallback={<Loading label="Loading charts…" />}>
              <AnalyticsPage />
            </Suspense>
          }
        />
        <Route path="/billing" element={<BillingPage />} />
        <Route path="/account" element={<AccountPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
