import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiError, describeError } from '../../api/errors';
import { useAuth } from '../../auth/AuthContext';
import { Loading } from '../../components/States';
import { AuthCard } from './AuthCard';

export function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { session } = useAuth();
  const verify = useMutation({ mutationFn: () => api.public('/v1/auth/verify-email', { token }) });
  const sent = useRef(false);
  useEffect(() => {
    // The token is single-use: send it once even when React runs effects twice.
    if (token && !sent.current) {
      sent.current = true;
      verify.mutate();
    }
  }, [token, verify]);
  const next = session ? <Link className="text-indigo-700 underline" to="/jobs">Go to your jobs</Link> : <Link className="text-indigo-700 underline" to="/login">Sign in</Link>;
  return (
    <AuthCard title="Verify your e-mail" footer={next}>
      {!token ? (
        <p role="alert" className="text-sm text-red-800">This link is incomplete. Open the link from the e-mail again.</p>
      ) : verify.isSuccess ? (
        <p role="status" className="text-sm">Thank you — your e-mail address is verified.</p>
      ) : verify.isError ? (
        <p role="alert" className="text-sm text-red-800">
          {verify.error instanceof ApiError && verify.error.status === 400
            ? 'This verification link has expired or was already used.'
            : describeError(verify.error)}
        </p>
      ) : (
        <Loading label="Verifying…" />
      )}
    </AuthCard>
  );
}
