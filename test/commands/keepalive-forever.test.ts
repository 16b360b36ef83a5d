import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameDecoder, encodeFrame } from '../../src/transports/tcp/tcp-transport.js';
import { MiniKey } from '../transports/ctaphid/mini-key.js';
import { runCli } from './harness.js';

/** A served key that answers every CBOR request with KEEPALIVE UPNEEDED until cancelled (never, here). */
async function keepaliveForeverKey(): Promise<{ device: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder('test');
    const key = new MiniKey((r) => socket.writable && socket.write(encodeFrame(r)), { waitForTouch: true, keepaliveEveryMs: 50 });
    socket.on('data', (chunk: Buffer) => {
      for (const report of decoder.push(chunk)) key.receive(report);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    device: `tcp:127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('a key that sends keepalives forever', () => {
  // Bounded by the test timeout: without a per-request bound each keepalive restarts the wait.
  it('info --timeout 1 ends with exit 4 and never asks for a touch', async () => {
    const k = await keepaliveForeverKey();
    closers.push(k.close);
    const r = await runCli(['info', '--device', k.device, '--timeout', '1', '--json']);
    expect(r.code, r.stderr).toBe(4);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'transport' } });
    expect(r.stderr).not.toMatch(/Touch your security key/);
  }, 15_000);
});
