import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../../src/errors.js';
import { CtapHidDevice, CtapHidError } from '../../../src/transports/ctaphid/ctaphid.js';
import {
  BROADCAST,
  CID,
  NONCE,
  ScriptedTransport,
  type Step,
  contPacket,
  fixedRandom,
  initPacket,
  initResponse,
  initSteps,
  message,
} from './scripted-transport.js';

const open = (t: ScriptedTransport, timeoutMs = 300, log?: (l: string) => void): Promise<CtapHidDevice> =>
  CtapHidDevice.open(t, { random: fixedRandom, timeoutMs, ...(log ? { log } : {}) });

async function rejection(p: Promise<unknown>): Promise<Fido2Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(Fido2Error);
    expect((e as Error).message).not.toContain('\n');
    return e as Fido2Error;
  }
  throw new Error('expected a rejection');
}

const CBOR_REQ = Uint8Array.of(0x04); // authenticatorGetInfo
const OK = Uint8Array.of(0x00, 0xa0);

function cborExchange(request: Uint8Array, reply: Uint8Array[]): Step[] {
  return [...message(CID, 0x90, request).map((r): Step => ({ expect: r })), { reply }];
}

describe('CtapHidDevice.open (CTAPHID_INIT)', () => {
  it('allocates a channel and decodes version and capabilities', async () => {
    const t = new ScriptedTransport(initSteps(0x0d));
    const dev = await open(t);
    expect(dev.channelId).toBe(CID);
    expect(dev.version).toEqual({ protocol: 2, major: 5, minor: 4, build: 3 });
    expect(dev.capabilities).toEqual({ wink: true, cbor: true, nmsg: true });
    expect(dev.stats).toEqual({ reportsWritten: 1, reportsRead: 1, transactions: 1 });
    expect(t.done).toBe(true);
  });

  it('sends exactly ffffffff 86 0008 <nonce> padded to 64 bytes', async () => {
    const t = new ScriptedTransport(initSteps());
    await open(t);
    expect(Buffer.from(t.written[0]!).toString('hex')).toBe('ffffffff860008' + '0102030405060708' + '00'.repeat(49));
  });

  it('discards a reply with another nonce, then accepts the right one', async () => {
    const other = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9);
    const t = new ScriptedTransport([
      initSteps()[0]!,
      { reply: initPacket(BROADCAST, 0x86, 17, initResponse(other, 0x55555555)) },
      { reply: initPacket(BROADCAST, 0x86, 17, initResponse(NONCE, CID)), delayMs: 20 },
    ]);
    expect((await open(t)).channelId).toBe(CID);
  });

  it('times out with a clear error when only wrong nonces arrive', async () => {
    const other = Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9);
    const t = new ScriptedTransport([initSteps()[0]!, { reply: initPacket(BROADCAST, 0x86, 17, initResponse(other, 0x55555555)) }]);
    const started = Date.now();
    const e = await rejection(open(t, 200));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/^No reply from the security key within 200 ms to INIT/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('ignores INIT replies on other channels', async () => {
    const t = new ScriptedTransport([
      initSteps()[0]!,
      { reply: initPacket(0x12345678, 0x86, 17, initResponse(NONCE, 0x99999999)) },
      initSteps()[1]!,
    ]);
    expect((await open(t)).channelId).toBe(CID);
  });

  it('rejects a short INIT response and a reserved channel id', async () => {
    const short = new ScriptedTransport([initSteps()[0]!, { reply: initPacket(BROADCAST, 0x86, 12, initResponse(NONCE, CID)) }]);
    expect((await rejection(open(short))).message).toMatch(/INIT response of 12 bytes/);
    const reserved = new ScriptedTransport([initSteps()[0]!, { reply: initPacket(BROADCAST, 0x86, 17, initResponse(NONCE, BROADCAST)) }]);
    expect((await rejection(open(reserved))).message).toMatch(/reserved channel/);
  });

  it('discards stale reports queued before the request', async () => {
    const t = new ScriptedTransport([{ reply: initPacket(BROADCAST, 0x86, 17, initResponse(NONCE, 0x77777777)) }, ...initSteps()]);
    expect((await open(t)).channelId).toBe(CID);
  });
});

