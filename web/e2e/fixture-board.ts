// A Greenhouse board API on 127.0.0.1, shaped like tests/src/fixture.rs `greenhouse_board`:
// GET /v1/boards/{board}/jobs?content=true.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The boards the journey's local stack fetches from: one Greenhouse board of three jobs. */
export const JOURNEY_BOARDS: Record<string, number[]> = { acme: [0, 1, 2] };

export function greenhouseBoard(board: string, ids: number[]) {
  const jobs = ids.map((i) => ({
    id: 4_000_000 + i,
    internal_job_id: 100 + i,
    title: i % 3 === 0 ? `Senior Rust Engineer ${i}` : i % 3 === 1 ? `Frontend Developer ${i}` : `Office Manager ${i}`,
    company_name: 'Acme',
    absolute_url: `https://boards.greenhouse.io/${board}/jobs/${4_000_000 + i}?gh_src=feed`,
    location: { name: i % 2 === 0 ? 'Berlin' : 'Remote' },
    updated_at: '2026-11-20T10:00:00-05:00',
    first_published: '2026-11-01T09:00:00-05:00',
    requisition_id: `R${i}`,
    metadata: null,
    data_compliance: [],
    content: `&lt;p&gt;Build &lt;strong&gt;Rust&lt;/strong&gt; and TypeScript services #${i}.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;`,
    departments: [{ id: 1, name: 'Engineering', parent_id: null, child_ids: [] }],
    offices: [{ id: 2, name: 'Berlin', location: 'Berlin, Germany' }],
  }));
  return { jobs, meta: { total: jobs.length } };
}

export async function startBoard(boards: Record<string, number[]>): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const match = /^\/v1\/boards\/([^/]+)\/jobs$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
    const ids = match ? boards[match[1]] : undefined;
    if (req.method !== 'GET' || !ids) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"status":404,"error":"Not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(greenhouseBoard(match![1], ids)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
