import { existsSync } from 'node:fs';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CtapHidDevice } from '../../../src/transports/ctaphid/ctaphid.js';
import { FrameDecoder, encodeFrame, openTcpTransport, tcpLabel } from '../../../src/transports/tcp/tcp-transport.js';
import type { Transport } from '../../../src/transports/ctaphid/transport.js';
import { MiniKey } from '../ctaphid/mini-key.js';
import { rejection } from '../../helpers/rejection.js';

const servers: Server[] = [];
const transports: Transport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((t) => t.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A TCP server on 127.0.0.1:0; `onSocket` decides what the fake key does. */
async function serve(onSocket: (s: Socket) => void): Promise<number> {
  const server = createServer((s) => {
    s.on('error', () => undefined);
    onSocket(s);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Hand-written framing of the fake server: 2-byte BE length + report. */
function frame(report: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([report.length >> 8, report.length & 0xff]), report]);
}

/** A MiniKey behind the TCP framing; `chunking` shapes how replies hit the wire. */
function miniKeyServer(chunking: 'whole' | 'bytewise' | 'coalesced' = 'whole') {
  return (s: Socket) => {
    let buf = Buffer.alloc(0);
    let pending: Buffer[] = [];
    const key = new MiniKey((report) => {
      const f = frame(report);
      if (chunking === 'whole') s.write(f);
      else if (chunking === 'bytewise') for (const b of f) s.write(Buffer.of(b));
      else {
        pending.push(f);
        setImmediate(() => {
          if (pending.length) s.write(Buffer.concat(pending));
          pending = [];
        });
      }
    });
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        key.receive(new Uint8Array(buf.subarray(2, 2 + len)));
        buf = buf.subarray(2 + len);
      }
    });
  };
}

async function connect(port: number): Promise<Transport> {
  const t = await openTcpTransport('127.0.0.1', port);
  transports.push(t);
  return t;
}


describe('FrameDecoder', () => {
  it('handles partial chunks and several frames per chunk', () => {
    const d = new FrameDecoder('tcp:x:1');
    const a = new Uint8Array(64).fill(1);
    const b = new Uint8Array(64).fill(2);
    const wire = Buffer.concat([encodeFrame(a), encodeFrame(b), encodeFrame(a)]);
    expect(d.push(wire.subarray(0, 1))).toEqual([]);
    expect(d.push(wire.subarray(1, 100))).toEqual([a]);
    expect(d.buffered).toBeGreaterThan(0);
    expect(d.push(wire.subarray(100))).toEqual([b, a]);
    expect(d.buffered).toBe(0);
  });

  it('rejects a frame length other than 64', () => {
    expect(() => new FrameDecoder('tcp:x:1').push(Buffer.from([0, 65]))).toThrow(/a frame of 65 bytes where 64-byte reports were expected/);
  });

  it('labels IPv6 hosts with brackets', () => {
    expect(tcpLabel('::1', 5)).toBe('tcp:[::1]:5');
  });
});

