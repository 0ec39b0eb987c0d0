import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, describeError, fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { Preview, Source } from '../api/types';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { formatDate } from '../format';
import * as v from '../validation';
import { useSources } from './JobsPage';
import { DetectSource } from './DetectSource';

interface KindInfo {
  label: string;
  fields: { key: string; label: string; hint: string; optional?: boolean; url?: boolean; options?: [string, string][] }[];
}

/** The source kinds (docs/api.md, "Sources") and what each one's config holds. */
export const KINDS: Record<string, KindInfo> = {
  greenhouse: { label: 'Greenhouse', fields: [{ key: 'board', label: 'Board token', hint: 'boards.greenhouse.io/<board>' }] },
  lever: {
    label: 'Lever',
    fields: [
      { key: 'site', label: 'Site', hint: 'jobs.lever.co/<site>' },
      { key: 'region', label: 'Region', hint: 'EU for jobs.eu.lever.co', optional: true, options: [['', 'Global'], ['eu', 'EU']] },
    ],
  },
  ashby: { label: 'Ashby', fields: [{ key: 'board', label: 'Board name', hint: 'jobs.ashbyhq.com/<board>' }] },
  workable: { label: 'Workable', fields: [{ key: 'account', label: 'Account', hint: 'apply.workable.com/<account>' }] },
  smartrecruiters: { label: 'SmartRecruiters', fields: [{ key: 'company', label: 'Company id', hint: 'jobs.smartrecruiters.com/<company>' }] },
  recruitee: { label: 'Recruitee', fields: [{ key: 'company', label: 'Company', hint: '<company>.recruitee.com' }] },
  personio: { label: 'Personio', fields: [{ key: 'company', label: 'Company', hint: '<company>.jobs.personio.de' }] },
  rss: { label: 'RSS or Atom feed', fields: [{ key: 'url', label: 'Feed address', hint: 'https://example.com/jobs.rss', url: true }] },
  jsonfeed: { label: 'JSON Feed', fields: [{ key: 'url', label: 'Feed address', hint: 'https://example.com/feed.json', url: true }] },
};

export interface Draft {
  name: string;
  kind: string;
  config: Record<string, string>;
}

export function validateSource(d: Draft): v.Errors {
  const errors: v.Errors = { name: v.required(d.name, 'a name') ?? (d.name.trim().length > 100 ? 'Use at most 100 characters.' : undefined) };
  const kind = KINDS[d.kind];
  if (!kind) errors.kind = 'Choose what kind of source this is.';
  for (const f of kind?.fields ?? []) {
    const value = (d.config[f.key] ?? '').trim();
    if (!value) {
      if (!f.optional) errors[`config.${f.key}`] = `Enter the ${f.label.toLowerCase()}.`;
    } else if (f.url) {
      errors[`config.${f.key}`] = v.httpUrl(value);
    }
  }
  return errors;
}

function configOf(d: Draft): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of KINDS[d.kind]?.fields ?? []) {
    const value = (d.config[f.key] ?? '').trim();
    if (value) out[f.key] = value;
  }
  return out;
}

export function SourceForm({
  initial,
  submitLabel,
  onSubmit,
  onCancel,
  pending,
  error,
}: {
  initial: Draft;
  submitLabel: string;
  onSubmit: (d: { name: string; kind: string; config: Record<string, string> }) => void;
  onCancel?: () => void;
  pending: boolean;
  error: unknown;
}) {
  const [draft, setDraft] = useState<Draft>(initial);
  const [errors, setErrors] = useState<v.Errors>({});
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = validateSource(draft);
    setErrors(found);
    if (!v.hasErrors(found)) onSubmit({ name: draft.name.trim(), kind: draft.kind, config: configOf(draft) });
  };
  const kind = KINDS[draft.kind];
  const err = (key: string) => errors[key] ?? fieldError(error, key);
  return (
    <form noValidate onSubmit={submit} className="grid gap-3 sm:grid-cols-2">
      <Field label="Name" error={err('name')}>
        <input className="input" value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.target.value })} placeholder="Acme careers" />
      </Field>
      <Field label="Kind" error={err('kind')}>
        <select className="input" value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value, config: {} })}>
          {Object.entries(KINDS).map(([k, info]) => (
            <option key={k} value={k}>
              {info.label}
            </option>
          ))}
        </select>
      </Field>
      {kind?.fields.map((f) => (
        <Field key={f.key} label={f.label + (f.optional ? ' (optional)' : '')} hint={f.hint} error={err(`config.${f.key}`) ?? (f === kind.fields[0] ? fieldError(error, 'config') : undefined)}>
          {f.options ? (
            <select className="input" value={draft.config[f.key] ?? ''} onChange={(e) => setDraft({ ...draft, config: { ...draft.config, [f.key]: e.target.value } })}>
              {f.options.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          ) : (
            <input
              className="input"
              type={f.url ? 'url' : 'text'}
              value={draft.config[f.key] ?? ''}
              onChange={(e) => setDraft({ ...draft, config: { ...draft.config, [f.key]: e.target.value } })}
            />
          )}
        </Field>
      ))}
      <div className="space-y-2 sm:col-span-2">
        {!(error instanceof ApiError && error.code === 'validation_failed') && <FormError error={error} />}
        <div className="flex gap-2">
          <button type="submit" className="btn-primary" disabled={pending}>
            {pending ? 'Saving…' : submitLabel}
          </button>
          {onCancel && (
            <button type="button" className="btn-secondary" onClick={onCancel}>
              Cancel
            </button>
          )}
        </div>
      </div>
    </form>
  );
}

