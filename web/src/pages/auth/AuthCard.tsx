import type { ReactNode } from 'react';
import { ConnectionBanner } from '../../components/Layout';

export function AuthCard({ title, children, footer }: { title: string; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="min-h-screen">
      <ConnectionBanner />
      <main className="mx-auto flex max-w-md flex-col px-4 py-12">
        <p className="mb-6 text-center text-2xl font-bold text-indigo-700">jobmon</p>
        <div className="card space-y-4 p-6">
          <h1 className="text-xl font-semibold">{title}</h1>
          {children}
        </div>
        {footer && <div className="mt-4 space-y-1 text-center text-sm text-slate-600">{footer}</div>}
      </main>
    </div>
  );
}
