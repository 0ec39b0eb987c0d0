// The jobs list's filter fields. They live in the URL (jobFilters.ts); this only shows them.
import type { RefObject } from 'react';
import type { Source } from '../api/types';
import { JOB_STATUSES } from '../api/types';
import { STATUS_LABEL } from '../components/Badges';
import { Field } from '../components/Field';
import type { Errors } from '../validation';
import type { JobFilters } from './jobFilters';
import { StageOptions } from './stages';

interface JobFilterFieldsProps {
  filters: JobFilters;
  errors: Errors;
  /** The search box's words, which reach the URL (`filters.q`) a moment after typing stops. */
  q: string;
  onQ: (words: string) => void;
  setFilter: <K extends keyof JobFilters>(key: K, value: JobFilters[K]) => void;
  sources: Source[] | undefined;
  searchRef: RefObject<HTMLInputElement | null>;
  /** Shown with a "Clear filters" button when any filter is set. */
  onClear?: () => void;
}

export function JobFilterFields({ filters, errors, q, onQ, setFilter, sources, searchRef, onClear }: JobFilterFieldsProps) {
  return (
    <>
      <div className="col-span-2">
        <Field label="Search" error={errors.q}>
          <input ref={searchRef} className="input" type="search" placeholder="Title, company, place, words…" value={q} onChange={(e) => onQ(e.target.value)} />
        </Field>
      </div>
      <Field label="Status">
        <select className="input" value={filters.status} onChange={(e) => setFilter('status', e.target.value as JobFilters['status'])}>
          <option value="">All but archived</option>
          {JOB_STATUSES.map((s) => (
            <option key={s} value={s}>
              {STATUS_LABEL[s]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Stage">
        <select className="input" value={filters.stage} onChange={(e) => setFilter('stage', e.target.value as JobFilters['stage'])}>
          <option value="">Any stage</option>
          <StageOptions />
        </select>
      </Field>
      <Field label="Source">
        <select className="input" value={filters.sourceId} onChange={(e) => setFilter('sourceId', e.target.value)}>
          <option value="">All sources</option>
          {sources?.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Min score" error={errors.minScore}>
        <input className="input" type="number" inputMode="numeric" min={1} max={10} value={filters.minScore} onChange={(e) => setFilter('minScore', e.target.value)} />
      </Field>
      <Field label="Max score" error={errors.maxScore}>
        <input className="input" type="number" inputMode="numeric" min={1} max={10} value={filters.maxScore} onChange={(e) => setFilter('maxScore', e.target.value)} />
      </Field>
      <Field label="Found from" error={errors.from}>
        <input className="input" type="date" value={filters.from} onChange={(e) => setFilter('from', e.target.value)} />
      </Field>
      <Field label="Found until" error={errors.to}>
        <input className="input" type="date" value={filters.to} onChange={(e) => setFilter('to', e.target.value)} />
      </Field>
      <Field label="Sort by">
        <select className="input" value={filters.sort} onChange={(e) => setFilter('sort', e.target.value as JobFilters['sort'])}>
          <option value="newest">Newest first</option>
          <option value="score">Best score first</option>
        </select>
      </Field>
      {onClear && (
        <div className="flex items-end">
          <button type="button" className="btn-secondary w-full" onClick={onClear}>
            Clear filters
          </button>
        </div>
      )}
    </>
  );
}
