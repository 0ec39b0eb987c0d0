import { useDeferredValue, useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { Profile, ProfileWarning, Remote, SavedProfile, Seniority } from '../api/types';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { splitList } from '../format';
import * as v from '../validation';
import { ProfilePreview, ProfileWarnings } from './ProfilePreview';

const SENIORITIES: Seniority[] = ['intern', 'junior', 'mid', 'senior', 'staff', 'principal', 'lead', 'manager', 'director'];
const LISTS = [
  ['titles', 'Job titles you want', 'Software Engineer, Backend Developer'],
  ['mustHave', 'Must have', 'Skills or words a good posting mentions: rust, aws'],
  ['niceToHave', 'Nice to have', 'kubernetes, typescript'],
  ['avoid', 'Avoid', 'A posting with any of these scores low: php, crypto'],
  ['locations', 'Locations', 'Berlin, Remote EU'],
] as const;

type ListKey = (typeof LISTS)[number][0];

export function ProfilePage() {
  const profile = useQuery({ queryKey: keys.profile, queryFn: () => api.get<Profile>('/v1/profile') });
  // The form (a dozen fields and the preview) is built in the background once the profile is
  // in, in slices React can interrupt, not in the task that delivered it.
  const shown = useDeferredValue(profile.data);
  return (
    <>
      <PageTitle>Scoring profile</PageTitle>
      <p className="mb-4 max-w-prose text-sm text-slate-600">
        Every job is scored 1–10 against this profile. Saving a changed profile rescores the jobs already scored.
      </p>
      {profile.isError ? (
        <ErrorState error={profile.error} retry={() => profile.refetch()} title="Could not load your profile" />
      ) : !shown ? (
        <Loading label="Loading your profile…" />
      ) : (
        <ProfileForm initial={shown} />
      )}
    </>
  );
}

type DraftFields = {
  summary: string;
  lists: Record<ListKey, string>;
  remote: Remote;
  minSalary: string;
  salaryCurrency: string;
  seniority: Seniority | '';
};

/** The form as the API's profile, or the errors that keep it from being one. */
function checkDraft(f: DraftFields): { draft: Profile | null; errors: v.Errors } {
  const errors: v.Errors = {
    summary: f.summary.length > 2000 ? 'Keep the summary under 2,000 characters.' : undefined,
    minSalary: f.minSalary && !(Number(f.minSalary) >= 0) ? 'Enter a yearly amount as a number, e.g. 80000.' : undefined,
    salaryCurrency: f.salaryCurrency && !/^\s*[A-Za-z]{3}\s*$/.test(f.salaryCurrency) ? 'A three-letter code such as EUR or USD.' : undefined,
  };
  for (const [k, label] of LISTS) {
    const items = splitList(f.lists[k]);
    if (items.length > 50) errors[k] = `${label}: at most 50 entries.`;
    else if (items.some((i) => i.length > 100)) errors[k] = 'Each entry must be at most 100 characters.';
  }
  if (v.hasErrors(errors)) return { draft: null, errors };
  const draft: Profile = {
    summary: f.summary.trim(),
    mustHave: splitList(f.lists.mustHave),
    niceToHave: splitList(f.lists.niceToHave),
    avoid: splitList(f.lists.avoid),
    titles: splitList(f.lists.titles),
    locations: splitList(f.lists.locations),
    remote: f.remote,
  };
  if (f.minSalary) draft.minSalary = Number(f.minSalary);
  if (f.salaryCurrency.trim()) draft.salaryCurrency = f.salaryCurrency.trim().toUpperCase();
  if (f.seniority) draft.seniority = f.seniority;
  return { draft, errors };
}

function ProfileForm({ initial }: { initial: Profile }) {
  const client = useQueryClient();
  const toast = useToast();
  const [summary, setSummary] = useState(initial.summary ?? '');
  const [lists, setLists] = useState<Record<ListKey, string>>(
    Object.fromEntries(LISTS.map(([k]) => [k, (initial[k] ?? []).join(', ')])) as Record<ListKey, string>,
  );
  const [remote, setRemote] = useState<Remote>(initial.remote ?? 'any');
  const [minSalary, setMinSalary] = useState(initial.minSalary != null ? String(initial.minSalary) : '');
  const [seniority, setSeniority] = useState<Seniority | ''>(initial.seniority ?? '');
  const [salaryCurrency, setSalaryCurrency] = useState(initial.salaryCurrency ?? '');
  const [errors, setErrors] = useState<v.Errors>({});
  const [warnings, setWarnings] = useState<ProfileWarning[]>([]);
  const save = useMutation({
    mutationFn: (body: Profile) => api.put<SavedProfile>('/v1/profile', body),
    onSuccess: (saved) => {
      if (saved) {
        const { warnings: found, ...stored } = saved;
        client.setQueryData(keys.profile, stored);
        setWarnings(found);
      }
      toast('Profile saved. Scored jobs are being rescored against it.', 'success');
    },
  });
  const checked = checkDraft({ summary, lists, remote, minSalary, salaryCurrency, seniority });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setErrors(checked.errors);
    if (checked.draft) save.mutate(checked.draft);
  };
  return (
    <>
      <form noValidate onSubmit={submit} className="card mb-6 grid max-w-3xl gap-4 sm:grid-cols-2">
        <div className="sm:col-span-2">
          <Field label="About you" hint="A few sentences: what you do, what you look for." error={errors.summary ?? fieldError(save.error, 'summary')}>
            <textarea className="input min-h-24" value={summary} onChange={(e) => setSummary(e.target.value)} />
          </Field>
        </div>
        {LISTS.map(([k, label, hint]) => (
          <Field key={k} label={label} hint={`Comma-separated. ${hint}`} error={errors[k] ?? fieldError(save.error, k)}>
            <input className="input" value={lists[k]} onChange={(e) => setLists({ ...lists, [k]: e.target.value })} />
          </Field>
        ))}
        <Field label="Remote" error={fieldError(save.error, 'remote')}>
          <select className="input" value={remote} onChange={(e) => setRemote(e.target.value as Remote)}>
            <option value="any">No preference</option>
            <option value="remote">Remote only</option>
            <option value="hybrid">Prefer hybrid</option>
            <option value="onsite">On-site only</option>
          </select>
        </Field>
        <Field label="Seniority" error={fieldError(save.error, 'seniority')}>
          <select className="input" value={seniority} onChange={(e) => setSeniority(e.target.value as Seniority | '')}>
            <option value="">Any</option>
            {SENIORITIES.map((s) => (
              <option key={s} value={s}>
                {s[0].toUpperCase() + s.slice(1)}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Minimum yearly salary" hint="Postings that state less score low." error={errors.minSalary ?? fieldError(save.error, 'minSalary')}>
          <input className="input" type="number" inputMode="numeric" min={0} value={minSalary} onChange={(e) => setMinSalary(e.target.value)} />
        </Field>
        <Field label="Salary currency" hint="Of the minimum: EUR, USD, GBP… Pay in other currencies is converted." error={errors.salaryCurrency ?? fieldError(save.error, 'salaryCurrency')}>
          <input className="input" maxLength={3} value={salaryCurrency} onChange={(e) => setSalaryCurrency(e.target.value)} />
        </Field>
        <div className="sm:col-span-2" data-testid="saved-warnings">
          <ProfileWarnings warnings={warnings} />
        </div>
        <div className="space-y-2 sm:col-span-2">
          <FormError error={save.error} />
          <button type="submit" className="btn-primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save profile'}
          </button>
        </div>
      </form>
      <ProfilePreview draft={checked.draft} />
    </>
  );
}
