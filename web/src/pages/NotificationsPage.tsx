import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { Notifications } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import * as v from '../validation';
import { NotificationChannels } from './NotificationChannels';

export function NotificationsPage() {
  const { isAdmin } = useAuth();
  const settings = useQuery({ queryKey: keys.notifications, queryFn: () => api.get<Notifications>('/v1/notifications') });
  return (
    <>
      <PageTitle>Notifications</PageTitle>
      <div className="space-y-6">
        {settings.isPending ? (
          <Loading label="Loading notification settings…" />
        ) : settings.isError ? (
          <ErrorState error={settings.error} retry={() => settings.refetch()} title="Could not load notification settings" />
        ) : (
          <NotificationsForm initial={settings.data} />
        )}
        {isAdmin && <NotificationChannels />}
      </div>
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
  const { instant, digest } = form.email;
  const setInstant = (patch: Partial<typeof instant>) => setForm({ email: { ...form.email, instant: { ...instant, ...patch } } });
  const setDigest = (patch: Partial<typeof digest>) => setForm({ email: { ...form.email, digest: { ...digest, ...patch } } });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const hour = Number.isInteger(digest.hour) && digest.hour >= 0 && digest.hour <= 23 ? undefined : 'The hour must be from 0 to 23.';
    const found: v.Errors = {
      'email.instant.minScore': v.score(String(instant.minScore), 'The minimum score'),
      'email.digest.hour': hour,
      'email.digest.timeZone': digest.timeZone.trim() ? undefined : 'Enter a time zone such as Europe/Berlin.',
    };
    setErrors(found);
    if (!v.hasErrors(found)) save.mutate(form);
  };
  const err = (k: string) => errors[k] ?? fieldError(save.error, k);
  return (
    <form noValidate onSubmit={submit} className="card max-w-2xl space-y-5">
      <fieldset className="space-y-3">
        <legend className="font-semibold">Instant e-mail</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={instant.enabled} onChange={(e) => setInstant({ enabled: e.target.checked })} />
          E-mail me as soon as a good match is scored
        </label>
        <Field label="Only jobs scoring at least" error={err('email.instant.minScore')}>
          <input className="input max-w-32" type="number" min={1} max={10} value={instant.minScore} onChange={(e) => setInstant({ minScore: Number(e.target.value) })} />
        </Field>
      </fieldset>
      <fieldset className="space-y-3">
        <legend className="font-semibold">Daily digest</legend>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={digest.enabled} onChange={(e) => setDigest({ enabled: e.target.checked })} />
          Send me one e-mail a day with the day's matches
        </label>
        <Field label="Hour of the day" error={err('email.digest.hour')}>
          <input className="input max-w-32" type="number" min={0} max={23} value={digest.hour} onChange={(e) => setDigest({ hour: Number(e.target.value) })} />
        </Field>
        <Field label="Time zone" error={err('email.digest.timeZone')}>
          <input className="input max-w-64" value={digest.timeZone} onChange={(e) => setDigest({ timeZone: e.target.value })} />
        </Field>
      </fieldset>
      <FormError error={save.error} />
      <button type="submit" className="btn-primary" disabled={save.isPending}>
        {save.isPending ? 'Saving…' : 'Save'}
      </button>
    </form>
  );
}
