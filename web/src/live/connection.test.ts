import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveConnection, MAX_BACKOFF_MS, defaultBackoff, type LiveStatus } from './connection';

class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  open() {
    this.onopen?.();
  }
  drop() {
    this.onclose?.();
  }
  send(data: unknown) {
    this.onmessage?.({ data: JSON.stringify(data) });
  }
  close() {
    this.closed = true;
  }
}

describe('defaultBackoff', () => {
  it('doubles from one second up to thirty, with ±20 % jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map((a) => defaultBackoff(a, () => 0.5))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(defaultBackoff(0, () => 0)).toBe(800);
    expect(defaultBackoff(9, () => 1)).toBe(MAX_BACKOFF_MS * 1.2);
  });
});

describe('LiveConnection', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeSocket.all = [];
  });
  afterEach(() => vi.useRealTimers());

  function connect() {
    let n = 0;
    const statuses: LiveStatus[] = [];
    const messages: unknown[] = [];
    const onResync = vi.fn();
    const getTicket = vi.fn(async () => `ticket-${++n}`);
    const conn = new LiveConnection({
      getTicket,
      url: (t) => `ws://x/ws?ticket=${t}`,
      onMessage: (m) => messages.push(m),
      onStatus: (s) => statuses.push(s),
      onResync,
      createSocket: (u) => new FakeSocket(u) as unknown as WebSocket,
      backoff: (attempt) => 1000 * 2 ** attempt,
    });
    conn.start();
    return { conn, statuses, messages, onResync, getTicket };
  }

  it('opens with a ticket and delivers messages', async () => {
    const { statuses, messages } = connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeSocket.all[0].url).toBe('ws://x/ws?ticket=ticket-1');
    FakeSocket.all[0].open();
    FakeSocket.all[0].send({ type: 'job_scored', data: { id: 'j1' } });
    FakeSocket.all[0].onmessage?.({ data: 'not json' });
    expect(statuses).toEqual(['connecting', 'open']);
    expect(messages).toEqual([{ type: 'job_scored', data: { id: 'j1' } }]);
  });

  it('reconnects with growing waits and a fresh ticket each time, then resyncs', async () => {
    const { statuses, onResync, getTicket } = connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].open();
    expect(onResync).not.toHaveBeenCalled();

    FakeSocket.all[0].drop();
    expect(statuses.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(999);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(2);
    // The second attempt fails before opening: the wait doubles.
    FakeSocket.all[1].drop();
    await vi.advanceTimersByTimeAsync(1999);
    expect(FakeSocket.all).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(FakeSocket.all).toHaveLength(3);
    expect(FakeSocket.all[2].url).toBe('ws://x/ws?ticket=ticket-3');
    expect(getTicket).toHaveBeenCalledTimes(3);

    FakeSocket.all[2].open();
    expect(onResync).toHaveBeenCalledTimes(1);
    expect(statuses.at(-1)).toBe('open');
    // Back to the shortest wait after a success.
    FakeSocket.all[2].drop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.all).toHaveLength(4);
  });

  it('retries when the ticket cannot be had (offline)', async () => {
    const { getTicket } = connect();
    getTicket.mockRejectedValueOnce(new Error('offline'));
    await vi.advanceTimersByTimeAsync(0);
    // The first call already happened before the mock; fail the next one.
    FakeSocket.all[0].drop();
    await vi.advanceTimersByTimeAsync(1000);
    expect(FakeSocket.all).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(FakeSocket.all).toHaveLength(2);
  });

  it('stops for good', async () => {
    const { conn, statuses } = connect();
    await vi.advanceTimersByTimeAsync(0);
    FakeSocket.all[0].open();
    conn.stop();
    expect(FakeSocket.all[0].closed).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(FakeSocket.all).toHaveLength(1);
    expect(statuses.at(-1)).toBe('stopped');
  });
});
