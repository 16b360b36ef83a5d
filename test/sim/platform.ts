/** The platform side of clientPIN / config / makeCredential for the virtual key's tests. */
import { createHash } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { encodeCbor, type CborValue, type Encodable } from '../../src/sim/cbor.js';
import { authenticate, encrypt, decrypt, kdf, type PinUvAuthProtocol } from '../../src/sim/pin-protocol.js';
import type { CtapHost } from './harness.js';

export const CTAP = { makeCredential: 1, getAssertion: 2, getInfo: 4, clientPin: 6, reset: 7, getNextAssertion: 8, selection: 0x0b, config: 0x0d };
export const PERM = { mc: 1, ga: 2, cm: 4, be: 8, lbw: 0x10, acfg: 0x20 };
export const ST = {
  OK: 0,
  INVALID_COMMAND: 0x01,
  INVALID_PARAMETER: 0x02,
  INVALID_LENGTH: 0x03,
  CBOR_UNEXPECTED_TYPE: 0x11,
  INVALID_CBOR: 0x12,
  MISSING_PARAMETER: 0x14,
  CREDENTIAL_EXCLUDED: 0x19,
  UNSUPPORTED_ALGORITHM: 0x26,
  OPERATION_DENIED: 0x27,
  UNSUPPORTED_OPTION: 0x2b,
  INVALID_OPTION: 0x2c,
  KEEPALIVE_CANCEL: 0x2d,
  NO_CREDENTIALS: 0x2e,
  NOT_ALLOWED: 0x30,
  PIN_INVALID: 0x31,
  PIN_BLOCKED: 0x32,
  PIN_AUTH_INVALID: 0x33,
  PIN_AUTH_BLOCKED: 0x34,
  PIN_NOT_SET: 0x35,
  PUAT_REQUIRED: 0x36,
  PIN_POLICY_VIOLATION: 0x37,
  REQUEST_TOO_LARGE: 0x39,
  UV_BLOCKED: 0x3c,
  INVALID_SUBCOMMAND: 0x3e,
  UV_INVALID: 0x3f,
  UNAUTHORIZED_PERMISSION: 0x40,
};

export const RP_ID = 'example.com';
export const CDH = new Uint8Array(createHash('sha256').update('client data').digest());

const sha = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function padPin(pin: string | Uint8Array): Uint8Array {
  const b = typeof pin === 'string' ? utf8(pin) : pin;
  const out = new Uint8Array(Math.max(64, Math.ceil(b.length / 16) * 16));
  out.set(b);
  return out;
}

export class Platform {
  constructor(
    readonly host: CtapHost,
    readonly protocol: PinUvAuthProtocol = 2,
  ) {}

  async agree(): Promise<{ keyAgreement: Encodable; secret: Uint8Array }> {
    const r = await this.host.ok(CTAP.clientPin, new Map([[1, this.protocol], [2, 2]]));
    const cose = r.get(1) as Map<CborValue, CborValue>;
    const peer = new Uint8Array(65);
    peer[0] = 4;
    peer.set(cose.get(-2) as Uint8Array, 1);
    peer.set(cose.get(-3) as Uint8Array, 33);
    const { secretKey } = p256.keygen();
    const mine = p256.getPublicKey(secretKey, false);
    const z = p256.getSharedSecret(secretKey, peer, true).slice(1);
    const keyAgreement = new Map<number, Encodable>([
      [1, 2],
      [3, -25],
      [-1, 1],
      [-2, mine.slice(1, 33)],
      [-3, mine.slice(33)],
    ]);
    return { keyAgreement, secret: kdf(this.protocol, z) };
  }

  async setPin(pin: string | Uint8Array): Promise<number> {
    const { keyAgreement, secret } = await this.agree();
    const newPinEnc = encrypt(this.protocol, secret, padPin(pin));
    return this.host.status(
      CTAP.clientPin,
      new Map<number, Encodable>([
        [1, this.protocol],
        [2, 3],
        [3, keyAgreement],
        [4, authenticate(this.protocol, secret, newPinEnc)],
        [5, newPinEnc],
      ]),
    );
  }

  async changePin(current: string, next: string | Uint8Array): Promise<number> {
    const { keyAgreement, secret } = await this.agree();
    const pinHashEnc = encrypt(this.protocol, secret, sha(utf8(current)).slice(0, 16));
    const newPinEnc = encrypt(this.protocol, secret, padPin(next));
    const msg = new Uint8Array([...newPinEnc, ...pinHashEnc]);
    return this.host.status(
      CTAP.clientPin,
      new Map<number, Encodable>([
        [1, this.protocol],
        [2, 4],
        [3, keyAgreement],
        [4, authenticate(this.protocol, secret, msg)],
        [5, newPinEnc],
        [6, pinHashEnc],
      ]),
    );
  }