describe('transactions', () => {
  it('sends and receives multi-packet messages (PING 300 bytes)', async () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const t = new ScriptedTransport([
      ...initSteps(),
      ...message(CID, 0x81, data).map((r): Step => ({ expect: r })),
      { reply: message(CID, 0x81, data) },
    ]);
    const dev = await open(t);
    expect(await dev.ping(data)).toEqual(data);
    expect(dev.stats).toEqual({ reportsWritten: 1 + 6, reportsRead: 1 + 6, transactions: 2 });
    expect(t.done).toBe(true);
  });

  it('carries exactly 7609 bytes each way', async () => {
    const data = Uint8Array.from({ length: 7609 }, (_, i) => (i * 13) & 0xff);
    const t = new ScriptedTransport([
      ...initSteps(),
      ...message(CID, 0x81, data).map((r): Step => ({ expect: r })),
      { reply: message(CID, 0x81, data) },
    ]);
    const dev = await open(t);
    expect(await dev.ping(data)).toEqual(data);
    expect(t.written).toHaveLength(1 + 129);
  });

  it('rejects a 7610-byte request before sending anything', async () => {
    const t = new ScriptedTransport(initSteps());
    const dev = await open(t);
    const e = await rejection(dev.cbor(new Uint8Array(7610)));
    expect(e.message).toMatch(/7610 bytes is over the CTAPHID limit of 7609/);
    expect(t.written).toHaveLength(1);
    expect(dev.stats.transactions).toBe(1);
  });

  it('surfaces interleaved PROCESSING and UPNEEDED keepalives, each restarting the idle timeout', async () => {
    const ka = (s: number): Step => ({ reply: initPacket(CID, 0xbb, 1, [s]), delayMs: 60 });
    const t = new ScriptedTransport([
      ...initSteps(),
      { expect: initPacket(CID, 0x90, 1, CBOR_REQ) },
      ka(1),
      ka(1),
      ka(2),
      ka(2),
      ka(2),
      { reply: initPacket(CID, 0x90, 2, OK), delayMs: 60 },
    ]);
    const dev = await open(t);
    const seen: string[] = [];
    // 6 × 60 ms = 360 ms in total, well over the 100 ms idle timeout.
    const reply = await dev.cbor(CBOR_REQ, { timeoutMs: 100, onKeepalive: (s) => seen.push(s) });
    expect(reply).toEqual(OK);
    expect(seen).toEqual(['processing', 'processing', 'upneeded', 'upneeded', 'upneeded']);
  });

  it('ignores replies and keepalives on other channels', async () => {
    const t = new ScriptedTransport([
      ...initSteps(),
      { expect: initPacket(CID, 0x90, 1, CBOR_REQ) },
      { reply: [initPacket(0x01010101, 0x90, 2, [0x31, 0]), initPacket(0x01010101, 0xbb, 1, [2]), initPacket(CID, 0x90, 2, OK)] },
    ]);
    const dev = await open(t);
    const seen: string[] = [];
    expect(await dev.cbor(CBOR_REQ, { onKeepalive: (s) => seen.push(s) })).toEqual(OK);
    expect(seen).toEqual([]);
  });

  it('ignores foreign-channel packets interleaved inside a multi-packet reply', async () => {
    const big = Uint8Array.from({ length: 150 }, (_, i) => i);
    const parts = message(CID, 0x90, big);
    const t = new ScriptedTransport([
      ...initSteps(),
      { expect: initPacket(CID, 0x90, 1, CBOR_REQ) },
      { reply: [parts[0]!, contPacket(0x02020202, 5), parts[1]!, initPacket(0x02020202, 0x90, 300), parts[2]!] },
    ]);
    expect(await (await open(t)).cbor(CBOR_REQ)).toEqual(big);
  });

  it('retries after CHANNEL_BUSY and then succeeds', async () => {
    const busy = initPacket(CID, 0xbf, 1, [0x06]);
    const t = new ScriptedTransport([
      ...initSteps(),
      ...cborExchange(CBOR_REQ, [busy]),
      ...cborExchange(CBOR_REQ, [busy]),
      ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 2, OK)]),
    ]);
    const dev = await open(t);
    expect(await dev.cbor(CBOR_REQ)).toEqual(OK);
    expect(t.done).toBe(true);
    expect(dev.stats.transactions).toBe(2);
  });

  it('gives up after a bounded CHANNEL_BUSY storm with a clear error', async () => {
    const busy = initPacket(CID, 0xbf, 1, [0x06]);
    const steps: Step[] = [...initSteps()];
    for (let i = 0; i < 6; i++) steps.push(...cborExchange(CBOR_REQ, [busy]));
    const t = new ScriptedTransport(steps);
    const dev = await open(t);
    const started = Date.now();
    const e = await rejection(dev.cbor(CBOR_REQ));
    expect(e).toBeInstanceOf(CtapHidError);
    expect((e as CtapHidError).codeName).toBe('CHANNEL_BUSY');
    expect(e.message).toMatch(/busy with another application \(CHANNEL_BUSY after 6 tries\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600); // 20+40+80+160+320
    expect(t.done).toBe(true);
  });

  it.each([
    [0x01, 'INVALID_CMD'],
    [0x02, 'INVALID_PAR'],
    [0x03, 'INVALID_LEN'],
    [0x04, 'INVALID_SEQ'],
    [0x05, 'MSG_TIMEOUT'],
    [0x0a, 'LOCK_REQUIRED'],
    [0x0b, 'INVALID_CHANNEL'],
    [0x7f, 'OTHER'],
    [0x42, 'UNKNOWN'],
  ])('maps CTAPHID_ERROR code %i to %s', async (code, name) => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [initPacket(CID, 0xbf, 1, [code])])]);
    const e = await rejection((await open(t)).cbor(CBOR_REQ));
    expect(e).toBeInstanceOf(CtapHidError);
    expect(e.kind).toBe('transport');
    expect((e as CtapHidError).code).toBe(code);
    expect((e as CtapHidError).codeName).toBe(name);
    expect(e.message).toContain(name);
  });

  it('fails clearly on a wrong SEQ', async () => {
    const t = new ScriptedTransport([
      ...initSteps(),
      ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 100, [0]), contPacket(CID, 1)]),
    ]);
    expect((await rejection((await open(t)).cbor(CBOR_REQ))).message).toMatch(/Malformed reply .*SEQ 1 where SEQ 0 was expected/);
  });

  it('fails clearly on BCNT over 7609', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 0xffff, [0])])]);
    expect((await rejection((await open(t)).cbor(CBOR_REQ))).message).toMatch(/65535 bytes, over the 7609-byte limit/);
  });

  it('fails clearly on a continuation before the init packet', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [contPacket(CID, 0)])]);
    expect((await rejection((await open(t)).cbor(CBOR_REQ))).message).toMatch(/without an initialization packet/);
  });

  it('fails clearly when the reply command does not match', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [initPacket(CID, 0x83, 2, [0x90, 0])])]);
    expect((await rejection((await open(t)).cbor(CBOR_REQ))).message).toMatch(/answered MSG to a CBOR request/);
  });

  it('times out when the key says nothing', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [])]);
    const dev = await open(t);
    const started = Date.now();
    const e = await rejection(dev.cbor(CBOR_REQ, { timeoutMs: 150 }));
    expect(e.message).toMatch(/^No reply from the security key within 150 ms to CBOR; /);
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('reports a reply truncated mid-message', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 200, [0])])]);
    const e = await rejection((await open(t)).cbor(CBOR_REQ, { timeoutMs: 100 }));
    expect(e.message).toMatch(/^Truncated reply from the security key: the CBOR reply stopped after 57 of 200 bytes/);
  });

  it('reports the transport closing mid-message', async () => {
    const t = new ScriptedTransport([
      ...initSteps(),
      ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 200, [0])]),
      { fail: 'The security key was disconnected (read failed); plug it in again and retry', delayMs: 20 },
    ]);
    const e = await rejection((await open(t)).cbor(CBOR_REQ));
    expect(e.kind).toBe('transport');
    expect(e.message).toMatch(/disconnected/);
  });

  it('wraps a non-Fido2Error from a broken transport', async () => {
    const t = new ScriptedTransport(initSteps());
    const dev = await open(t);
    t.read = async () => {
      throw new TypeError('boom');
    };
    const write = t.write.bind(t);
    t.write = async (r) => {
      if (r[4] !== 0x90) await write(r);
    };
    const e = await rejection(dev.cbor(CBOR_REQ));
    expect(e.message).toBe('Security key I/O failed (boom); re-plug it and retry');
  });
});

