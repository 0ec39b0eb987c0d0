import { useState, type FormEvent, type ReactNode } from 'react';
import { useMutation } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { api } from '../api/client';
import { ApiError, describeError, fieldError } from '../api/errors';
import type { Erasure, ExportPart } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { FormError } from '../components/States';
import { useToast } from '../components/Toasts';
import { fetchArchive } from './account';

function passwordProblem(error: unknown): string | undefined {
  if (error instanceof ApiError && error.code === 'wrong_password') return 'This is not your password.';
  return fieldError(error, 'password');
}

/** Offers `data` as a file download. */
function download(name: string, data: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  URL.revokeObjectURL(url);
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card mb-4 space-y-3" aria-label={title}>
      <h2 className="text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function ExportData() {
  const toast = useToast();
  const run = useMutation({
    mutationFn: () => fetchArchive((cursor) => api.get<ExportPart>('/v1/tenant/export', cursor ? { cursor } : undefined)),
    onSuccess: (archive) => {
      download(`jobmon-export-${archive.exportedAt.slice(0, 10)}.json`, archive);
      toast(`Exported ${archive.jobs.length} jobs and ${archive.members.length} members.`, 'success');
    },
  });
  return (
    <Section title="Export data">
      <p className="text-sm text-slate-600">
        A JSON file with everything the workspace holds: members (without passwords), sources, your profile, notification
        settings, and every job with its scorings, stages and notes. Channel URLs are shortened to their host, because they
        work as passwords. Three exports a day.
      </p>
      <button type="button" className="btn-primary" disabled={run.isPending} onClick={() => run.mutate()}>
        {run.isPending ? 'Exporting…' : 'Export data'}
      </button>
      {run.error ? (
        <p role="alert" className="text-sm text-red-700">
          {run.error instanceof ApiError && run.error.status === 429 ? 'Three exports a day: try again tomorrow.' : describeError(run.error)}
        </p>
      ) : null}
    </Section>
  );
}

/** A password form that confirms a destructive action, then signs out. */
function ConfirmedDeletion({
  title,
  explanation,
  button,
  remove,
  done,
}: {
  title: string;
  explanation: ReactNode;
  button: string;
  remove: (password: string) => Promise<unknown>;
  done: string;
}) {
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const toast = useToast();
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const run = useMutation({
    mutationFn: () => remove(password),
    onSuccess: async () => {
      await signOut();
      toast(done, 'success');
      void navigate('/login', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMissing(password === '');
    if (password !== '') run.mutate();
  };
  const conflict = run.error instanceof ApiError && run.error.status === 409 ? run.error.message : undefined;
  const shownElsewhere = run.error instanceof ApiError && (run.error.code === 'wrong_password' || run.error.status === 400 || run.error.status === 409);
  return (
    <Section title={title}>
      <div className="text-sm text-slate-600">{explanation}</div>
      <form noValidate onSubmit={submit} className="grid gap-3 sm:grid-cols-[1fr_auto]" aria-label={title}>
        <Field label="Your password" error={missing ? 'Type your password to confirm.' : passwordProblem(run.error)}>
          <input className="input" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <div className="flex items-end">
          <button type="submit" className="btn-danger w-full" disabled={run.isPending}>
            {button}
          </button>
        </div>
      </form>
      {conflict ? (
        <p role="alert" className="text-sm text-red-700">
          {conflict}
        </p>
      ) : null}
      {run.error && !shownElsewhere ? <FormError error={run.error} /> : null}
    </Section>
  );
}

export function AccountPage() {
  const { isAdmin } = useAuth();
  return (
    <>
      <PageTitle>Account</PageTitle>
      {isAdmin && <ExportData />}
      {isAdmin && (
        <ConfirmedDeletion
          title="Delete workspace"
          explanation={
            <p>
              Deletes the whole workspace: every job, source, note and member. The subscription is cancelled. Everyone is signed
              out at once; the data is gone within the hour. This cannot be undone — export your data first.
            </p>
          }
          button="Delete workspace"
          remove={(password) => api.del<Erasure>('/v1/tenant', { password })}
          done="The workspace is being deleted."
        />
      )}
      <ConfirmedDeletion
        title="Delete my account"
        explanation={
          <p>
            Removes you from the workspace and frees your e-mail address. The workspace and its jobs stay. The last admin must
            first make someone else admin; the only member deletes the whole workspace instead.
          </p>
        }
        button="Delete my account"
        remove={(password) => api.del('/v1/auth/me', { password })}
        done="Your account is deleted."
      />
    </>
  );
}
