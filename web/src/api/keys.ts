// Query keys, in one place so live updates and mutations hit the same entries.
export const keys = {
  jobs: ['jobs'] as const,
  jobLists: ['jobs', 'list'] as const,
  jobList: (filters: object) => ['jobs', 'list', filters] as const,
  /** A board column: infinite-query pages like every list under jobLists (pages/boardColumn.ts). */
  boardColumn: (stage: string) => ['jobs', 'list', { board: stage }] as const,
  job: (id: string) => ['jobs', 'detail', id] as const,
  /** Whether the tenant has any job (the start page); not a list page, so not under jobLists. */
  anyJob: ['jobs', 'any'] as const,
  sources: ['sources'] as const,
  tenant: ['tenant'] as const,
  members: ['members'] as const,
  profile: ['profile'] as const,
  /** A draft profile's scores (its JSON as sent); apart from `profile`, which holds what is saved. */
  profilePreview: (draft: string | null) => ['profile-preview', draft] as const,
  notifications: ['notifications'] as const,
  notificationChannels: ['notifications', 'channels'] as const,
  billing: ['billing'] as const,
  analytics: (what: string, range: object) => ['analytics', what, range] as const,
};