describe('cancel', () => {
  it('sends CANCEL when the signal aborts and rejects with cancelled on KEEPALIVE_CANCEL', async () => {
    const t = new ScriptedTransport([
      ...initSteps(),
      { expect: initPacket(CID, 0x90, 1, CBOR_REQ) },
      { reply: initPacket(CID, 0xbb, 1, [2]) },
      { expect: initPacket(CID, 0x91, 0), label: 'CANCEL' },
      { reply: initPacket(CID, 0x90, 1, [0x2d]) },
    ]);
    const dev = await open(t);
    const abort = new AbortController();
    const e = await rejection(dev.cbor(CBOR_REQ, { signal: abort.signal, onKeepalive: () => abort.abort() }));
    expect(e.kind).toBe('cancelled');
    expect(t.done).toBe(true);
  });

  it('does not send anything when the signal is already aborted', async () => {
    const t = new ScriptedTransport(initSteps());
    const dev = await open(t);
    const e = await rejection(dev.cbor(CBOR_REQ, { signal: AbortSignal.abort() }));
    expect(e.kind).toBe('cancelled');
    expect(t.written).toHaveLength(1);
  });

  it('gives up as cancelled when the key never confirms the cancel', async () => {
    const t = new ScriptedTransport([...initSteps(), { expect: initPacket(CID, 0x90, 1, CBOR_REQ) }, { acceptRest: true }]);
    const dev = await open(t);
    const e = await rejection(dev.cbor(CBOR_REQ, { signal: AbortSignal.timeout(30), timeoutMs: 60_000 }));
    expect(e.kind).toBe('cancelled');
    expect(e.message).toMatch(/did not confirm the cancel/);
    expect(t.written[2]![4]).toBe(0x91);
  }, 10_000);

  it('cancel() writes a CANCEL packet on the channel', async () => {
    const t = new ScriptedTransport([...initSteps(), { expect: initPacket(CID, 0x91, 0) }]);
    await (await open(t)).cancel();
    expect(t.done).toBe(true);
  });

  it('any KEEPALIVE_CANCEL status rejects as cancelled', async () => {
    const t = new ScriptedTransport([...initSteps(), ...cborExchange(CBOR_REQ, [initPacket(CID, 0x90, 1, [0x2d])])]);
    expect((await rejection((await open(t)).cbor(CBOR_REQ))).kind).toBe('cancelled');
  });
});

