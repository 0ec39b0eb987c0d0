import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { Notifications, WebhookKind } from '../api/types';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import * as v from '../validation';

export function NotificationsPage() {
  const settings = useQuery({ queryKey: keys.notifications, queryFn: () => api.get<Notifications>('/v1/notifications') });
  return (
    <>
      <PageTitle>Notifications</PageTitle>
      {settings.isPending ? (
        <Loading label="Loading notification settings…" />
      ) : settings.isError ? (
        settings.error instanceof ApiError && settings.error.status === 404 ? (
          <Empty title="Notifications are not available yet">
            This jobmon server does not offer notification settings yet. Scores still show up live on the Jobs page.
          </Empty>
        ) : (
          <ErrorState error={settings.error} retry={() => settings.refetch()} title="Could not load notification settings" />
        )
      ) : (
        <NotificationsForm initial={settings.data} />
      )}
    </>
  );
}

function NotificationsForm({ initial }: { initial: Notifications }) {
  const client = useQueryClient();
  const toast = useToast();
  const [form, setForm] = useState<Notifications>(initial);
  const [errors, setErrors] = useState<v.Errors>({});
  const save = useMutation({
    mutationFn: (body: Notifications) => api.put<Notifications>('/v1/notifications', body),
    onSuccess: (saved) => {
      if (saved) client.setQueryData(keys.notifications, saved);
      toast('Notification settings saved.', 'success');
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: v.Errors = { 'email.minScore': v.score(String(form.email.minScore), 'The minimum score') };
    form.webhooks.forEach((w, i) => {
      found[`webhooks.${i}.url`] = v.httpUrl(w.url);
      found[`webhooks.${i}.minScore`] = v.score(String(w.minScore), 'The minimum score');
    });
    setErrors(found);
    if (!v.hasErrors(found)) save.mutate(form);
  };
  const err = (k: string) => errors[k] ?? fieldError(save.error, k);
  const setHook = (i: number, patch: Partial<Notifications['webhooks'][number]>) =>
    setForm({ ...form, webhooks: form.webhooks.map((w, j) => (j === i ? { ...w, ...patch } : w)) });
  return (
    <form noValidate onSubmit={submit} className="card max-w-2xl space-y-5">
      <fieldset className="space-y-3">
        <legend className="font-semibold">E-mail</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={form.email.enabled} onChange={(e) => setForm({ ...form, email: { ...form.email, enabled: e.target.checked } })} />
          E-mail me about good matches
        </label>
        <Field label="Only jobs scoring at least" error={err('email.minScore')}>
          <input
            className="input max-w-32"
            type="number"
            min={1}
            max={10}
            value={form.email.minScore}
            onChange={(e) => setForm({ ...form, email: { ...form.email, minScore: Number(e.target.value) } })}
          />
        </Field>
        <Field label="Digest" error={err('digest')}>
          <select className="input max-w-48" value={form.digest} onChange={(e) => setForm({ ...form, digest: e.target.value as Notifications['digest'] })}>
            <option value="off">No digest</option>
            <option value="daily">Daily digest</option>
          </select>
        </Field>
      </fieldset>
      <fieldset className="space-y-3">
        <legend className="font-semibold">Webhooks (Slack, Discord, your own)</legend>
        {form.webhooks.length === 0 && <p className="text-sm text-slate-500">No webhooks.</p>}
        {form.webhooks.map((w, i) => (
          <div key={i} className="grid gap-2 rounded-md border border-slate-200 p-3 sm:grid-cols-[1fr_8rem_6rem_auto]">
            <Field label="Address" error={err(`webhooks.${i}.url`)}>
              <input className="input" type="url" value={w.url} onChange={(e) => setHook(i, { url: e.target.value })} />
            </Field>
            <Field label="Kind">
              <select className="input" value={w.kind} onChange={(e) => setHook(i, { kind: e.target.value as WebhookKind })}>
                <option value="slack">Slack</option>
                <option value="discord">Discord</option>
                <option value="generic">Generic</option>
              </select>
            </Field>
            <Field label="Min score" error={err(`webhooks.${i}.minScore`)}>
              <input className="input" type="number" min={1} max={10} value={w.minScore} onChange={(e) => setHook(i, { minScore: Number(e.target.value) })} />
            </Field>
            <div className="flex items-end">
              <button type="button" className="btn-danger" onClick={() => setForm({ ...form, webhooks: form.webhooks.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          </div>
        ))}
        <button type="button" className="btn-secondary" onClick={() => setForm({ ...form, webhooks: [...form.webhooks, { url: '', kind: 'slack', minScore: 8 }] })}>
          Add webhook
        </button>
      </fieldset>
      <FormError error={save.error} />
      <button type="submit" className="btn-primary" disabled={save.isPending}>
        {save.isPending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
