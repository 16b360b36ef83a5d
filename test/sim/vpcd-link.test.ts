import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { VpcdFramer, classifyVpcdMessage, insertCard, vpcdFrame, type CardEvent } from '../../src/sim/vpcd-link.js';
import { virtualCard } from '../../src/sim/card.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/ /g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('vpcd framing', () => {
  it('classifies 1-byte payloads as control codes and longer ones as APDUs', () => {
    const table: [string, string][] = [
      ['00', 'power-off'],
      ['01', 'power-on'],
      ['02', 'reset'],
      ['04', 'get-atr'],
      ['03', 'control'],
      ['00a4040000', 'apdu'],
    ];
    for (const [payload, kind] of table) expect(classifyVpcdMessage(hex(payload)).kind, payload).toBe(kind);
  });

  it('frames with a 2-byte big-endian length and splits a stream however it is chunked', () => {
    expect(toHex(vpcdFrame(hex('3b80800101')))).toBe('00053b80800101');
    const stream = hex('0001040004' + '00a40400' + '0001' + '01');
    for (let cut = 0; cut <= stream.length; cut++) {
      const f = new VpcdFramer();
      const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))].map(toHex);
      expect(got, `cut at ${cut}`).toEqual(['04', '00a40400', '01']);
    }
  });
});

/** A stand-in for vpcd: accepts one card at a time and lets the test talk to it. */
async function fakeVpcd(): Promise<{ port: number; next(): Promise<Socket>; send(s: Socket, payload: string): Promise<string> }> {
  const waiting: ((s: Socket) => void)[] = [];
  const arrived: Socket[] = [];
  const server: Server = createServer((s) => {
    const w = waiting.shift();
    if (w) w(s);
    else arrived.push(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    next: () => new Promise<Socket>((resolve) => (arrived.length ? resolve(arrived.shift()!) : waiting.push(resolve))),
    send: (s, payload) =>
      new Promise<string>((resolve) => {
        const f = new VpcdFramer();
        const onData = (chunk: Buffer): void => {
          const [m] = f.push(chunk);
          if (!m) return;
          s.off('data', onData);
          resolve(toHex(m));
        };
        s.on('data', onData);
        s.write(vpcdFrame(hex(payload)));
      }),
  };
}

describe('the card in a vpcd reader', () => {
  it('answers GET ATR and APDUs, powers up on ON, and leaves and comes back on remove/insert', async () => {
    const vpcd = await fakeVpcd();
    const key = new VirtualKey();
    const events: CardEvent[] = [];
    const link = insertCard(virtualCard(key, 1), { host: '127.0.0.1', port: vpcd.port }, (e) => events.push(e));
    cleanups.push(() => link.close());
    const s = await vpcd.next();
    expect(await vpcd.send(s, '04')).toBe('3b85800180738001c0b6'); // announces chaining + extended APDUs (ISO/IEC 7816-4 card capabilities)
    s.write(vpcdFrame(hex('01'))); // power on: no reply
    expect(await vpcd.send(s, '00a4040008a0000006472f0001')).toBe(Buffer.from('FIDO_2_0').toString('hex') + '9000');
    expect(await vpcd.send(s, '80108000010800')).toBe('309000'); // getNextAssertion: NOT_ALLOWED (0x30)
    const gone = new Promise<void>((r) => s.on('close', () => r()));
    link.remove();
    await gone;
    link.insert();
    const again = await vpcd.next();
    // Back in the field: the applet must be selected again.
    again.write(vpcdFrame(hex('01')));
    expect(await vpcd.send(again, '80108000010800')).toBe('6985');
    expect(events).toEqual(['inserted', 'removed', 'inserted']);
  });

  it('a power-up forgets volatile state like a power cycle (the PIN token and key agreement go)', async () => {
    const vpcd = await fakeVpcd();
    const key = new VirtualKey();
    const link = insertCard(virtualCard(key, 1), { host: '127.0.0.1', port: vpcd.port });
    cleanups.push(() => link.close());
    const s = await vpcd.next();
    let powerCycles = 0;
    const original = key.powerCycle.bind(key);
    key.powerCycle = () => {
      powerCycles++;
      original();
    };
    s.write(vpcdFrame(hex('01')));
    s.write(vpcdFrame(hex('02')));
    expect(await vpcd.send(s, '04')).toBe('3b85800180738001c0b6'); // replies come in order, after both controls
    expect(powerCycles).toBe(2);
  });
});
