import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { describeError, fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { ChannelTestResult, CreatedNotificationChannel, NotificationChannel, NotificationChannelKind, Page } from '../api/types';
import { Field } from '../components/Field';
import { ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import * as v from '../validation';

const KINDS: { kind: NotificationChannelKind; label: string }[] = [
  { kind: 'slack', label: 'Slack' },
  { kind: 'discord', label: 'Discord' },
  { kind: 'webhook', label: 'Webhook (signed JSON)' },
];
const kindLabel = (kind: NotificationChannelKind) => KINDS.find((k) => k.kind === kind)?.label ?? kind;

/** The tenant's Slack, Discord and webhook channels: admins add, test, switch and remove them. */
export function NotificationChannels() {
  const channels = useQuery({
    queryKey: keys.notificationChannels,
    queryFn: () => api.get<Page<NotificationChannel>>('/v1/notifications/channels'),
  });
  return (
    <section className="card max-w-2xl space-y-4" aria-labelledby="channels-title">
      <h2 id="channels-title" className="font-semibold">
        Team channels
      </h2>
      <p className="text-sm text-slate-600">Matches at or above a channel's minimum score are posted there once, for everyone in the workspace.</p>
      {channels.isPending ? (
        <Loading label="Loading channels…" />
      ) : channels.isError ? (
        <ErrorState error={channels.error} retry={() => channels.refetch()} title="Could not load the channels" />
      ) : channels.data && channels.data.items.length > 0 ? (
        <ul className="divide-y divide-slate-200">
          {channels.data.items.map((c) => (
            <ChannelRow key={c.id} channel={c} />
          ))}
        </ul>
      ) : (
        <p className="text-sm text-slate-600">No channels yet.</p>
      )}
      <AddChannel />
    </section>
  );
}

function ChannelRow({ channel }: { channel: NotificationChannel }) {
  const client = useQueryClient();
  const toast = useToast();
  const [result, setResult] = useState<string>();
  const refresh = () => client.invalidateQueries({ queryKey: keys.notificationChannels });
  const onError = (error: unknown) => toast(describeError(error), 'error');
  const path = `/v1/notifications/channels/${encodeURIComponent(channel.id)}`;
  const test = useMutation({
    mutationFn: () => api.post<ChannelTestResult>(`${path}/test`),
    onSuccess: (r) => setResult(r?.delivered ? 'Test message delivered.' : `Test not delivered: ${r?.error ?? 'unknown error'}`),
    onError,
  });
  const toggle = useMutation({
    mutationFn: () => api.patch(path, { enabled: !channel.enabled }),
    onSuccess: refresh,
    onError,
  });
  const remove = useMutation({
    mutationFn: () => api.del(path),
    onSuccess: refresh,
    onError,
  });
  return (
    <li className="space-y-1 py-3" data-testid="channel-row">
      <div className="flex flex-wrap items-center gap-2">
        <span className="font-medium">{kindLabel(channel.kind)}</span>
        <span className="truncate text-sm text-slate-600">{channel.url}</span>
        <span className="text-sm">from {channel.minScore}/10</span>
        {!channel.enabled && <span className="rounded bg-slate-200 px-2 text-xs">off</span>}
      </div>
      {channel.lastError && (
        <p className="text-sm text-red-700">
          Last error: {channel.lastError}
          {channel.consecutiveFailures > 1 && ` (${channel.consecutiveFailures} failures in a row)`}
        </p>
      )}
      <div className="flex gap-2">
        <button type="button" className="btn-secondary" disabled={test.isPending} onClick={() => test.mutate()}>
          {test.isPending ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" className="btn-secondary" disabled={toggle.isPending} onClick={() => toggle.mutate()}>
          {channel.enabled ? 'Turn off' : 'Turn on'}
        </button>
        <button
          type="button"
          className="btn-secondary"
          disabled={remove.isPending}
          onClick={() => {
            if (window.confirm(`Remove the ${kindLabel(channel.kind)} channel to ${channel.url}? It gets no more messages.`)) remove.mutate();
          }}
        >
          Remove
        </button>
      </div>
      {result && (
        <p role="status" className="text-sm">
          {result}
        </p>
      )}
    </li>
  );
}

function AddChannel() {
  const client = useQueryClient();
  const [kind, setKind] = useState<NotificationChannelKind>('slack');
  const [url, setUrl] = useState('');
  const [minScore, setMinScore] = useState('8');
  const [errors, setErrors] = useState<v.Errors>({});
  const [secret, setSecret] = useState<string>();
  const add = useMutation({
    mutationFn: () => api.post<CreatedNotificationChannel>('/v1/notifications/channels', { kind, url: url.trim(), minScore: Number(minScore) }),
    onSuccess: (created) => {
      setSecret(created?.signingSecret ?? undefined);
      setUrl('');
      client.invalidateQueries({ queryKey: keys.notificationChannels });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found: v.Errors = { url: v.httpUrl(url), minScore: v.score(minScore, 'The minimum score') ?? (minScore ? undefined : 'Enter a score from 1 to 10.') };
    setErrors(found);
    if (!v.hasErrors(found)) add.mutate();
  };
  const err = (k: string) => errors[k] ?? fieldError(add.error, k);
  return (
    <form noValidate onSubmit={submit} className="space-y-3 border-t border-slate-200 pt-4" aria-label="Add a channel">
      <Field label="Kind" error={err('kind')}>
        <select className="input max-w-64" value={kind} onChange={(e) => setKind(e.target.value as NotificationChannelKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Channel URL" error={err('url')} hint="The incoming-webhook URL Slack or Discord gives you, or your own HTTPS endpoint.">
        <input className="input" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://hooks.slack.com/services/…" />
      </Field>
      <Field label="Minimum score" error={err('minScore')}>
        <input className="input max-w-32" type="number" min={1} max={10} value={minScore} onChange={(e) => setMinScore(e.target.value)} />
      </Field>
      <FormError error={add.error} />
      <button type="submit" className="btn-primary" disabled={add.isPending}>
        {add.isPending ? 'Adding…' : 'Add channel'}
      </button>
      {secret && (
        <p role="status" className="text-sm" data-testid="signing-secret">
          Signing secret (shown once; verify <code>X-Jobmon-Signature</code> with it): <code className="break-all">{secret}</code>
        </p>
      )}
    </form>
  );
}