export function SourcesPage() {
  const sources = useSources();
  const client = useQueryClient();
  const toast = useToast();
  const [adding, setAdding] = useState(false);
  // A pasted URL first; the manual fields (prefilled with what was found) as the fallback.
  const [manual, setManual] = useState<Draft | null>(null);
  const create = useMutation({
    mutationFn: (body: { name: string; kind: string; config: Record<string, string> }) => api.post<Source>('/v1/sources', body),
    onSuccess: (source) => {
      setAdding(false);
      setManual(null);
      toast(`Source “${source.name}” added. Press “Fetch” to look for jobs now.`, 'success');
      void client.invalidateQueries({ queryKey: keys.sources });
    },
  });
  return (
    <>
      <PageTitle
        actions={
          !adding && (
            <button type="button" className="btn-primary" onClick={() => setAdding(true)}>
              Add source
            </button>
          )
        }
      >
        Sources
      </PageTitle>
      {adding && (
        <section className="card mb-4" aria-labelledby="add-h">
          <h2 id="add-h" className="mb-3 text-lg font-semibold">Add a source</h2>
          {create.error instanceof ApiError && create.error.status === 402 ? (
            <p role="alert" className="mb-3 rounded-md bg-violet-50 px-3 py-2 text-sm text-violet-900">
              Your plan allows no more sources. Upgrade on the Billing page, or remove a source first.
            </p>
          ) : null}
          {manual ? (
            <SourceForm
              initial={manual}
              submitLabel="Add source"
              pending={create.isPending}
              error={create.error instanceof ApiError && create.error.status === 402 ? null : create.error}
              onSubmit={(body) => create.mutate(body)}
              onCancel={() => {
                create.reset();
                setManual(null);
                setAdding(false);
              }}
            />
          ) : (
            <DetectSource
              pending={create.isPending}
              error={create.error instanceof ApiError && create.error.status === 402 ? null : create.error}
              onAdd={(body) => create.mutate(body)}
              onManual={(draft) => {
                create.reset();
                setManual(draft);
              }}
              onCancel={() => {
                create.reset();
                setAdding(false);
              }}
            />
          )}
        </section>
      )}
      {sources.isPending ? (
        <Loading label="Loading sources…" />
      ) : sources.isError ? (
        <ErrorState error={sources.error} retry={() => sources.refetch()} title="Could not load sources" />
      ) : sources.data.items.length === 0 ? (
        <Empty title="No sources yet">Add a company’s job board or a feed, and jobmon will watch it for you.</Empty>
      ) : (
        <ul className="space-y-3">
          {sources.data.items.map((s) => (
            <SourceRow key={s.id} source={s} />
          ))}
        </ul>
      )}
    </>
  );
}

