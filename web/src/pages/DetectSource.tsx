// "Paste a careers URL": the first way to add a source. The API recognises the board (or
// the feed the page announces) and previews it; nothing is stored until "Add source".

import { useState, type FormEvent } from 'react';
import { useMutation } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, fieldError } from '../api/errors';
import type { DetectedSource } from '../api/types';
import { Field } from '../components/Field';
import { FormError } from '../components/States';
import * as v from '../validation';
import { KINDS, PreviewList, type Draft } from './SourcesPage';

type NewSource = { name: string; kind: string; config: Record<string, string> };

function draftOf(found: DetectedSource): Draft {
  const config = Object.fromEntries(Object.entries(found.config).map(([k, value]) => [k, String(value)]));
  return { name: found.name, kind: found.kind, config };
}

export function DetectSource({
  onAdd,
  onManual,
  onCancel,
  pending,
  error,
}: {
  onAdd: (source: NewSource) => void;
  onManual: (draft: Draft) => void;
  onCancel: () => void;
  pending: boolean;
  error: unknown;
}) {
  const [url, setUrl] = useState('');
  const [urlError, setUrlError] = useState<string | undefined>();
  const [name, setName] = useState('');
  const detect = useMutation({
    mutationFn: (pasted: string) => api.post<DetectedSource>('/v1/sources/detect', { url: pasted }),
    onSuccess: (found) => setName(found.name),
  });
  const found = detect.data;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = v.required(url, 'the address of a careers page or job board') ?? v.httpUrl(url.trim());
    setUrlError(problem);
    if (!problem) detect.mutate(url.trim());
  };
  const shownUrlError = urlError ?? fieldError(detect.error, 'url');

  return (
    <div className="space-y-4">
      <form noValidate onSubmit={submit} className="flex flex-wrap items-end gap-2">
        <div className="min-w-64 flex-1">
          <Field label="Careers page or job board URL" hint="e.g. https://boards.greenhouse.io/acme or your company’s careers page" error={shownUrlError}>
            <input className="input" type="url" inputMode="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://…" />
          </Field>
        </div>
        <button type="submit" className="btn-primary" disabled={detect.isPending}>
          {detect.isPending ? 'Looking…' : 'Find source'}
        </button>
      </form>
      {detect.isError && !fieldError(detect.error, 'url') && <FormError error={detect.error} />}

      {found && !detect.isPending && (
        <section className="rounded-md border border-slate-200 p-3" aria-label="Found source">
          <p className="mb-2 text-sm">
            Found a <strong>{KINDS[found.kind]?.label ?? found.kind}</strong> source ({Object.values(found.config).join(' · ')}).
          </p>
          <form
            noValidate
            className="mb-3 flex flex-wrap items-end gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              const config = draftOf(found).config;
              onAdd({ name: name.trim() || found.name, kind: found.kind, config });
            }}
          >
            <div className="min-w-64 flex-1">
              <Field label="Name" error={fieldError(error, 'name')}>
                <input className="input" value={name} onChange={(e) => setName(e.target.value)} />
              </Field>
            </div>
            <button type="submit" className="btn-primary" disabled={pending}>
              {pending ? 'Saving…' : 'Add source'}
            </button>
          </form>
          {!(error instanceof ApiError && error.code === 'validation_failed') && <FormError error={error} />}
          <h3 className="mb-1 text-sm font-semibold">What it lists now</h3>
          <PreviewList preview={found.preview} />
        </section>
      )}

      <div className="flex flex-wrap gap-3 text-sm">
        <button type="button" className="text-indigo-700 underline" onClick={() => onManual(found ? { ...draftOf(found), name } : { name: '', kind: 'greenhouse', config: {} })}>
          Enter the details yourself
        </button>
        <button type="button" className="text-slate-600 underline" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
