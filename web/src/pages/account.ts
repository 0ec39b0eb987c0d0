import type { ExportPart } from '../api/types';

/** The lists of an export part; every part carries them, the archive appends them. */
const LISTS = ['members', 'sources', 'usage', 'notificationSettings', 'channels', 'jobs'] as const;

export type Archive = Omit<ExportPart, 'nextCursor' | 'exportedAt'> & { exportedAt: string; parts: number };

/** Joins the parts of `GET /v1/tenant/export` into one archive. */
export function joinParts(parts: ExportPart[]): Archive {
  const archive: Archive = {
    format: 'jobmon-export/1',
    exportedAt: parts[0]?.exportedAt ?? new Date().toISOString(),
    parts: parts.length,
    members: [],
    sources: [],
    usage: [],
    notificationSettings: [],
    channels: [],
    jobs: [],
  };
  for (const part of parts) {
    if (part.tenant) archive.tenant = part.tenant;
    if (part.profile) archive.profile = part.profile;
    for (const list of LISTS) archive[list] = [...archive[list], ...part[list]];
  }
  return archive;
}

/** Reads every part, following `nextCursor`. */
export async function fetchArchive(get: (cursor?: string) => Promise<ExportPart>): Promise<Archive> {
  const parts: ExportPart[] = [];
  let cursor: string | undefined;
  do {
    const part = await get(cursor);
    parts.push(part);
    cursor = part.nextCursor ?? undefined;
  } while (cursor);
  return joinParts(parts);
}
