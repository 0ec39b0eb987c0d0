import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
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

export function RegisterPage() {
  const navigate = useNavigate();
  const { signIn } = useAuth();
  const [form, setForm] = useState({ email: '', password: '', tenantName: '' });
  const [errors, setErrors] = useState<v.Errors>({});
  const register = useMutation({
    mutationFn: () =>
      api.public<Session>('/v1/auth/register', { email: form.email.trim(), password: form.password, tenantName: form.tenantName.trim() }),
    onSuccess: (session) => {
      signIn(session);
      navigate('/start', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = {
      email: v.email(form.email),
      password: v.password(form.password),
      tenantName: v.required(form.tenantName, 'a name for your workspace'),
    };
    setErrors(found);
    if (v.hasErrors(found)) return;
    // The guided start loads while the account is created.
    preloadPage('/start');
    register.mutate();
  };
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });
  const taken = register.error instanceof ApiError && register.error.status === 409;
  return (
    <AuthCard
      title="Create your account"
      footer={
        <p>
          Already have an account? <Link className="text-indigo-700 underline" to="/login">Sign in</Link>
        </p>
      }
    >
      <form noValidate onSubmit={submit} className="space-y-4">
        <Field label="E-mail" error={errors.email ?? fieldError(register.error, 'email') ?? (taken ? 'An account with this e-mail already exists.' : undefined)}>
          <input className="input" type="email" autoComplete="email" value={form.email} onChange={set('email')} />
        </Field>
        <Field label="Password" hint="10 to 128 characters. A few words make a good one." error={errors.password ?? fieldError(register.error, 'password')}>
          <input className="input" type="password" autoComplete="new-password" value={form.password} onChange={set('password')} />
        </Field>
        <Field label="Workspace name" hint="Your name or your team’s." error={errors.tenantName ?? fieldError(register.error, 'tenantName')}>
          <input className="input" autoComplete="organization" value={form.tenantName} onChange={set('tenantName')} />
        </Field>
        {!taken && <FormError error={register.error} />}
        <button type="submit" className="btn-primary w-full" disabled={register.isPending}>
          {register.isPending ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </AuthCard>
  );
}
