// A stand-in for the jobmon API with fixed, seeded data, serving a built dashboard: what
// `make web-audit` (Lighthouse) and the phone screenshots (docs/screenshots/) run against,
// so their figures and pictures do not depend on a local stack's timing. Sign-in is real in
// shape but not in state: no cookie is set; one flag for the whole server makes
// `POST /v1/auth/refresh` answer with a session after any login (and 401 before one, or
// after a logout), which is what a page opened as a bookmark asks first. The WebSocket
// handshake is completed (then stays quiet) so the live indicator reads "open". The
// analytics reports are computed from the seeded jobs in the shapes of docs/openapi.json.
// The dashboard's files are compressed as the production CloudFront distribution compresses
// them (template.yaml: `Compress: true` with the managed CachingOptimized policy, which
// accepts Brotli and gzip): Brotli when the browser offers it, else gzip, for text types of
// 1,000 bytes or more. API answers are not: /v1/* uses CachingDisabled, and CloudFront does
// not compress what it does not cache, nor does an HTTP API or the functions.
//
//   node scripts/mock-api.mjs DIST_DIR [PORT]   (prints the URL it listens on)
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2' };
const NOW = Date.parse('2026-11-30T09:00:00Z');
const at = (hoursAgo) => new Date(NOW - hoursAgo * 3_600_000).toISOString();

const source = { id: '01JSRC00000000000000000001', name: 'Acme board', kind: 'greenhouse', config: { board: 'acme' }, enabled: true, lastFetchedAt: at(1), lastError: null, nextFetchAt: at(-1), jobsFound: 12, consecutiveFailures: 0 };
const ROLES = [
  ['Senior Rust Engineer', 'Acme', 'Berlin', 'hybrid', 9, [85000, 105000, 'EUR'], 'interviewing'],
  ['Backend Engineer (Go)', 'Acme', 'Remote (EU)', 'remote', 7, [70000, 90000, 'EUR'], 'applied'],
  ['Platform Engineer', 'Beta GmbH', 'Munich', 'onsite', 6, null, 'saved'],
  ['Staff Software Engineer', 'Gamma', 'Remote', 'remote', 8, [160000, 190000, 'USD'], null],
  ['Site Reliability Engineer', 'Delta', 'Amsterdam', 'hybrid', 5, [65000, 80000, 'EUR'], null],
  ['Data Engineer', 'Epsilon', 'London', 'hybrid', 4, [55000, 70000, 'GBP'], null],
  ['Frontend Developer', 'Zeta', 'Toronto', 'onsite', 3, null, null],
  ['Rust Developer', 'Eta', 'Remote (Europe)', 'remote', 8, [75000, null, 'EUR'], null],
  ['Engineering Manager', 'Theta', 'Berlin', 'onsite', 2, null, 'rejected'],
  ['Technical Recruiter', 'Acme', 'Berlin', 'hybrid', 1, null, null],
  ['Cloud Engineer', 'Iota', 'Hamburg', 'hybrid', 6, [70000, 85000, 'EUR'], null],
  ['Embedded Rust Engineer', 'Kappa', 'Remote', 'remote', 7, null, null],
];
const jobs = ROLES.map(([title, company, location, workMode, score, pay, stage], i) => ({
  id: `01JJOB${String(i).padStart(20, '0')}`,
  title,
  company,
  location,
  remote: workMode === 'remote',
  workMode,
  url: `https://boards.greenhouse.io/acme/jobs/${1000 + i}`,
  sourceId: source.id,
  status: 'scored',
  score,
  createdAt: at(2 + i * 3),
  scoredAt: at(1 + i * 3),
  ...(pay ? { salary: { min: pay[0], max: pay[1], currency: pay[2], interval: 'year' } } : {}),
  ...(stage ? { stage, stageChangedAt: at(i) } : {}),
}));
const user = { id: '01JUSR00000000000000000001', email: 'ana@example.com', role: 'admin', emailVerified: true, createdAt: at(400) };
const tenant = { id: '01JTEN00000000000000000001', name: 'Ana', plan: 'free', subscriptionStatus: 'none' };
const profile = { summary: 'Backend engineer, Rust and Go.', mustHave: ['rust'], niceToHave: ['kubernetes'], avoid: ['crypto'], titles: ['Rust Engineer'], locations: ['Berlin'], remote: 'any' };
let signedIn = false;

function session() {
  return { accessToken: 'mock-access-token', expiresIn: 900, user, tenant };
}

function routes(method, url) {
  const p = url.pathname;
  const list = (items) => ({ items, nextCursor: null });
  if (method === 'POST' && (p === '/v1/auth/login' || p === '/v1/auth/register')) return (signedIn = true), [200, session()];
  if (method === 'POST' && p === '/v1/auth/refresh') return signedIn ? [200, session()] : [401, { error: { code: 'unauthorized', message: 'Sign in again.' } }];
  if (method === 'POST' && p === '/v1/auth/logout') return (signedIn = false), [204];
  if (method === 'POST' && p === '/v1/auth/ws-ticket') return [200, { ticket: 'mock-ticket' }];
  if (p === '/v1/auth/me') return [200, { user, tenant }];
  if (p === '/v1/jobs') {
    const stage = url.searchParams.get('stage');
    return [200, list(stage ? jobs.filter((j) => j.stage === stage) : jobs)];
  }
  if (p.startsWith('/v1/jobs/')) {
    const job = jobs.find((j) => p.endsWith(j.id));
    return job ? [200, { ...job, description: 'Build Rust services on AWS.', reason: 'Meets all must-haves: rust.', history: [], tracking: [] }] : [404, { error: { code: 'not_found', message: 'Not found.' } }];
  }
  if (p === '/v1/sources') return [200, list([source])];
  if (p === '/v1/profile') return [200, profile];
  if (p === '/v1/profile/preview') return [200, { jobs: jobs.map((j) => ({ id: j.id, title: j.title, company: j.company, currentScore: j.score, previewScore: j.score, reason: 'Meets all must-haves: rust.' })), warnings: [] }];
  if (p === '/v1/tenant/members') return [200, list([user])];
  if (p === '/v1/notifications') return [200, { instantThreshold: 8, digestHour: 8, timeZone: 'Europe/Berlin' }];
  if (p === '/v1/billing') return [503, { error: { code: 'unavailable', message: 'Billing is not available.' } }];
  if (p.startsWith('/v1/analytics/')) return analytics(p.slice('/v1/analytics/'.length), url.searchParams);
  return [404, { error: { code: 'not_found', message: `no mock for ${method} ${p}` } }];
}

