/**
 * Property tests: whatever a host sends, the key answers (or, for packets
 * CTAPHID says to ignore, stays silent), never throws, never hangs, and
 * still answers getInfo afterwards.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeRequest } from '../../src/sim/cbor.js';
import { Status } from '../../src/sim/status.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { BROADCAST, CMD, CtapHost, RawHost } from './harness.js';
import { CTAP } from './platform.js';

const KNOWN_STATUS = new Set<number>(Object.values(Status));

function wellFormedMap(body: Uint8Array): boolean {
  try {
    decodeRequest(body);
    return body.length > 0;
  } catch {
    return false;
  }
}

async function getInfoWorks(host: CtapHost): Promise<void> {
  const r = await host.request(CTAP.getInfo);
  expect(r.status).toBe(0);
  expect((r.body as Map<number, unknown>).get(1)).toContain('FIDO_2_1');
}

describe('robustness', () => {
  it('arbitrary CTAPHID reports never crash or wedge the key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            onChannel: fc.boolean(),
            bytes: fc.uint8Array({ minLength: 64, maxLength: 64 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (reports) => {
          const key = new VirtualKey({ timings: { messageTimeoutMs: 20 } });
          const raw = RawHost.attach(key);
          try {
            const cid = await raw.init();
            for (const { onChannel, bytes } of reports) {
              const r = Uint8Array.from(bytes);
              if (onChannel) new DataView(r.buffer).setUint32(0, cid);
              expect(() => raw.write(r)).not.toThrow();
            }
            // Drain whatever came back: every reply must be a well-formed initialization packet.
            for (let m = await raw.read(30); m; m = await raw.read(30)) {
              expect(m.length).toBe(64);
              expect(m[4]! & 0x80).toBe(0x80);
            }
            // Resynchronising the channel ends anything the noise left half done.
            expect(await raw.init(cid)).toBe(cid);
            await getInfoWorks(new CtapHost(raw, cid));
            expect(await raw.init(BROADCAST)).not.toBe(cid);
          } finally {
            raw.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary CBOR request bodies always get a CTAP status, an error unless they are a well-formed map', async () => {
    const key = new VirtualKey();
    const host = await CtapHost.open(key);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(0x01, 0x02, 0x06, 0x08, 0x0c, 0x0d, 0x2a),
          fc.oneof(
            fc.uint8Array({ maxLength: 200 }),
            // Map heads with arbitrary contents reach deeper into the parsers.
            fc.tuple(fc.integer({ min: 0xa0, max: 0xbb }), fc.uint8Array({ maxLength: 120 })).map(([head, rest]) => Uint8Array.from([head, ...rest])),
          ),
          async (command, body) => {
            const reply = await host.raw.call(host.cid, CMD.CBOR, Uint8Array.from([command, ...body]));
            expect(reply.cmd).toBe(CMD.CBOR);
            const status = reply.payload[0]!;
            expect(KNOWN_STATUS.has(status)).toBe(true);
            if (status !== 0) expect(reply.payload.length).toBe(1);
            if (!wellFormedMap(body) && command !== 0x08) expect(status).not.toBe(0);
            if (command === 0x2a) expect(status).toBe(Status.INVALID_COMMAND);
          },
        ),
        { numRuns: 400 },
      );
      await getInfoWorks(host);
    } finally {
      host.close();
    }
  });

  it('well-formed maps with random members never crash the command handlers', async () => {
    const key = new VirtualKey();
    const host = await CtapHost.open(key);
    const value = fc.oneof(
      fc.integer({ min: -300, max: 300 }),
      fc.uint8Array({ maxLength: 80 }),
      fc.string({ maxLength: 10 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('id', 'type', 'alg', 'rk', 'up', 'uv', 'name'), fc.oneof(fc.integer(), fc.string(), fc.uint8Array({ maxLength: 8 }), fc.boolean())),
    );
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(0x01, 0x02, 0x06, 0x0c, 0x0d),
          fc.array(fc.tuple(fc.integer({ min: 1, max: 10 }), value), { maxLength: 8 }),
          async (command, entries) => {
            const params = new Map(entries.map(([k, v]) => [k, v instanceof Object && !(v instanceof Uint8Array) && !Array.isArray(v) ? new Map(Object.entries(v)) : v]));
            const r = await host.request(command, params as never);
            expect(KNOWN_STATUS.has(r.status)).toBe(true);
            expect(r.status).not.toBe(Status.OTHER);
          },
        ),
        { numRuns: 400 },
      );
      await getInfoWorks(host);
    } finally {
      host.close();
    }
  });
});
