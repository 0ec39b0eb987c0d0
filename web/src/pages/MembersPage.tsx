import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, describeError, fieldError } from '../api/errors';
import { keys } from '../api/keys';
import type { Page, Role, User } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { Field } from '../components/Field';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, FormError, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { formatDate } from '../format';
import * as v from '../validation';

export function AdminOnly() {
  return <Empty title="Only admins can see this page">Ask an admin of your workspace if you need access.</Empty>;
}

function lastAdminMessage(error: unknown): string {
  return error instanceof ApiError && error.status === 409 ? 'A workspace needs at least one admin: make someone else admin first.' : describeError(error);
}

export function MembersPage() {
  const { isAdmin, session } = useAuth();
  const client = useQueryClient();
  const toast = useToast();
  const members = useQuery({ queryKey: keys.members, queryFn: () => api.get<Page<User>>('/v1/tenant/members'), enabled: isAdmin });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [error, setError] = useState<string>();
  const invite = useMutation({
    mutationFn: () => api.post('/v1/tenant/members', { email: email.trim(), role }),
    onSuccess: () => {
      toast(`Invitation sent to ${email.trim()}.`, 'success');
      setEmail('');
      void client.invalidateQueries({ queryKey: keys.members });
    },
  });
  const changeRole = useMutation({
    mutationFn: ({ id, role }: { id: string; role: Role }) => api.patch(`/v1/tenant/members/${id}`, { role }),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.members }),
    onError: (e) => toast(lastAdminMessage(e), 'error'),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api.del(`/v1/tenant/members/${id}`),
    onSuccess: () => void client.invalidateQueries({ queryKey: keys.members }),
    onError: (e) => toast(lastAdminMessage(e), 'error'),
  });
  if (!isAdmin) return (<><PageTitle>Members</PageTitle><AdminOnly /></>);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = v.email(email);
    setError(problem);
    if (!problem) invite.mutate();
  };
  return (
    <>
      <PageTitle>Members</PageTitle>
      <form noValidate onSubmit={submit} className="card mb-4 grid gap-3 sm:grid-cols-[1fr_10rem_auto]" aria-label="Invite a member">
        <Field label="Invite by e-mail" error={error ?? fieldError(invite.error, 'email') ?? (invite.error instanceof ApiError && invite.error.status === 409 ? 'This person is already a member.' : undefined)}>
          <input className="input" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label="Role">
          <select className="input" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </Field>
        <div className="flex items-end">
          <button type="submit" className="btn-primary w-full" disabled={invite.isPending}>
            Send invitation
          </button>
        </div>
        {invite.error && !(invite.error instanceof ApiError && [400, 409].includes(invite.error.status)) ? (
          <div className="sm:col-span-3"><FormError error={invite.error} /></div>
        ) : null}
      </form>
      {members.isPending ? (
        <Loading label="Loading members…" />
      ) : members.isError ? (
        <ErrorState error={members.error} retry={() => members.refetch()} title="Could not load members" />
      ) : members.data.items.length === 0 ? (
        <Empty title="No members" />
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white">
          {members.data.items.map((m) => (
            <li key={m.id} className="flex flex-wrap items-center gap-3 p-3">
              <div className="min-w-0 flex-1">
                <p className="font-medium break-all">
                  {m.email} {m.id === session?.user.id && <span className="text-xs text-slate-500">(you)</span>}
                </p>
                <p className="text-xs text-slate-500">
                  joined {formatDate(m.createdAt)} {m.emailVerified ? '' : '· e-mail not verified'}
                </p>
              </div>
              <label className="sr-only" htmlFor={`role-${m.id}`}>Role of {m.email}</label>
              <select
                id={`role-${m.id}`}
                className="input w-32"
                value={m.role}
                disabled={changeRole.isPending}
                onChange={(e) => changeRole.mutate({ id: m.id, role: e.target.value as Role })}
              >
                <option value="member">Member</option>
                <option value="admin">Admin</option>
              </select>
              <button
                type="button"
                className="btn-danger"
                disabled={remove.isPending}
                onClick={() => {
                  if (window.confirm(`Remove ${m.email} from the workspace?`)) remove.mutate(m.id);
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
