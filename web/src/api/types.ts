// The API's shapes as the dashboard reads them. They come from `schema.d.ts`, which is
// generated from docs/openapi.json (`npm run api-types`; `npm run api-types:check` fails
// when the two drift apart) — do not write a response shape by hand here. docs/api.md
// explains the contract around them.
import type { components } from './schema';

type Schemas = components['schemas'];

export type Role = Schemas['Role'];
export type User = Schemas['User'];
export type Tenant = Schemas['Tenant'];
export type Session = Schemas['Session'];
export type Me = Schemas['Me'];
export type Usage = Schemas['Usage'];
export type Limits = Schemas['PlanLimits'];
export type TenantDetail = Schemas['TenantDetail'];
export type ExportPart = Schemas['ExportPart'];
export type Erasure = Schemas['Erasure'];

/** Every list answers `{items, nextCursor}` (`JobCardList`, `SourceList`, `UserList`, …). */
export type Page<T> = { items: T[]; nextCursor: string | null };

export type JobStatus = Schemas['JobStatus'];
export const JOB_STATUSES: JobStatus[] = ['new', 'queued', 'scored', 'failed', 'archived', 'pending_upgrade'];

export type JobCard = Schemas['JobCard'];
export type Stage = Schemas['Stage'];
export type ScoringEntry = Schemas['ScoringEntry'];
export type Job = Schemas['Job'];

export type SourceKind = Schemas['SourceKind'];
/** The document leaves a stored config open (its fields depend on `kind`); every field of
 *  every kind is text, and the source forms edit it as such. */
export type Source = Omit<Schemas['Source'], 'config'> & { config: Record<string, string> };
export type Posting = Schemas['Posting'];
export type Preview = Schemas['SourcePreview'];
export type DetectedSource = Schemas['DetectedSource'];

export type Profile = Schemas['Profile'];
export type SavedProfile = Schemas['SavedProfile'];
export type ProfileWarning = SavedProfile['warnings'][number];
export type Remote = Profile['remote'];
export type Seniority = NonNullable<Profile['seniority']>;

export type Notifications = Schemas['NotificationSettings'];
export type NotificationChannel = Schemas['NotificationChannel'];
export type NotificationChannelKind = Schemas['NotificationChannelKind'];
export type CreatedNotificationChannel = Schemas['CreatedNotificationChannel'];
export type ChannelTestResult = Schemas['NotificationChannelTestResult'];

export type Overview = Schemas['AnalyticsOverview'];
export type ScoreDistribution = Schemas['ScoreDistribution'];
export type JobsPerDay = Schemas['JobsPerDay'];
export type SourceStats = Schemas['SourceStats'];

export type PlanInfo = Schemas['Plan'];
export type Billing = Schemas['Billing'];

// The WebSocket's messages are described under `x-websocket` in docs/openapi.json, outside
// `components`, so the generator does not see them; their payloads are schema types.
export type LiveMessage =
  | { type: 'job_scored'; data: JobCard }
  | { type: 'job_updated'; data: JobCard }
  | { type: 'jobs_created'; data: { sourceId: string; count: number } }
  | { type: 'usage_updated'; data: { scoredJobs: number; limit: number } };
/** Named apart from the `ProfilePreview` component that shows it. */
export type ProfilePreviewResult = Schemas['ProfilePreview'];
