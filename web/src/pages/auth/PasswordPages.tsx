import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useMutation } from '@tanstack/react-query';
import { api } from '../../api/client';
import { ApiError, fieldError } from '../../api/errors';
import { Field } from '../../components/Field';
import { FormError } from '../../components/States';
import * as v from '../../validation';
import { AuthCard } from './AuthCard';

export function ForgotPasswordPage() {
  const [email, setEmail] = useState('');
  const [error, setError] = useState<string>();
  const forgot = useMutation({ mutationFn: () => api.public('/v1/auth/password/forgot', { email: email.trim() }) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = v.email(email);
    setError(problem);
    if (!problem) forgot.mutate();
  };
  return (
    <AuthCard title="Reset your password" footer={<Link className="text-indigo-700 underline" to="/login">Back to sign in</Link>}>
      {forgot.isSuccess ? (
        <p role="status" className="text-sm">
          If an account exists for <strong>{email.trim()}</strong>, we have sent it a link to choose a new password. The link works for one hour.
        </p>
      ) : (
        <form noValidate onSubmit={submit} className="space-y-4">
          <Field label="E-mail" error={error ?? fieldError(forgot.error, 'email')}>
            <input className="input" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <FormError error={forgot.error} />
          <button type="submit" className="btn-primary w-full" disabled={forgot.isPending}>
            Send reset link
          </button>
        </form>
      )}
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<v.Errors>({});
  const reset = useMutation({ mutationFn: () => api.public('/v1/auth/password/reset', { token, password }) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = { password: v.password(password), repeat: repeat === password ? undefined : 'The two passwords differ.' };
    setErrors(found);
    if (!v.hasErrors(found)) reset.mutate();
  };
  const badToken = reset.error instanceof ApiError && reset.error.status === 400 && !fieldError(reset.error, 'password');
  if (!token) {
    return (
      <AuthCard title="Reset your password">
        <p role="alert" className="text-sm text-red-800">
          This link is incomplete. Open the link from the e-mail again, or <Link className="underline" to="/forgot-password">ask for a new one</Link>.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Choose a new password" footer={<Link className="text-indigo-700 underline" to="/login">Back to sign in</Link>}>
      {reset.isSuccess ? (
        <p role="status" className="text-sm">
          Your password is changed and every other session was signed out. <Link className="text-indigo-700 underline" to="/login">Sign in</Link> with the new one.
        </p>
      ) : (
        <form noValidate onSubmit={submit} className="space-y-4">
          <Field label="New password" hint="10 to 128 characters." error={errors.password ?? fieldError(reset.error, 'password')}>
            <input className="input" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <Field label="Repeat the new password" error={errors.repeat}>
            <input className="input" type="password" autoComplete="new-password" value={repeat} onChange={(e) => setRepeat(e.target.value)} />
          </Field>
          {badToken ? (
            <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
              This reset link has expired or was already used. <Link className="underline" to="/forgot-password">Ask for a new one</Link>.
            </p>
          ) : (
            <FormError error={reset.error} />
          )}
          <button type="submit" className="btn-primary w-full" disabled={reset.isPending}>
            Set new password
          </button>
        </form>
      )}
    </AuthCard>
  );
}