const day = (t) => new Date(t).toISOString().slice(0, 10);
const count = (list, key) => list.reduce((n, j) => ((n[j[key]] = (n[j[key]] ?? 0) + 1), n), {});
const average = (list) => (list.length ? Math.round((list.reduce((n, j) => n + j.score, 0) / list.length) * 10) / 10 : null);
const STATUSES = ['new', 'queued', 'scored', 'failed', 'archived', 'pending_upgrade'];
const STAGES = ['saved', 'applied', 'interviewing', 'offer', 'rejected', 'withdrawn'];

/** The four reports (docs/openapi.json) computed from the seeded jobs, over `from`..`to` (default: the 30 days to today). */
function analytics(report, params) {
  const to = params.get('to') ?? day(NOW);
  const from = params.get('from') ?? day(Date.parse(to) - 29 * 86_400_000);
  const inRange = jobs.filter((j) => day(j.createdAt) >= from && day(j.createdAt) <= to);
  const zeros = (names) => Object.fromEntries(names.map((n) => [n, 0]));
  switch (report) {
    case 'overview':
      return [200, {
        totalJobs: inRange.length,
        byStatus: { ...zeros(STATUSES), ...count(inRange, 'status') },
        averageScore: average(inRange),
        scoredInRange: jobs.filter((j) => day(j.scoredAt) >= from && day(j.scoredAt) <= to).length,
        byStage: { ...zeros(STAGES), ...count(inRange.filter((j) => j.stage), 'stage') },
      }];
    case 'score-distribution':
      return [200, { buckets: Array.from({ length: 10 }, (_, i) => ({ score: i + 1, count: inRange.filter((j) => j.score === i + 1).length })) }];
    case 'jobs-per-day': {
      const days = [];
      for (let t = Date.parse(from); day(t) <= to; t += 86_400_000) {
        days.push({ date: day(t), created: jobs.filter((j) => day(j.createdAt) === day(t)).length, scored: jobs.filter((j) => day(j.scoredAt) === day(t)).length });
      }
      return [200, { days }];
    }
    case 'sources':
      return [200, [{ sourceId: source.id, name: source.name, jobs: inRange.length, averageScore: average(inRange), highScores: inRange.filter((j) => j.score >= 8).length }]];
    default:
      return [404, { error: { code: 'not_found', message: `no analytics report ${report}` } }];
  }
}

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
const packed = new Map();

/** A file's Brotli and gzip forms, made once: CloudFront serves a compressed object from its cache, not compressing per request. */
function pack(file, type) {
  const key = `${file}:${statSync(file).mtimeMs}`;
  if (!packed.has(key)) {
    const body = readFileSync(file);
    const worth = COMPRESSIBLE.test(type) && body.length >= 1000;
    packed.set(key, { body, br: worth ? brotliCompressSync(body) : null, gzip: worth ? gzipSync(body) : null });
  }
  return packed.get(key);
}

/** Every file of the build packed ahead, so no audited request waits for a compression. */
function packAll(dir) {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) packAll(file);
    else pack(file, TYPES[path.extname(file)] ?? 'application/octet-stream');
  }
}

/** The file as CloudFront delivers it to a browser sending `acceptEncoding`: its bytes and content-encoding. */
function encode(file, type, acceptEncoding = '') {
  const forms = pack(file, type);
  if (forms.br && /\bbr\b/.test(acceptEncoding)) return { body: forms.br, encoding: 'br' };
  if (forms.gzip && /\bgzip\b/.test(acceptEncoding)) return { body: forms.gzip, encoding: 'gzip' };
  return { body: forms.body, encoding: null };
}

function serveFile(dist, req, url, res) {
  let file = path.join(dist, path.normalize(url.pathname).replace(/^(\.\.[/\\])+/, ''));
  if (!file.startsWith(dist) || !existsSync(file) || statSync(file).isDirectory()) file = path.join(dist, 'index.html');
  const hashed = /\/assets\//.test(file);
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  const { body, encoding } = encode(file, type, req.headers['accept-encoding']);
  res.writeHead(200, {
    'content-type': type,
    'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'Accept-Encoding',
    ...(encoding ? { 'content-encoding': encoding } : {}),
  });
  res.end(body);
}

export function startMock(dist, port = 0) {
  const root = path.resolve(dist);
  packAll(root);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith('/v1/')) return serveFile(root, req, url, res);
    const [status, body] = routes(req.method, url);
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  });
  // Completes the WebSocket handshake and then stays quiet: no live messages in a picture.
  server.on('upgrade', (req, socket) => {
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startMock(process.argv[2] ?? 'dist', Number(process.argv[3] ?? 0));
  console.log(url);
}
