/** Reply decoders fed arbitrary bytes must fail only with Fido2Error. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeCbor, encodeCbor, type CborValue } from '../../src/ctap/cbor.js';
import { parseKeyAgreementReply, parsePinRetriesReply, parseTokenReply, parseUvRetriesReply } from '../../src/ctap/client-pin.js';
import { Ctap2, parseResponse, type CborChannel } from '../../src/ctap/ctap2.js';
import { AuthenticatorConfig } from '../../src/ctap/authenticator-config.js';
import { parseGetInfo } from '../../src/ctap/get-info.js';
import { pinProtocolV1, pinProtocolV2 } from '../../src/ctap/pin-protocol.js';
import { Fido2Error } from '../../src/errors.js';

function onlyFido2Errors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Fido2Error)) throw e;
  }
}

async function onlyFido2ErrorsAsync(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof Fido2Error)) throw e;
  }
}

/** Bytes biased towards CBOR that decodes: random bytes and encodings of random CBOR-ish values. */
const cborish: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.integer({ min: -100, max: 100 }),
    fc.string({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 70 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -4, max: 32 }), tie('v')), { maxLength: 6, selector: ([k]) => k })
      .map((e) => new Map<CborValue, CborValue>(e)),
  ),
})).v;
const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), cborish.map((v) => encodeCbor(v)));
const reply = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  cborish.map((v) => Uint8Array.from([0, ...encodeCbor(v)])),
  fc.nat({ max: 255 }).map((s) => Uint8Array.of(s)),
);
const RUNS = { numRuns: 500 };

describe('decoders never throw anything but Fido2Error', () => {
  it('decodeCbor', () => {
    fc.assert(fc.property(bytes, (b) => onlyFido2Errors(() => decodeCbor(b))), RUNS);
  });

  it('parseResponse', () => {
    fc.assert(fc.property(reply, (b) => onlyFido2Errors(() => parseResponse(b))), RUNS);
  });

  it('parseGetInfo, from bytes and from maps with arbitrary members', () => {
    fc.assert(fc.property(bytes, (b) => onlyFido2Errors(() => parseGetInfo(b))), RUNS);
    const infoMap = fc
      .uniqueArray(fc.tuple(fc.integer({ min: 0, max: 34 }), cborish), { maxLength: 12, selector: ([k]) => k })
      .map((e) => {
        const m = new Map<CborValue, CborValue>(e);
        m.set(1, m.get(1) ?? ['FIDO_2_1']);
        m.set(3, m.get(3) ?? new Uint8Array(16));
        return m;
      });
    fc.assert(fc.property(infoMap, (m) => onlyFido2Errors(() => parseGetInfo(m))), RUNS);
  });

  it('clientPIN reply parsers, including token decryption for both protocols', () => {
    fc.assert(
      fc.property(reply, (b) => {
        onlyFido2Errors(() => {
          const m = parseResponse(b);
          onlyFido2Errors(() => parsePinRetriesReply(m));
          onlyFido2Errors(() => parseUvRetriesReply(m));
          onlyFido2Errors(() => pinProtocolV2.encapsulate(parseKeyAgreementReply(m)));
          onlyFido2Errors(() => pinProtocolV1.encapsulate(parseKeyAgreementReply(m)));
          onlyFido2Errors(() => parseTokenReply(pinProtocolV1, new Uint8Array(32), m));
          onlyFido2Errors(() => parseTokenReply(pinProtocolV2, new Uint8Array(64), m));
        });
      }),
      RUNS,
    );
    // Maps shaped like the real replies, with arbitrary member values.
    const shaped = fc
      .uniqueArray(fc.tuple(fc.integer({ min: 1, max: 5 }), cborish), { maxLength: 5, selector: ([k]) => k })
      .map((e) => new Map<CborValue, CborValue>(e));
    fc.assert(
      fc.property(shaped, (m) => {
        onlyFido2Errors(() => parsePinRetriesReply(m));
        onlyFido2Errors(() => parseUvRetriesReply(m));
        onlyFido2Errors(() => pinProtocolV2.encapsulate(parseKeyAgreementReply(m)));
        onlyFido2Errors(() => parseTokenReply(pinProtocolV1, new Uint8Array(32), m));
        onlyFido2Errors(() => parseTokenReply(pinProtocolV2, new Uint8Array(64), m));
      }),
      RUNS,
    );
  });

  it('COSE keys with arbitrary coordinates', () => {
    const cose = fc
      .record({ kty: cborish, crv: cborish, x: fc.uint8Array({ minLength: 31, maxLength: 33 }), y: fc.uint8Array({ minLength: 31, maxLength: 33 }) })
      .map(({ kty, crv, x, y }) => new Map<CborValue, CborValue>([[1, kty], [3, -25], [-1, crv], [-2, x], [-3, y]]));
    const curveLike = fc
      .record({ x: fc.uint8Array({ minLength: 32, maxLength: 32 }), y: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
      .map(({ x, y }) => new Map<CborValue, CborValue>([[1, 2], [3, -25], [-1, 1], [-2, x], [-3, y]]));
    fc.assert(fc.property(fc.oneof(cose, curveLike), (k) => onlyFido2Errors(() => pinProtocolV2.encapsulate(k))), RUNS);
  });

  it('authenticatorConfig replies', async () => {
    await fc.assert(
      fc.asyncProperty(reply, async (b) => {
        const channel: CborChannel = { cbor: async () => b };
        await onlyFido2ErrorsAsync(() => new AuthenticatorConfig(new Ctap2(channel)).toggleAlwaysUv());
        await onlyFido2ErrorsAsync(() => new Ctap2(channel).getInfo());
      }),
      RUNS,
    );
  });

  it('the harness itself notices non-Fido2 errors', () => {
    expect(() => onlyFido2Errors(() => JSON.parse('{'))).toThrow(SyntaxError);
  });
});
