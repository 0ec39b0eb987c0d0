// The shapes of ../shared/API.md, as the dashboard reads them.

export type Role = 'admin' | 'member';
export interface User { id: string; email: string; role: Role; emailVerified: boolean; createdAt: string }
export interface Tenant { id: string; name: string; plan: string; subscriptionStatus: string }
export interface Session { accessToken: string; refreshToken: string; expiresIn: number; user: User; tenant: Tenant }
export interface Me { user: User; tenant: Tenant }
export interface Usage { period?: string; scoredJobs: number; limit: number }
export interface Limits { monthlyScoredJobs: number; maxSources: number; fetchIntervalMinutes: number; maxMembers: number | null }
export interface TenantDetail extends Tenant { usage: Usage; limits: Limits }

export interface Page<T> { items: T[]; nextCursor: string | null }

export type JobStatus = 'new' | 'queued' | 'scored' | 'failed' | 'archived' | 'pending_upgrade';
export const JOB_STATUSES: JobStatus[] = ['new', 'queued', 'scored', 'failed', 'archived', 'pending_upgrade'];

export interface JobCard {
  id: string; title: string; company: string; location: string; remote: boolean; url: string;
  sourceId: string; status: JobStatus; score?: number; createdAt: string; scoredAt?: string; closedAt?: string;
}
export interface ScoringEntry { score: number; reason: string; scorer: string; model?: string; createdAt: string }
export interface Job extends JobCard { description: string; reason?: string; error?: string; history: ScoringEntry[] }

export interface Source {
  id: string; name: string; kind: string; config: Record<string, string>; enabled: boolean;
  lastFetchedAt: string | null; lastError: string | null; nextFetchAt: string | null; jobsFound: number;
}
export interface Posting {
  nativeId: string; title: string; company: string; location: string; remote: boolean; url: string;
  descriptionText: string; postedAt?: string | null;
}
export interface Preview { items: Posting[]; error: string | null }

export type Remote = 'any' | 'remote' | 'hybrid' | 'onsite';
export interface Profile {
  summary: string; mustHave: string[]; niceToHave: string[]; avoid: string[]; titles: string[];
  locations: string[]; remote: Remote; minSalary?: number; seniority?: string;
}

export type WebhookKind = 'slack' | 'discord' | 'generic';
export interface Notifications {
  email: { enabled: boolean; minScore: number };
  webhooks: { url: string; kind: WebhookKind; minScore: number }[];
  digest: 'off' | 'daily';
}

export interface Overview { totalJobs: number; byStatus: Record<string, number>; averageScore: number | null; scoredInRange: number }
export interface ScoreDistribution { buckets: { score: number; count: number }[] }
export interface JobsPerDay { days: { date: string; created: number; scored: number }[] }
export interface SourceStats { sourceId: string; name: string; jobs: number; averageScore: number | null; highScores: number }

export interface PlanInfo {
  id: string; name: string; monthlyScoredJobs: number; maxSources: number;
  fetchIntervalMinutes: number; maxMembers: number | null; priceId?: string | null;
}
export interface Billing { plan: string; subscriptionStatus: string; currentPeriodEnd?: string | null; usage: Usage; plans: PlanInfo[] }

export type LiveMessage =
  | { type: 'job_scored'; data: JobCard }
  | { type: 'job_updated'; data: JobCard }
  | { type: 'jobs_created'; data: { sourceId: string; count: number } }
  | { type: 'usage_updated'; data: { scoredJobs: number; limit: number } };
