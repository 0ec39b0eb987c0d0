// The profile page's live preview: the draft being edited, scored over the tenant's newest
// jobs by the API (`POST /v1/profile/preview`: the built-in profile scorer, nothing stored).

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { Profile, ProfilePreviewResult, ProfileWarning } from '../api/types';
import { ScoreBadge } from '../components/Badges';
import { useDebounced } from '../useDebounced';

/** Quiet time after the last keystroke before a preview is asked for: a person typing sends
 * one request per pause, far below the API's 30 a minute. */
const PREVIEW_DEBOUNCE_MS = 400;

export function ProfileWarnings({ warnings }: { warnings: ProfileWarning[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul className="space-y-1 rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900" data-testid="profile-warnings">
      {warnings.map((w) => (
        <li key={`${w.field}:${w.term}`}>{w.message}</li>
      ))}
    </ul>
  );
}

function Change({ from, to }: { from?: number; to: number }) {
  if (from == null) return <span className="text-xs text-slate-600">new</span>;
  const delta = to - from;
  if (delta === 0) return <span className="text-xs text-slate-600">same</span>;
  return <span className={`text-xs font-medium ${delta > 0 ? 'text-emerald-800' : 'text-red-800'}`}>{delta > 0 ? `+${delta}` : delta}</span>;
}

/** `draft` is `null` while the form has errors of its own: nothing is asked for then. */
export function ProfilePreview({ draft }: { draft: Profile | null }) {
  const body = useDebounced(draft ? JSON.stringify(draft) : null, PREVIEW_DEBOUNCE_MS);
  const preview = useQuery({
    queryKey: keys.profilePreview(body),
    queryFn: () => api.post<ProfilePreviewResult>('/v1/profile/preview', JSON.parse(body!)),
    enabled: body != null,
    // Asked again whenever the page opens (stale at once, unlike the app's 15 s default):
    // jobs arrive between visits, and a preview cached before a fetch would say "no jobs".
    staleTime: 0,
    placeholderData: keepPreviousData,
    retry: false,
  });
  const jobs = preview.data?.jobs ?? [];
  return (
    <section aria-labelledby="preview-title" className="card max-w-3xl" aria-busy={preview.isFetching}>
      <h2 id="preview-title" className="mb-1 text-base font-semibold">
        Preview on your newest jobs
      </h2>
      <p className="mb-3 text-sm text-slate-600">How your last {jobs.length || 50} jobs would score with this profile, before you save it.</p>
      {preview.isError && <p role="alert" className="text-sm text-red-800">{describeError(preview.error)}</p>}
      {preview.data && (
        <>
          <ProfileWarnings warnings={preview.data.warnings} />
          {jobs.length === 0 ? (
            <p className="text-sm text-slate-600">No jobs yet: add a source and fetch to see a preview.</p>
          ) : (
            <table className="mt-2 min-w-full text-sm" aria-label="Preview scores">
              <thead className="text-left text-xs text-slate-600">
                <tr>
                  <th scope="col" className="py-1 pr-2">Job</th>
                  <th scope="col" className="py-1 pr-2">Now</th>
                  <th scope="col" className="py-1 pr-2">Preview</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {jobs.map((j) => (
                  <tr key={j.id} data-testid="preview-row">
                    <td className="py-1 pr-2">
                      <div className="font-medium">{j.title}</div>
                      <div className="text-xs text-slate-600">{j.reason}</div>
                    </td>
                    <td className="py-1 pr-2">
                      <ScoreBadge score={j.currentScore} />
                    </td>
                    <td className="py-1 pr-2 whitespace-nowrap">
                      <ScoreBadge score={j.previewScore} /> <Change from={j.currentScore} to={j.previewScore} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
