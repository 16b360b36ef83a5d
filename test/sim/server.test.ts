import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { startSimServer, type SimServer } from '../../src/sim/server.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { CMD, CtapHost, RawHost } from './harness.js';
import { CTAP, PERM, Platform, ST } from './platform.js';

const servers: SimServer[] = [];
const hosts: RawHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) h.close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(key = new VirtualKey()): Promise<SimServer> {
  const s = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  servers.push(s);
  return s;
}

async function tcpHost(port: number): Promise<CtapHost> {
  const raw = await RawHost.tcp(port);
  hosts.push(raw);
  return new CtapHost(raw, await raw.init());
}

describe('TCP server', () => {
  it('listens on an ephemeral port and speaks CTAPHID in 2-byte-length frames', async () => {
    const s = await serve();
    expect(s.port).toBeGreaterThan(0);
    const host = await tcpHost(s.port);
    const data = new Uint8Array(randomBytes(7609));
    const m = await host.raw.call(host.cid, CMD.PING, data);
    expect(Buffer.compare(m.payload, data)).toBe(0);
    expect((await host.ok(CTAP.getInfo)).get(1)).toContain('FIDO_2_1');
  });

  it('serves several connections at once, sharing the key state', async () => {
    const s = await serve();
    const a = await tcpHost(s.port);
    const b = await tcpHost(s.port);
    expect(a.cid).not.toBe(b.cid);
    expect(await new Platform(a).setPin('1234')).toBe(ST.OK);
    const info = await b.ok(CTAP.getInfo);
    expect((info.get(4) as Map<string, boolean>).get('clientPin')).toBe(true);
    expect((await new Platform(b).token('1234', PERM.mc)).status).toBe(ST.OK);
  });

  it('keeps the key state after a connection closes', async () => {
    const s = await serve();
    const a = await tcpHost(s.port);
    await new Platform(a).setPin('1234');
    a.close();
    const b = await tcpHost(s.port);
    expect(((await b.ok(CTAP.getInfo)).get(4) as Map<string, boolean>).get('clientPin')).toBe(true);
  });

  it('drops a connection that breaks the framing and keeps serving others', async () => {
    const s = await serve();
    const closed = await new Promise<boolean>((resolve) => {
      const sock = connect(s.port, '127.0.0.1', () => sock.write(Buffer.from([0x10, 0x00, 1, 2, 3])));
      sock.on('close', () => resolve(true));
      sock.on('error', () => undefined);
    });
    expect(closed).toBe(true);
    const host = await tcpHost(s.port);
    expect((await host.request(CTAP.getInfo)).status).toBe(0);
  });

  it('close() stops listening', async () => {
    const s = await startSimServer(new VirtualKey(), { host: '127.0.0.1', port: 0 });
    await s.close();
    await expect(RawHost.tcp(s.port)).rejects.toThrow();
  });
});