describe('openTcpTransport', () => {
  it.each(['whole', 'bytewise', 'coalesced'] as const)('runs INIT + multi-packet PING with %s chunks', async (chunking) => {
    const port = await serve(miniKeyServer(chunking));
    const dev = await CtapHidDevice.open(await connect(port), { timeoutMs: 2000 });
    const data = Uint8Array.from({ length: 500 }, (_, i) => i & 0xff);
    expect(await dev.ping(data)).toEqual(data);
    expect(dev.label).toBe(`tcp:127.0.0.1:${port}`);
  });

  it('writes each report as 2-byte length + 64 bytes', async () => {
    const got: Buffer[] = [];
    const port = await serve((s) => s.on('data', (c: Buffer) => got.push(c)));
    const t = await connect(port);
    await t.write(new Uint8Array(64).fill(7));
    await new Promise((r) => setTimeout(r, 50));
    expect(Buffer.concat(got).toString('hex')).toBe('0040' + '07'.repeat(64));
  });

  it('reports connection refused as no-device with the fix', async () => {
    const port = await serve(() => undefined);
    await new Promise((r) => servers.pop()!.close(r));
    const e = await rejection(openTcpTransport('127.0.0.1', port));
    expect(e.kind).toBe('no-device');
    expect(e.message).toBe(`Nothing listens at tcp:127.0.0.1:${port}; start the software key first`);
  });

  it('turns a bad frame length into a protocol error on read', async () => {
    const port = await serve((s) => s.write(Buffer.from([0, 10, 1, 2, 3])));
    const t = await connect(port);
    const e = await rejection(t.read(1000));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/Protocol error from tcp:127.0.0.1:\d+: a frame of 10 bytes/);
  });

  it('reports a connection closed mid-report', async () => {
    const port = await serve((s) => s.end(Buffer.from([0, 64, 1, 2, 3])));
    const t = await connect(port);
    const e = await rejection(t.read(1000));
    expect(e.message).toMatch(/closed the connection in the middle of a report/);
  });

  it('delivers reports received before the peer closed, then fails', async () => {
    const report = new Uint8Array(64).fill(3);
    const port = await serve((s) => s.end(frame(report)));
    const t = await connect(port);
    expect(await t.read(1000)).toEqual(report);
    const e = await rejection(t.read(1000));
    expect(e.message).toMatch(/closed the connection; restart it and retry/);
  });

  it('a client transaction fails clearly when the key closes mid-message', async () => {
    const port = await serve((s) => {
      const key = new MiniKey((r) => s.write(frame(r)));
      let buf = Buffer.alloc(0);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        while (buf.length >= 66) {
          const report = new Uint8Array(buf.subarray(2, 66));
          buf = buf.subarray(66);
          if (report[4] === 0x81) {
            // Answer a PING with the init packet of a 200-byte reply, then hang up.
            const head = new Uint8Array(64);
            head.set(report.subarray(0, 4));
            head.set([0x81, 0, 200], 4);
            s.end(frame(head));
            return;
          }
          key.receive(report);
        }
      });
    });
    const dev = await CtapHidDevice.open(await connect(port), { timeoutMs: 2000 });
    const e = await rejection(dev.ping(new Uint8Array(200)));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/closed the connection/);
  });

  it('read times out with undefined and close is idempotent', async () => {
    const port = await serve(() => undefined);
    const t = await connect(port);
    expect(await t.read(20)).toBeUndefined();
    await t.close();
    await t.close();
    expect((await rejection(t.write(new Uint8Array(64)))).message).toMatch(/closed/);
  });

  it('close does not wait for a peer that never closes its side', { timeout: 5000 }, async () => {
    // The peer keeps its half open for ever; only our FIN reaches it.
    const peers: Socket[] = [];
    let sawEnd!: () => void;
    const ended = new Promise<void>((r) => (sawEnd = r));
    const server = createServer({ allowHalfOpen: true }, (s) => {
      peers.push(s);
      s.on('error', () => undefined);
      s.on('end', () => sawEnd());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const t = await openTcpTransport('127.0.0.1', (server.address() as AddressInfo).port);
      // No timer may fire: a close that waited for the peer (or for a grace timer) never resolves here.
      vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
      try {
        await t.close();
      } finally {
        vi.useRealTimers();
      }
      await ended;
      expect(peers).toHaveLength(1);
      expect(peers[0]!.writableEnded).toBe(false);
    } finally {
      for (const p of peers) p.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it.each([
    ['closes', (s: Socket) => s.end()],
    ['resets', (s: Socket) => s.resetAndDestroy()],
  ])('a key that %s the connection before answering may be busy; no advice to restart it', async (_how, drop) => {
    const port = await serve((s) => s.once('data', () => drop(s)));
    const t = await connect(port);
    await t.write(new Uint8Array(64));
    const e = await rejection(t.read(2000));
    expect(e.kind).toBe('transport');
    expect(e.reason).toBe('key-busy');
    expect(e.message).toMatch(new RegExp(`^The software key at tcp:127\\.0\\.0\\.1:${port} (closed|dropped) the connection.* before answering; it may be busy with another client`));
    expect(e.message).not.toMatch(/restart/);
  });
});

const simServer = new URL('../../src/sim/server.ts', import.meta.url);
const simKey = new URL('../../src/sim/virtual-key.ts', import.meta.url);

describe.runIf(existsSync(simServer) && existsSync(simKey))('end to end against startSimServer', () => {
  it('INIT + PING over TCP', async () => {
    const { VirtualKey } = await import(simKey.href);
    const { startSimServer } = await import(simServer.href);
    const server = await startSimServer(new VirtualKey(), { host: '127.0.0.1', port: 0 });
    try {
      const dev = await CtapHidDevice.open(await connect(server.port), { timeoutMs: 3000 });
      expect(dev.capabilities.cbor).toBe(true);
      const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
      expect(await dev.ping(data)).toEqual(data);
      await dev.close();
    } finally {
      await server.close();
    }
  });
});