function SourceRow({ source }: { source: Source }) {
  const client = useQueryClient();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [preview, setPreview] = useState<Preview | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: keys.sources });
  const update = useMutation({
    mutationFn: (body: Partial<Draft> & { enabled?: boolean }) => api.patch<Source>(`/v1/sources/${source.id}`, body),
    onSuccess: () => {
      setEditing(false);
      refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: () => api.patch<Source>(`/v1/sources/${source.id}`, { enabled: !source.enabled }),
    onSuccess: (s) => {
      toast(s?.enabled ?? !source.enabled ? `“${source.name}” is enabled.` : `“${source.name}” is paused.`, 'info');
      refresh();
    },
    onError: (e) => toast(describeError(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: () => api.del(`/v1/sources/${source.id}`),
    onSuccess: () => {
      toast(`“${source.name}” removed. Its jobs stay.`, 'info');
      refresh();
    },
    onError: (e) => toast(describeError(e), 'error'),
  });
  const previewIt = useMutation({
    mutationFn: () => api.post<Preview>(`/v1/sources/${source.id}/preview`),
    onSuccess: setPreview,
  });
  const fetchIt = useMutation({
    mutationFn: () => api.post<{ queuedSources: number }>('/v1/jobs/fetch', { sourceId: source.id }),
    onSuccess: () => toast(`Fetching “${source.name}” — new jobs appear on the Jobs page.`, 'info'),
    onError: (e) => toast(describeError(e), 'error'),
  });
  const info = KINDS[source.kind];
  return (
    <li className="card" data-testid="source" aria-label={source.name}>
      {editing ? (
        <SourceForm
          initial={{ name: source.name, kind: source.kind, config: { ...source.config } }}
          submitLabel="Save"
          pending={update.isPending}
          error={update.error}
          onSubmit={(body) => update.mutate(body)}
          onCancel={() => {
            update.reset();
            setEditing(false);
          }}
        />
      ) : (
        <div className="flex flex-wrap items-start gap-3">
          <div className="min-w-0 flex-1">
            <h2 className="font-semibold">
              {source.name}{' '}
              <span className={`ml-1 rounded-full px-2 py-0.5 text-xs ${source.enabled ? 'bg-emerald-100 text-emerald-800' : 'bg-slate-200 text-slate-700'}`}>
                {source.enabled ? 'enabled' : 'paused'}
              </span>
            </h2>
            <p className="text-sm text-slate-600">
              {info?.label ?? source.kind} · {Object.values(source.config).join(' · ')}
            </p>
            <p className="text-xs text-slate-500">
              {source.jobsFound} job{source.jobsFound === 1 ? '' : 's'} found · last fetched {formatDate(source.lastFetchedAt)}
              {source.enabled && source.nextFetchAt && ` · next ${formatDate(source.nextFetchAt)}`}
            </p>
            {source.lastError && (
              <p role="alert" className="mt-2 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
                Last fetch failed: {source.lastError}
              </p>
            )}
          </div>
          <div className="flex flex-wrap gap-2">
            <button type="button" className="btn-secondary" onClick={() => fetchIt.mutate()} disabled={fetchIt.isPending || !source.enabled}>
              Fetch
            </button>
            <button type="button" className="btn-secondary" onClick={() => previewIt.mutate()} disabled={previewIt.isPending}>
              {previewIt.isPending ? 'Previewing…' : 'Preview'}
            </button>
            <button type="button" className="btn-secondary" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="btn-secondary" onClick={() => toggle.mutate()} disabled={toggle.isPending}>
              {source.enabled ? 'Disable' : 'Enable'}
            </button>
            <button
              type="button"
              className="btn-danger"
              disabled={remove.isPending}
              onClick={() => {
                if (window.confirm(`Remove the source “${source.name}”? Jobs already found stay.`)) remove.mutate();
              }}
            >
              Remove
            </button>
          </div>
        </div>
      )}
      {previewIt.isError && <div className="mt-3"><ErrorState error={previewIt.error} title="Preview failed" /></div>}
      {preview && !previewIt.isPending && (
        <section className="mt-3 rounded-md border border-slate-200 p-3" aria-label={`Preview of ${source.name}`}>
          <div className="mb-2 flex items-center justify-between">
            <h3 className="text-sm font-semibold">Preview (nothing is saved)</h3>
            <button type="button" className="text-sm text-indigo-700 underline" onClick={() => setPreview(null)}>
              Close preview
            </button>
          </div>
          <PreviewList preview={preview} />
        </section>
      )}
    </li>
  );
}

/** A preview's postings, or its error, or that the source lists nothing right now. */
export function PreviewList({ preview }: { preview: Preview }) {
  if (preview.error) return <p role="alert" className="text-sm text-red-800">{preview.error}</p>;
  if (preview.items.length === 0) return <p className="text-sm text-slate-500">The source answered, but lists no postings right now.</p>;
  return (
    <ul className="space-y-1 text-sm" data-testid="preview">
      {preview.items.map((p) => (
        <li key={p.nativeId || p.url}>
          <a className="text-indigo-700 hover:underline" href={p.url} target="_blank" rel="noopener noreferrer">
            {p.title}
          </a>{' '}
          <span className="text-slate-500">
            {p.company}
            {p.location && ` · ${p.location}`}
          </span>
        </li>
      ))}
    </ul>
  );
}
