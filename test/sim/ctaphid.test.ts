import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { BROADCAST, CMD, CtapHost, RawHost, contPacket, initPacket } from './harness.js';
import { CTAP, ST, makeCredentialParams } from './platform.js';
import { decodeCbor } from '../../src/sim/cbor.js';

const ERR = { INVALID_CMD: 1, INVALID_PAR: 2, INVALID_LEN: 3, INVALID_SEQ: 4, MSG_TIMEOUT: 5, CHANNEL_BUSY: 6, INVALID_CHANNEL: 0x0b };

const hosts: RawHost[] = [];
function attach(key: VirtualKey): RawHost {
  const h = RawHost.attach(key);
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.close();
});

function newKey(o: VirtualKeyOptions = {}): VirtualKey {
  return new VirtualKey(o);
}

async function expectError(host: RawHost, cid: number, code: number): Promise<void> {
  const m = await host.receive();
  expect(m.cid).toBe(cid);
  expect(m.cmd).toBe(CMD.ERROR);
  expect(m.payload[0]).toBe(code);
}

describe('CTAPHID_INIT', () => {
  it('allocates distinct channels on the broadcast CID and reports version and capabilities', async () => {
    const host = attach(newKey());
    const nonce = new Uint8Array(randomBytes(8));
    const m = await host.call(BROADCAST, CMD.INIT, nonce);
    expect(m.cid).toBe(BROADCAST);
    expect(m.cmd).toBe(CMD.INIT);
    expect(m.payload.length).toBe(17);
    expect([...m.payload.subarray(0, 8)]).toEqual([...nonce]);
    const cid = new DataView(m.payload.buffer).getUint32(8);
    expect(cid).not.toBe(0);
    expect(cid).not.toBe(BROADCAST);
    expect(m.payload[12]).toBe(2); // CTAPHID protocol version
    expect(m.payload[16]).toBe(0x01 | 0x04 | 0x08); // WINK | CBOR | NMSG
    const other = await host.init();
    expect(other).not.toBe(cid);
  });

  it('resynchronises an allocated channel, keeping its CID and abandoning a half-sent message', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    host.write(initPacket(cid, CMD.PING, 200, new Uint8Array(57).fill(1)));
    expect(await host.init(cid)).toBe(cid);
    // The abandoned ping must not answer; a new one works.
    const data = new Uint8Array(randomBytes(100));
    const m = await host.call(cid, CMD.PING, data);
    expect(m.cmd).toBe(CMD.PING);
    expect([...m.payload]).toEqual([...data]);
  });

  it('refuses INIT whose payload is not 8 bytes, and INIT on an unknown channel', async () => {
    const host = attach(newKey());
    host.write(initPacket(BROADCAST, CMD.INIT, 4, new Uint8Array(4)));
    await expectError(host, BROADCAST, ERR.INVALID_LEN);
    host.write(initPacket(0x12345678, CMD.INIT, 8, new Uint8Array(8)));
    await expectError(host, 0x12345678, ERR.INVALID_CHANNEL);
  });
});

