/**
 * Test helpers: hand-written CBOR hex (independent of src/ctap/cbor.ts, so
 * the encoder is checked, not trusted) and a scripted CborChannel.
 */
import { expect } from 'vitest';
import type { CborChannel, CborRequestOptions } from '../../src/ctap/ctap2.js';
import type { AuthenticatorInfo } from '../../src/ctap/get-info.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

/** CBOR head for small arguments, written out by hand. */
function headHex(major: number, n: number): string {
  const m = major << 5;
  const b = (x: number) => x.toString(16).padStart(2, '0');
  if (n < 24) return b(m | n);
  if (n < 0x100) return b(m | 24) + b(n);
  if (n < 0x10000) return b(m | 25) + n.toString(16).padStart(4, '0');
  throw new Error('headHex: too large for tests');
}

export const bstr = (h: string): string => headHex(2, h.length / 2) + h;
export const tstr = (s: string): string => headHex(3, Buffer.byteLength(s)) + Buffer.from(s).toString('hex');
export const uint = (n: number): string => headHex(0, n);
export const mapHead = (n: number): string => headHex(5, n);

/** A P-256 COSE key, members in canonical order 1, 3, -1, -2, -3. */
export const coseHex = (x: string, y: string): string =>
  'a5' + '0102' + '033818' + '2001' + '21' + bstr(x) + '22' + bstr(y);

export interface Exchange {
  /** Exact request bytes, hex. */
  request: string;
  /** Reply bytes, hex (status byte first). */
  reply: string;
}

/** A CborChannel that checks each request against a script and replies from it. */
export class ScriptedChannel implements CborChannel {
  readonly seen: string[] = [];
  readonly options: (CborRequestOptions | undefined)[] = [];
  private index = 0;

  constructor(private readonly script: Exchange[]) {}

  async cbor(request: Uint8Array, opts?: CborRequestOptions): Promise<Uint8Array> {
    const step = this.script[this.index++];
    this.seen.push(hex(request));
    this.options.push(opts);
    if (step === undefined) throw new Error(`unexpected request ${hex(request)}`);
    expect(hex(request), `request #${this.index}`).toBe(step.request.replace(/\s+/g, ''));
    return unhex(step.reply);
  }

  done(): void {
    expect(this.index, 'all scripted exchanges used').toBe(this.script.length);
  }
}

/** A randomness source that hands out the given values in order and fails when empty. */
export function queuedRandom(values: string[]): (n: number) => Uint8Array {
  const queue = [...values];
  return (n: number) => {
    const v = queue.shift();
    if (v === undefined) throw new Error('random: queue empty');
    const bytes = unhex(v);
    if (bytes.length !== n) throw new Error(`random: asked ${n} bytes, have ${bytes.length}`);
    return bytes;
  };
}

export function baseInfo(overrides: Partial<AuthenticatorInfo> = {}): AuthenticatorInfo {
  return {
    versions: ['FIDO_2_0', 'FIDO_2_1'],
    aaguid: '00000000-0000-0000-0000-000000000000',
    aaguidBytes: new Uint8Array(16),
    options: { clientPin: true, pinUvAuthToken: true },
    pinUvAuthProtocols: [2, 1],
    unknown: {},
    ...overrides,
  };
}

export { loadVectors, type VectorCase } from '../helpers/vectors.js';
