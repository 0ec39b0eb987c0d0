import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { Job, Stage } from '../api/types';
import { useToast } from '../components/Toasts';
import { formatDate } from '../format';
import { NOTE_MAX_CHARS, STAGE_LABELS, StageOptions, useSetStage } from './stages';

/** The job's application stage, its stage history and notes. */
export function JobTracking({ job }: { job: Job }) {
  const client = useQueryClient();
  const toast = useToast();
  const [note, setNote] = useState('');
  const path = `/v1/jobs/${encodeURIComponent(job.id)}`;
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.job(job.id) });
    void client.invalidateQueries({ queryKey: keys.jobLists });
  };
  const setStage = useSetStage({
    done: (_, stage) => `Stage set to ${STAGE_LABELS[stage]}.`,
    conflict: 'The stage changed in the meantime; the page now shows it.',
  });
  const addNote = useMutation({
    mutationFn: (text: string) => api.post(`${path}/notes`, { text }),
    onSuccess: () => {
      setNote('');
      toast('Note added.', 'success');
    },
    onError: (error) => toast(describeError(error), 'error'),
    onSettled: refresh,
  });
  const tooLong = note.length > NOTE_MAX_CHARS;

  return (
    <section className="card space-y-3" aria-labelledby="tracking-h">
      <h2 id="tracking-h" className="text-lg font-semibold">Application</h2>
      <label className="block text-sm font-medium">
        Stage
        <select
          className="mt-1 block rounded border-slate-300"
          value={job.stage ?? ''}
          disabled={setStage.isPending}
          onChange={(e) => e.target.value && setStage.mutate({ job, stage: e.target.value as Stage })}
        >
          {!job.stage && <option value="">Not tracked</option>}
          <StageOptions />
        </select>
      </label>
      <form
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (note.trim() && !tooLong) addNote.mutate(note.trim());
        }}
      >
        <label className="block text-sm font-medium">
          Note
          <textarea
            className="mt-1 block w-full rounded border-slate-300"
            rows={3}
            value={note}
            aria-invalid={tooLong}
            aria-describedby="note-help"
            onChange={(e) => setNote(e.target.value)}
          />
        </label>
        <p id="note-help" className={`text-xs ${tooLong ? 'text-red-700' : 'text-slate-500'}`}>
          {note.length.toLocaleString()} / {NOTE_MAX_CHARS.toLocaleString()} characters
        </p>
        <button type="submit" className="btn-secondary" disabled={addNote.isPending || !note.trim() || tooLong}>
          Add note
        </button>
      </form>
      {job.tracking.length > 0 && (
        <ol className="space-y-2 text-sm" data-testid="tracking">
          {job.tracking.map((entry, i) => (
            <li key={`${entry.at}-${i}`}>
              <span className="text-slate-500">{formatDate(entry.at)} · </span>
              {entry.kind === 'stage' ? (
                <span>
                  {entry.from ? `${STAGE_LABELS[entry.from]} → ` : ''}
                  <strong>{STAGE_LABELS[entry.stage]}</strong>
                </span>
              ) : (
                <span className="whitespace-pre-line">{entry.text}</span>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