describe('channels and errors', () => {
  it('answers PING up to the largest message, 7609 bytes', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    for (const n of [0, 1, 57, 58, 116, 1000, 7609]) {
      const data = new Uint8Array(randomBytes(n));
      const m = await host.call(cid, CMD.PING, data);
      expect(m.cmd).toBe(CMD.PING);
      expect(Buffer.compare(m.payload, data)).toBe(0);
    }
  });

  it('refuses a message longer than 7609 bytes with ERR_INVALID_LEN', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    host.write(initPacket(cid, CMD.PING, 7610));
    await expectError(host, cid, ERR.INVALID_LEN);
  });

  it('answers unknown commands, LOCK and MSG (NMSG) with ERR_INVALID_CMD', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    for (const cmd of [0x30, CMD.LOCK, CMD.MSG, 0x40]) {
      host.send(cid, cmd, new Uint8Array(cmd === CMD.LOCK ? 1 : 0));
      await expectError(host, cid, ERR.INVALID_CMD);
    }
  });

  it('WINK answers empty; empty CBOR is ERR_INVALID_LEN', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    const m = await host.call(cid, CMD.WINK);
    expect(m.cmd).toBe(CMD.WINK);
    expect(m.payload.length).toBe(0);
    host.send(cid, CMD.CBOR);
    await expectError(host, cid, ERR.INVALID_LEN);
  });

  it('refuses CID 0, unallocated CIDs and non-INIT commands on the broadcast CID with ERR_INVALID_CHANNEL', async () => {
    const host = attach(newKey());
    host.send(0, CMD.PING, new Uint8Array(1));
    await expectError(host, 0, ERR.INVALID_CHANNEL);
    host.send(0xcafe0001, CMD.PING, new Uint8Array(1));
    await expectError(host, 0xcafe0001, ERR.INVALID_CHANNEL);
    host.send(BROADCAST, CMD.PING, new Uint8Array(1));
    await expectError(host, BROADCAST, ERR.INVALID_CHANNEL);
  });

  it('answers a wrong sequence number with ERR_INVALID_SEQ and keeps working', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    host.write(initPacket(cid, CMD.PING, 100, new Uint8Array(57)));
    host.write(contPacket(cid, 1, new Uint8Array(59)));
    await expectError(host, cid, ERR.INVALID_SEQ);
    const m = await host.call(cid, CMD.PING, Uint8Array.of(7));
    expect([...m.payload]).toEqual([7]);
  });

  it('answers a new request on a channel still receiving its last one with ERR_INVALID_SEQ', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    host.write(initPacket(cid, CMD.PING, 100, new Uint8Array(57)));
    host.write(initPacket(cid, CMD.PING, 1, Uint8Array.of(1)));
    await expectError(host, cid, ERR.INVALID_SEQ);
  });

  it('ignores stray continuation packets', async () => {
    const host = attach(newKey());
    const cid = await host.init();
    host.write(contPacket(cid, 0, new Uint8Array(59)));
    const m = await host.call(cid, CMD.PING, Uint8Array.of(9));
    expect(m.cmd).toBe(CMD.PING);
    expect(host.queued).toBe(0);
  });

  it('times out a stalled message with ERR_MSG_TIMEOUT and then serves other channels', async () => {
    const key = newKey({ timings: { messageTimeoutMs: 50 } });
    const host = attach(key);
    const cid = await host.init();
    host.write(initPacket(cid, CMD.PING, 100, new Uint8Array(57)));
    await expectError(host, cid, ERR.MSG_TIMEOUT);
    const other = await host.init();
    const m = await host.call(other, CMD.PING, Uint8Array.of(1, 2));
    expect([...m.payload]).toEqual([1, 2]);
  });

  it('keeps several channels with their own state and answers CHANNEL_BUSY while one is mid-transaction', async () => {
    const key = newKey();
    const a = attach(key);
    const b = attach(key);
    const ca = await a.init();
    const cb = await b.init();
    a.write(initPacket(ca, CMD.PING, 100, new Uint8Array(57).fill(0xaa)));
    b.send(cb, CMD.PING, Uint8Array.of(1));
    await expectError(b, cb, ERR.CHANNEL_BUSY);
    a.write(contPacket(ca, 0, new Uint8Array(59).fill(0xaa)));
    const m = await a.receive();
    expect(m.cid).toBe(ca);
    expect(m.payload.length).toBe(100);
    expect(m.payload.every((x) => x === 0xaa)).toBe(true);
    const mb = await b.call(cb, CMD.PING, Uint8Array.of(2));
    expect([...mb.payload]).toEqual([2]);
  });

  it('answers CHANNEL_BUSY to another host while a command waits for presence, and INIT still works', async () => {
    const key = newKey({ presence: { delayMs: 400 } });
    const a = new CtapHost(attach(key), 0);
    const ca = await a.raw.init();
    const b = attach(key);
    const cb = await b.init();
    a.raw.send(ca, CMD.CBOR, Uint8Array.of(CTAP.selection));
    // Wait until the key says it needs the user, so the transaction is surely running.
    const first = await a.raw.read();
    expect(first![4]).toBe(0x80 | CMD.KEEPALIVE);
    expect(first![7]).toBe(2);
    const fresh = await b.init();
    expect(fresh).not.toBe(cb);
    b.send(cb, CMD.PING, Uint8Array.of(1));
    await expectError(b, cb, ERR.CHANNEL_BUSY);
    const done = await a.raw.receive();
    expect(done.cmd).toBe(CMD.CBOR);
    expect(done.payload[0]).toBe(ST.OK);
  });
});

