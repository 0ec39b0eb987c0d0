// Starts what the browser test talks to: the fixture job board (in this process) and the
// local stack (`jobmon-local`: moto + every function of template.yaml) on a free port,
// serving the built dashboard. Teardown stops exactly the process started here, by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOURNEY_BOARDS, startBoard } from './fixture-board';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const repo = path.resolve(web, '..');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, gateway: ChildProcess, logFile: string) {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (gateway.exitCode !== null) throw new Error(`jobmon-local exited with ${gateway.exitCode}; see ${logFile}`);
    try {
      const r = await fetch(`${url}/v1/health`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`jobmon-local did not answer /v1/health within 90 s; see ${logFile}`);
}

export default async function globalSetup() {
  const dist = path.join(web, 'dist');
  if (!existsSync(path.join(dist, 'index.html'))) throw new Error('web/dist is missing: run `npm run build` first (make web-e2e does)');
  const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(repo, 'target');
  const binary = path.join(targetDir, 'debug', 'jobmon-local');
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run \`cargo build --workspace\` first (make web-e2e does)`);

  const board = await startBoard(JOURNEY_BOARDS);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(path.join(web, 'test-results'), { recursive: true });
  const logFile = path.join(web, 'test-results', 'jobmon-local.log');
  const log = createWriteStream(logFile);

  // Only what the stack needs; AWS_ENDPOINT_URL is dropped so it starts its own moto.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'AWS_ENDPOINT_URL' || k.startsWith('JOBMON_')) continue;
    env[k] = v;
  }
  // The keys and JOBMON_ALLOW_PRIVATE_SOURCES=1 are jobmon-local's local-only defaults.
  Object.assign(env, {
    JOBMON_GREENHOUSE_BASE_URL: board.url,
    JOBMON_APP_URL: url,
    JOBMON_PREFIX: `jobmon-e2e-${port}`,
    // Notifications gather for this long before they go out (60 s deployed).
    JOBMON_PARAM_NotificationBatchSeconds: '3',
  });
  // The functions' binaries are beside jobmon-local's: under CARGO_TARGET_DIR when it is set
  // (jobmon-local's own default is the checkout's target/debug).
  const binDir = path.dirname(binary);
  const gateway = spawn(binary, ['--port', String(port), '--web-dir', dist, '--bin-dir', binDir], { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'] });
  gateway.stdout!.pipe(log);
  gateway.stderr!.pipe(log);

  try {
    await waitForHealth(url, gateway, logFile);
  } catch (e) {
    gateway.kill('SIGTERM');
    board.server.close();
    throw e;
  }
  process.env.JOBMON_E2E_URL = url;
  process.env.JOBMON_E2E_LOG = logFile;

  return async () => {
    const pid = gateway.pid;
    if (pid !== undefined && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway.once('exit', r));
      process.kill(pid, 'SIGTERM');
      // The gateway stops moto and its functions on SIGTERM (2 s grace), then exits.
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (gateway.exitCode === null) process.kill(pid, 'SIGKILL');
    }
    await new Promise((r) => board.server.close(r));
    log.end();
  };
}