describe('capabilities, serialisation, logging, close', () => {
  it('refuses CBOR on a U2F-only key and WINK without the capability', async () => {
    const dev = await open(new ScriptedTransport(initSteps(0x08)));
    expect((await rejection(dev.cbor(CBOR_REQ))).kind).toBe('unsupported');
    expect((await rejection(dev.wink())).kind).toBe('unsupported');
  });

  it('winks when the key can', async () => {
    const t = new ScriptedTransport([...initSteps(0x05), { expect: initPacket(CID, 0x88, 0) }, { reply: initPacket(CID, 0x88, 0) }]);
    await (await open(t)).wink();
    expect(t.done).toBe(true);
  });

  it('detects a PING echo that differs', async () => {
    const t = new ScriptedTransport([...initSteps(), { expect: initPacket(CID, 0x81, 2, [1, 2]) }, { reply: initPacket(CID, 0x81, 2, [1, 3]) }]);
    expect((await rejection((await open(t)).ping(Uint8Array.of(1, 2)))).message).toMatch(/PING echo differs/);
  });

  it('runs concurrent requests one after the other', async () => {
    const t = new ScriptedTransport([
      ...initSteps(),
      ...cborExchange(Uint8Array.of(1), [initPacket(CID, 0x90, 2, [0, 1])]),
      ...cborExchange(Uint8Array.of(2), [initPacket(CID, 0x90, 2, [0, 2])]),
    ]);
    const dev = await open(t);
    const [a, b] = await Promise.all([dev.cbor(Uint8Array.of(1)), dev.cbor(Uint8Array.of(2))]);
    expect([a, b]).toEqual([Uint8Array.of(0, 1), Uint8Array.of(0, 2)]);
  });

  it('logs header fields, payload hex for INIT/PING/KEEPALIVE/ERROR, and never CBOR payload bytes', async () => {
    const secret = Uint8Array.from({ length: 100 }, () => 0xee);
    const lines: string[] = [];
    const t = new ScriptedTransport([
      ...initSteps(),
      ...message(CID, 0x90, secret).map((r): Step => ({ expect: r })),
      { reply: [initPacket(CID, 0xbb, 1, [1]), ...message(CID, 0x90, Uint8Array.from([0, ...secret]))] },
      { expect: initPacket(CID, 0x81, 2, [0xab, 0xcd]) },
      { reply: initPacket(CID, 0x81, 2, [0xab, 0xcd]) },
    ]);
    const dev = await open(t, 300, (l) => lines.push(l));
    await dev.cbor(secret);
    await dev.ping(Uint8Array.of(0xab, 0xcd));
    expect(lines).toContain('> cid=ffffffff cmd=INIT len=8 0102030405060708');
    expect(lines).toContain('> cid=0a0b0c0d cmd=CBOR len=100');
    expect(lines).toContain('> cid=0a0b0c0d seq=0');
    expect(lines).toContain('< cid=0a0b0c0d cmd=KEEPALIVE len=1 01');
    expect(lines).toContain('< cid=0a0b0c0d cmd=CBOR len=101');
    expect(lines).toContain('< cid=0a0b0c0d seq=0');
    expect(lines).toContain('> cid=0a0b0c0d cmd=PING len=2 abcd');
    expect(lines.join('\n')).not.toMatch(/eeee/);
  });

  it('close() closes the transport once and later calls fail clearly', async () => {
    const t = new ScriptedTransport(initSteps());
    const dev = await open(t);
    await dev.close();
    await dev.close();
    expect(t.closed).toBe(true);
    expect((await rejection(dev.cbor(CBOR_REQ))).message).toMatch(/closed; open the device again/);
  });
});