  /** getPinUvAuthTokenUsingPinWithPermissions (or legacy getPinToken when permissions is undefined). */
  async token(pin: string, permissions?: number, rpId?: string): Promise<{ status: number; token?: Uint8Array }> {
    const { keyAgreement, secret } = await this.agree();
    const pinHashEnc = encrypt(this.protocol, secret, sha(utf8(pin)).slice(0, 16));
    const params = new Map<number, Encodable>([
      [1, this.protocol],
      [2, permissions === undefined ? 5 : 9],
      [3, keyAgreement],
      [6, pinHashEnc],
    ]);
    if (permissions !== undefined) params.set(9, permissions);
    if (rpId !== undefined) params.set(10, rpId);
    const r = await this.host.request(CTAP.clientPin, params);
    if (r.status !== 0) return { status: r.status };
    const enc = (r.body as Map<CborValue, CborValue>).get(2) as Uint8Array;
    return { status: 0, token: decrypt(this.protocol, secret, enc) };
  }

  async uvToken(permissions: number, rpId?: string): Promise<{ status: number; token?: Uint8Array }> {
    const { keyAgreement, secret } = await this.agree();
    const params = new Map<number, Encodable>([
      [1, this.protocol],
      [2, 6],
      [3, keyAgreement],
      [9, permissions],
    ]);
    if (rpId !== undefined) params.set(10, rpId);
    const r = await this.host.request(CTAP.clientPin, params);
    if (r.status !== 0) return { status: r.status };
    return { status: 0, token: decrypt(this.protocol, secret, (r.body as Map<CborValue, CborValue>).get(2) as Uint8Array) };
  }

  async mustToken(pin: string, permissions?: number, rpId?: string): Promise<Uint8Array> {
    const r = await this.token(pin, permissions, rpId);
    if (!r.token) throw new Error(`token refused: 0x${r.status.toString(16)}`);
    return r.token;
  }

  async retries(): Promise<{ retries: number; powerCycleState: CborValue }> {
    const r = await this.host.ok(CTAP.clientPin, new Map([[1, this.protocol], [2, 1]]));
    return { retries: r.get(3) as number, powerCycleState: r.get(4) };
  }

  /** authenticatorConfig, authenticated with `token` when given. */
  async config(sub: number, params?: Encodable, token?: Uint8Array): Promise<number> {
    const req = new Map<number, Encodable>([[1, sub]]);
    const raw = params === undefined ? new Uint8Array(0) : encodeCbor(params);
    if (params !== undefined) req.set(2, params);
    if (token) {
      const msg = new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0d, sub, ...raw]);
      req.set(3, this.protocol);
      req.set(4, authenticate(this.protocol, token, msg));
    }
    return this.host.status(CTAP.config, req);
  }

  param(token: Uint8Array, message: Uint8Array = CDH): Uint8Array {
    return authenticate(this.protocol, token, message);
  }
}

export interface McOptions {
  rk?: boolean;
  uv?: boolean;
  up?: boolean;
  token?: Uint8Array;
  rpId?: string;
  userId?: Uint8Array;
  protocol?: PinUvAuthProtocol;
  exclude?: Uint8Array[];
  extensions?: Encodable;
}

export function makeCredentialParams(o: McOptions = {}): Map<number, Encodable> {
  const m = new Map<number, Encodable>([
    [1, CDH],
    [2, { id: o.rpId ?? RP_ID, name: 'Example' }],
    [3, { id: o.userId ?? utf8('user-1'), name: 'alice', displayName: 'Alice' }],
    [4, [{ alg: -7, type: 'public-key' }]],
  ]);
  if (o.exclude) m.set(5, o.exclude.map((id) => ({ id, type: 'public-key' })));
  if (o.extensions) m.set(6, o.extensions);
  const options: Record<string, boolean> = {};
  if (o.rk !== undefined) options.rk = o.rk;
  if (o.uv !== undefined) options.uv = o.uv;
  if (o.up !== undefined) options.up = o.up;
  if (Object.keys(options).length) m.set(7, options);
  if (o.token) {
    m.set(8, authenticate(o.protocol ?? 2, o.token, CDH));
    m.set(9, o.protocol ?? 2);
  }
  return m;
}

export interface GaOptions {
  allow?: Uint8Array[];
  uv?: boolean;
  up?: boolean;
  token?: Uint8Array;
  rpId?: string;
  protocol?: PinUvAuthProtocol;
}

export function getAssertionParams(o: GaOptions = {}): Map<number, Encodable> {
  const m = new Map<number, Encodable>([
    [1, o.rpId ?? RP_ID],
    [2, CDH],
  ]);
  if (o.allow) m.set(3, o.allow.map((id) => ({ id, type: 'public-key' })));
  const options: Record<string, boolean> = {};
  if (o.uv !== undefined) options.uv = o.uv;
  if (o.up !== undefined) options.up = o.up;
  if (Object.keys(options).length) m.set(5, options);
  if (o.token) {
    m.set(6, authenticate(o.protocol ?? 2, o.token, CDH));
    m.set(7, o.protocol ?? 2);
  }
  return m;
}

/** The flags byte and credential ID of a makeCredential response. */
export function parseMakeCredential(body: Map<CborValue, CborValue>): { flags: number; credentialId: Uint8Array; counter: number; authData: Uint8Array } {
  const authData = body.get(2) as Uint8Array;
  const flags = authData[32]!;
  const counter = new DataView(authData.buffer, authData.byteOffset).getUint32(33);
  const idLen = (authData[53]! << 8) | authData[54]!;
  return { flags, credentialId: authData.slice(55, 55 + idLen), counter, authData };
}
