import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiError, fieldError } from '../../api/errors';
import type { Session } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { Field } from '../../components/Field';
import { FormError } from '../../components/States';
import * as v from '../../validation';
import { AuthCard } from './AuthCard';

export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const { signIn } = useAuth();
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const accept = useMutation({
    mutationFn: () => api.public<Session>('/v1/auth/invitations/accept', { token, password }),
    onSuccess: (session) => {
      signIn(session);
      navigate('/jobs', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = v.password(password);
    setError(problem);
    if (!problem) accept.mutate();
  };
  const badToken = accept.error instanceof ApiError && accept.error.status === 400 && !fieldError(accept.error, 'password');
  if (!token) {
    return (
      <AuthCard title="Join your team">
        <p role="alert" className="text-sm text-red-800">This invitation link is incomplete. Open the link from the e-mail again.</p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Join your team" footer={<Link className="text-indigo-700 underline" to="/login">I already have an account</Link>}>
      <p className="text-sm text-slate-600">Choose a password to accept the invitation.</p>
      <form noValidate onSubmit={submit} className="space-y-4">
        <Field label="Password" hint="10 to 128 characters." error={error ?? fieldError(accept.error, 'password')}>
          <input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {badToken ? (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            This invitation has expired or was already used. Ask an admin of the team to invite you again.
          </p>
        ) : (
          <FormError error={accept.error} />
        )}
        <button type="submit" className="btn-primary w-full" disabled={accept.isPending}>
          Accept invitation
        </button>
      </form>
    </AuthCard>
  );
}
