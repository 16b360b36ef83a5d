import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fido2Error } from '../../../src/errors.js';
import { CTAPHID, ERR, MAX_MESSAGE_SIZE, commandName, errorName } from '../../../src/transports/ctaphid/commands.js';
import { MessageAssembler, encodeMessage, packetCount, parsePacket } from '../../../src/transports/ctaphid/packets.js';
import { contPacket, initPacket, message } from './scripted-transport.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function assemble(reports: Uint8Array[]): Uint8Array | undefined {
  const a = new MessageAssembler();
  let out: Uint8Array | undefined;
  for (const r of reports) out = a.push(parsePacket(r))?.payload ?? out;
  return out;
}

describe('constants', () => {
  it('has the 7609-byte limit and names', () => {
    expect(MAX_MESSAGE_SIZE).toBe(7609);
    expect(commandName(CTAPHID.CBOR)).toBe('CBOR');
    expect(commandName(0x42)).toBe('0x42');
    expect(errorName(ERR.CHANNEL_BUSY)).toBe('CHANNEL_BUSY');
    expect(errorName(0x33)).toBe('UNKNOWN');
  });
});

describe('encodeMessage', () => {
  it('lays out an init packet as CID | CMD | BCNT | data | zero padding', () => {
    const [r] = encodeMessage(0x01020304, 0x90, Uint8Array.of(0xaa, 0xbb));
    expect(hex(r!)).toBe('0102030490' + '0002' + 'aabb' + '00'.repeat(55));
  });

  it('sets the TYPE_INIT bit even when given a bare command number', () => {
    expect(encodeMessage(1, 0x10, new Uint8Array(0))[0]![4]).toBe(0x90);
  });

  it('fits 57 bytes in one packet and starts continuations at 58', () => {
    expect(encodeMessage(1, 0x81, new Uint8Array(57))).toHaveLength(1);
    const two = encodeMessage(7, 0x81, Uint8Array.from({ length: 58 }, (_, i) => i));
    expect(two).toHaveLength(2);
    expect(hex(two[1]!)).toBe('00000007' + '00' + '39' + '00'.repeat(58));
  });

  it('matches an independent framing of random payloads', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), fc.integer({ min: 0, max: 0xffffffff }), (payload, cid) => {
        const ours = encodeMessage(cid, 0x90, payload).map(hex);
        expect(ours).toEqual(message(cid, 0x90, payload).map(hex));
      }),
    );
  });

  it('accepts exactly 7609 bytes in 129 packets with SEQ 0..127', () => {
    const reports = encodeMessage(1, 0x81, new Uint8Array(7609).fill(9));
    expect(reports).toHaveLength(129);
    expect(packetCount(7609)).toBe(129);
    expect(reports[128]![4]).toBe(127);
  });

  it('rejects 7610 bytes with a Fido2Error naming the limit', () => {
    expect(() => encodeMessage(1, 0x81, new Uint8Array(7610))).toThrow(/7610 bytes is over the CTAPHID limit of 7609/);
    try {
      encodeMessage(1, 0x81, new Uint8Array(7610));
    } catch (e) {
      expect(e).toBeInstanceOf(Fido2Error);
      expect((e as Fido2Error).kind).toBe('transport');
    }
  });
});

describe('MessageAssembler', () => {
  it('round-trips messages of every size class', () => {
    for (const n of [0, 1, 57, 58, 116, 117, 1000, 7609]) {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
      expect(assemble(encodeMessage(5, 0x90, payload))).toEqual(payload);
    }
  });

  it('rejects a wrong SEQ', () => {
    const a = new MessageAssembler();
    a.push(parsePacket(initPacket(1, 0x90, 200)));
    expect(() => a.push(parsePacket(contPacket(1, 1)))).toThrow(/SEQ 1 where SEQ 0 was expected/);
    expect(a.inProgress).toBe(false);
  });

  it('rejects a continuation before any init packet', () => {
    expect(() => new MessageAssembler().push(parsePacket(contPacket(1, 0)))).toThrow(/without an initialization packet/);
  });

  it('rejects BCNT over 7609', () => {
    expect(() => new MessageAssembler().push(parsePacket(initPacket(1, 0x90, 7610)))).toThrow(/7610 bytes, over the 7609-byte limit/);
  });

  it('rejects a new init packet mid-message', () => {
    const a = new MessageAssembler();
    a.push(parsePacket(initPacket(1, 0x90, 100)));
    expect(() => a.push(parsePacket(initPacket(1, 0x90, 3)))).toThrow(/arrived while the CBOR reply stopped after 57 of 100 bytes/);
  });

  it('rejects a report that is not 64 bytes', () => {
    expect(() => parsePacket(new Uint8Array(63))).toThrow(Fido2Error);
  });

  it('fed arbitrary reports, throws nothing but Fido2Error and always returns', () => {
    const report = fc.oneof(
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      // Bias toward plausible packets on one channel so long sequences get exercised.
      fc.record({ init: fc.boolean(), len: fc.integer({ min: 0, max: 8000 }), seq: fc.integer({ min: 0, max: 130 }) }).map(({ init, len, seq }) =>
        init ? initPacket(1, 0x90, len) : contPacket(1, seq),
      ),
      fc.uint8Array({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(fc.array(report, { maxLength: 200 }), (reports) => {
        const a = new MessageAssembler();
        for (const r of reports) {
          try {
            const m = a.push(parsePacket(r));
            if (m) expect(m.payload.length).toBeLessThanOrEqual(MAX_MESSAGE_SIZE);
          } catch (e) {
            if (!(e instanceof Fido2Error)) throw e;
            expect(e.kind).toBe('transport');
            expect(e.message).not.toContain('\n');
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
