import { useMutation, useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { ApiError, describeError } from '../api/errors';
import { keys } from '../api/keys';
import type { Billing } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import { PageTitle } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { useToast } from '../components/Toasts';
import { formatDate } from '../format';

export function UsageMeter({ used, limit }: { used: number; limit: number }) {
  const pct = limit > 0 ? Math.min(100, Math.round((used / limit) * 100)) : 0;
  const tone = pct >= 100 ? 'bg-red-600' : pct >= 80 ? 'bg-amber-500' : 'bg-indigo-600';
  return (
    <div>
      <div className="mb-1 flex justify-between text-sm">
        <span>Scored jobs this month</span>
        <span data-testid="usage-text">
          {used.toLocaleString()} of {limit.toLocaleString()}
        </span>
      </div>
      <div
        role="meter"
        aria-label="Scored jobs this month"
        aria-valuemin={0}
        aria-valuemax={limit}
        aria-valuenow={used}
        className="h-3 overflow-hidden rounded-full bg-slate-200"
      >
        <div className={`h-full ${tone}`} style={{ width: `${pct}%` }} />
      </div>
      {pct >= 100 && <p className="mt-1 text-sm text-red-700">The quota is used up: new jobs wait until next month or an upgrade.</p>}
    </div>
  );
}

export function BillingPage() {
  const { isAdmin } = useAuth();
  const toast = useToast();
  const billing = useQuery({ queryKey: keys.billing, queryFn: () => api.get<Billing>('/v1/billing') });
  const go = (url: string) => window.location.assign(url);
  const checkout = useMutation({
    mutationFn: (plan: string) => api.post<{ url: string }>('/v1/billing/checkout', { plan }),
    onSuccess: ({ url }) => go(url),
    onError: (e) => toast(describeError(e), 'error'),
  });
  const portal = useMutation({
    mutationFn: () => api.post<{ url: string }>('/v1/billing/portal'),
    onSuccess: ({ url }) => go(url),
    onError: (e) => toast(describeError(e), 'error'),
  });
  return (
    <>
      <PageTitle
        actions={
          billing.data && (
            <button type="button" className="btn-secondary" disabled={!isAdmin || portal.isPending} onClick={() => portal.mutate()}>
              Manage billing
            </button>
          )
        }
      >
        Billing
      </PageTitle>
      {billing.isPending ? (
        <Loading label="Loading your plan…" />
      ) : billing.isError ? (
        billing.error instanceof ApiError && billing.error.status === 404 ? (
          <Empty title="Billing is not available">This jobmon server does not offer billing. Everything runs on the plan it was set up with.</Empty>
        ) : (
          <ErrorState error={billing.error} retry={() => billing.refetch()} title="Could not load billing" />
        )
      ) : (
        <div className="space-y-4">
          {!isAdmin && <p className="text-sm text-slate-600">Only an admin can change the plan.</p>}
          <section className="card space-y-3" aria-labelledby="plan-h">
            <h2 id="plan-h" className="text-lg font-semibold">
              Your plan: <span data-testid="plan">{billing.data.plans.find((p) => p.id === billing.data.plan)?.name ?? billing.data.plan}</span>
            </h2>
            <p className="text-sm text-slate-600">
              Subscription: {billing.data.subscriptionStatus}
              {billing.data.currentPeriodEnd && ` · renews ${formatDate(billing.data.currentPeriodEnd)}`}
            </p>
            <UsageMeter used={billing.data.usage.scoredJobs} limit={billing.data.usage.limit} />
          </section>
          <ul className="grid gap-3 sm:grid-cols-3">
            {billing.data.plans.map((p) => {
              const current = p.id === billing.data.plan;
              return (
                <li key={p.id} className={`card ${current ? 'border-indigo-400 ring-1 ring-indigo-400' : ''}`}>
                  <h3 className="font-semibold">{p.name}</h3>
                  <ul className="my-2 space-y-1 text-sm text-slate-600">
                    <li>{p.monthlyScoredJobs.toLocaleString()} scored jobs / month</li>
                    <li>{p.maxSources} sources</li>
                    <li>fetched every {p.fetchIntervalMinutes >= 60 ? `${p.fetchIntervalMinutes / 60} h` : `${p.fetchIntervalMinutes} min`}</li>
                    <li>{p.maxMembers === null ? 'unlimited members' : `${p.maxMembers} members`}</li>
                  </ul>
                  {current ? (
                    <p className="text-sm font-medium text-indigo-700">Current plan</p>
                  ) : p.priceId ? (
                    <button type="button" className="btn-primary w-full" disabled={!isAdmin || checkout.isPending} onClick={() => checkout.mutate(p.id)}>
                      Upgrade to {p.name}
                    </button>
                  ) : null}
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </>
  );
}
