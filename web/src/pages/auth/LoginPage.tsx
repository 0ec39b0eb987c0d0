import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiError, fieldError } from '../../api/errors';
import type { Session } from '../../api/types';
import { useAuth } from '../../auth/AuthContext';
import { Field } from '../../components/Field';
import { FormError } from '../../components/States';
import { preloadPage } from '../../routes';
import * as v from '../../validation';
import { AuthCard } from './AuthCard';

/** Only same-site paths: `?next=https://evil` must not redirect away. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/jobs';
}

export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { signIn } = useAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<v.Errors>({});
  const login = useMutation({
    mutationFn: () => api.public<Session>('/v1/auth/login', { email: email.trim(), password }),
    onSuccess: (session) => {
      signIn(session);
      navigate(safeNext(params.get('next')), { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = { email: v.email(email), password: password ? undefined : 'Enter your password.' };
    setErrors(found);
    if (v.hasErrors(found)) return;
    // The page to open loads while the password is checked.
    preloadPage(safeNext(params.get('next')));
    login.mutate();
  };
  const wrong = login.error instanceof ApiError && login.error.status === 401;
  return (
    <AuthCard
      title="Sign in"
      footer={
        <>
          <p>
            New here? <Link className="text-indigo-700 underline" to="/register">Create an account</Link>
          </p>
          <p>
            <Link className="text-indigo-700 underline" to="/forgot-password">Forgot your password?</Link>
          </p>
        </>
      }
    >
      {params.get('next') && !login.isPending && (
        <p className="text-sm text-slate-600">Please sign in to continue.</p>
      )}
      <form noValidate onSubmit={submit} className="space-y-4">
        <Field label="E-mail" error={errors.email ?? fieldError(login.error, 'email')}>
          <input className="input" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Password" error={errors.password ?? fieldError(login.error, 'password')}>
          <input className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        {wrong ? (
          <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
            That e-mail and password do not match an account.
          </p>
        ) : (
          <FormError error={login.error} />
        )}
        <button type="submit" className="btn-primary w-full" disabled={login.isPending}>
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthCard>
  );
}