describe('CBOR, keepalive and cancel', () => {
  it('sends UPNEEDED keepalives while waiting for a delayed touch', async () => {
    const key = newKey({ presence: { delayMs: 350 } });
    const host = await CtapHost.open(key);
    hosts.push(host.raw);
    const r = await host.request(CTAP.makeCredential, makeCredentialParams());
    expect(r.status).toBe(ST.OK);
    expect(host.raw.keepalives.length).toBeGreaterThan(0);
    expect(host.raw.keepalives.every((s) => s === 2)).toBe(true);
  });

  it('CANCEL ends a presence wait with CTAP2_ERR_KEEPALIVE_CANCEL, and the key keeps answering', async () => {
    const key = newKey({ presence: { delayMs: 20_000 } });
    const host = await CtapHost.open(key);
    hosts.push(host.raw);
    host.raw.send(host.cid, CMD.CBOR, Uint8Array.of(CTAP.reset));
    const ka = await host.raw.read();
    expect(ka![4]).toBe(0x80 | CMD.KEEPALIVE);
    host.raw.send(host.cid, CMD.CANCEL);
    const m = await host.raw.receive();
    expect(m.cmd).toBe(CMD.CBOR);
    expect([...m.payload]).toEqual([ST.KEEPALIVE_CANCEL]);
    key.setPresence('confirm');
    expect((await host.request(CTAP.getInfo)).status).toBe(0);
  });

  it('CANCEL from another channel does not end the wait; CANCEL is never answered', async () => {
    const key = newKey({ presence: { delayMs: 300 } });
    const host = await CtapHost.open(key);
    hosts.push(host.raw);
    const other = await host.raw.init();
    host.raw.send(host.cid, CMD.CBOR, Uint8Array.of(CTAP.selection));
    await host.raw.read(); // first UPNEEDED keepalive
    host.raw.send(other, CMD.CANCEL);
    const m = await host.raw.receive();
    expect(m.cid).toBe(host.cid);
    expect([...m.payload]).toEqual([ST.OK]);
  });

  it('reports a denied touch as CTAP2_ERR_OPERATION_DENIED', async () => {
    const host = await CtapHost.open(newKey({ presence: 'deny' }));
    hosts.push(host.raw);
    expect(await host.status(CTAP.selection)).toBe(ST.OPERATION_DENIED);
  });

  it('a power cycle abandons a transaction in flight', async () => {
    const key = newKey({ presence: { delayMs: 20_000 } });
    const host = await CtapHost.open(key);
    hosts.push(host.raw);
    host.raw.send(host.cid, CMD.CBOR, Uint8Array.of(CTAP.selection));
    await host.raw.read();
    key.powerCycle();
    key.setPresence('confirm');
    const r = await host.request(CTAP.getInfo);
    expect(r.status).toBe(0);
  });
});

describe('u2f-only profile', () => {
  it('has no CBOR capability: CBOR is ERR_INVALID_CMD, MSG answers U2F_VERSION', async () => {
    const host = attach(newKey({ profile: 'u2f-only' }));
    const nonce = new Uint8Array(8);
    const init = await host.call(BROADCAST, CMD.INIT, nonce);
    expect(init.payload[16]).toBe(0x01);
    const cid = new DataView(init.payload.buffer).getUint32(8);
    host.send(cid, CMD.CBOR, Uint8Array.of(CTAP.getInfo));
    await expectError(host, cid, ERR.INVALID_CMD);
    const v = await host.call(cid, CMD.MSG, Uint8Array.of(0, 3, 0, 0, 0));
    expect(v.cmd).toBe(CMD.MSG);
    expect(Buffer.from(v.payload).toString('latin1')).toBe('U2F_V2\x90\x00');
    const other = await host.call(cid, CMD.MSG, Uint8Array.of(0, 1, 0, 0, 0));
    expect([...other.payload]).toEqual([0x6d, 0x00]);
  });
});

describe('replies', () => {
  it('never arrive synchronously inside write()', () => {
    const key = newKey();
    let got = 0;
    const link = key.connect(() => got++);
    link.write(initPacket(BROADCAST, CMD.INIT, 8, new Uint8Array(8)));
    expect(got).toBe(0);
    link.close();
  });

  it('getInfo answers in canonical CBOR', async () => {
    const host = await CtapHost.open(newKey());
    hosts.push(host.raw);
    const reply = await host.raw.call(host.cid, CMD.CBOR, Uint8Array.of(CTAP.getInfo));
    const body = reply.payload.subarray(1);
    const { encodeCbor } = await import('../../src/sim/cbor.js');
    // Decoding is strict about order and shortest form, so a round trip must be exact.
    expect(Buffer.compare(encodeCbor(decodeCbor(body) as never), body)).toBe(0);
  });
});
