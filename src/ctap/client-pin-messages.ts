/**
 * authenticatorClientPIN messages (CTAP 2.1 §6.5.5): PIN encoding, pure
 * request builders and reply parsers. ClientPin (client-pin.ts) sequences them.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { Fido2Error } from '../errors.js';
import { concatBytes, utf8 } from './bytes.js';
import type { CborMap, CborValue } from './cbor.js';
import { malformed } from './errors.js';
import type { Encapsulation, PinProtocol } from './pin-protocol.js';
import { MAX_PIN_BYTES, normalizePin } from './pin-policy.js';

export const ClientPinSubCommand = {
  getPinRetries: 0x01,
  getKeyAgreement: 0x02,
  setPin: 0x03,
  changePin: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUvRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

/** Request member keys (§6.5.5.1). */
export const ClientPinParam = {
  pinUvAuthProtocol: 0x01,
  subCommand: 0x02,
  keyAgreement: 0x03,
  pinUvAuthParam: 0x04,
  newPinEnc: 0x05,
  pinHashEnc: 0x06,
  permissions: 0x09,
  rpId: 0x0a,
} as const;

/** Reply member keys (§6.5.5.1). */
export const ClientPinReply = {
  keyAgreement: 0x01,
  pinUvAuthToken: 0x02,
  pinRetries: 0x03,
  powerCycleState: 0x04,
  uvRetries: 0x05,
} as const;

// ---------------------------------------------------------------- PIN encoding

/** paddedPin (§6.5.5.5): UTF-8 of the NFC PIN, zero-padded to 64 bytes. */
export function padPin(pin: string): Uint8Array {
  const bytes = utf8(normalizePin(pin));
  if (bytes.length > MAX_PIN_BYTES) {
    throw new Fido2Error('pin-policy', `The PIN must be at most ${MAX_PIN_BYTES} bytes`);
  }
  const out = new Uint8Array(64);
  out.set(bytes);
  return out;
}

/** LEFT(SHA-256(pin), 16) over the NFC-normalised UTF-8 PIN (§6.5.5.7.2). */
export function pinHash(pin: string): Uint8Array {
  return sha256(utf8(normalizePin(pin))).slice(0, 16);
}

// ---------------------------------------------------------------- request builders

export type Params = Map<number, CborValue>;

function base(protocol: PinProtocol, subCommand: number): Params {
  return new Map<number, CborValue>([
    [ClientPinParam.pinUvAuthProtocol, protocol.version],
    [ClientPinParam.subCommand, subCommand],
  ]);
}

/**
 * getPINRetries / getUVRetries carry the protocol too: CTAP 2.0 made it
 * mandatory for every subcommand and CTAP 2.1 keys ignore it here.
 */
export function buildGetPinRetriesParams(protocol: PinProtocol): Params {
  return base(protocol, ClientPinSubCommand.getPinRetries);
}

export function buildGetUvRetriesParams(protocol: PinProtocol): Params {
  return base(protocol, ClientPinSubCommand.getUvRetries);
}

export function buildGetKeyAgreementParams(protocol: PinProtocol): Params {
  return base(protocol, ClientPinSubCommand.getKeyAgreement);
}

function needIv(protocol: PinProtocol, iv: Uint8Array | undefined, random: (n: number) => Uint8Array): Uint8Array | undefined {
  if (protocol.ivLength === 0) return undefined;
  return iv ?? random(protocol.ivLength);
}

export const defaultRandom = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface BuildOptions {
  /** Source of protocol-2 IVs, consumed in the order the fields are encrypted. */
  random?: (n: number) => Uint8Array;
}

/** setPIN (§6.5.5.5). `newPin` must already satisfy the policy. */
export function buildSetPinParams(protocol: PinProtocol, enc: Encapsulation, newPin: string, opts: BuildOptions = {}): Params {
  const random = opts.random ?? defaultRandom;
  const newPinEnc = protocol.encrypt(enc.sharedSecret, padPin(newPin), needIv(protocol, undefined, random));
  const params = base(protocol, ClientPinSubCommand.setPin);
  params.set(ClientPinParam.keyAgreement, enc.keyAgreement);
  params.set(ClientPinParam.pinUvAuthParam, protocol.authenticate(enc.sharedSecret, newPinEnc));
  params.set(ClientPinParam.newPinEnc, newPinEnc);
  return params;
}

/** changePIN (§6.5.5.6); pinHashEnc is encrypted before newPinEnc. */
export function buildChangePinParams(protocol: PinProtocol, enc: Encapsulation, currentPin: string, newPin: string, opts: BuildOptions = {}): Params {
  const random = opts.random ?? defaultRandom;
  const pinHashEnc = protocol.encrypt(enc.sharedSecret, pinHash(currentPin), needIv(protocol, undefined, random));
  const newPinEnc = protocol.encrypt(enc.sharedSecret, padPin(newPin), needIv(protocol, undefined, random));
  const params = base(protocol, ClientPinSubCommand.changePin);
  params.set(ClientPinParam.keyAgreement, enc.keyAgreement);
  params.set(ClientPinParam.pinUvAuthParam, protocol.authenticate(enc.sharedSecret, concatBytes(newPinEnc, pinHashEnc)));
  params.set(ClientPinParam.newPinEnc, newPinEnc);
  params.set(ClientPinParam.pinHashEnc, pinHashEnc);
  return params;
}

/**
 * getPinToken (0x05, CTAP 2.0 style, no permissions) when `permissions` is
 * undefined; getPinUvAuthTokenUsingPinWithPermissions (0x09) otherwise.
 */
export function buildGetPinTokenParams(
  protocol: PinProtocol,
  enc: Encapsulation,
  pin: string,
  permissions?: number,
  rpId?: string,
  opts: BuildOptions = {},
): Params {
  const random = opts.random ?? defaultRandom;
  const pinHashEnc = protocol.encrypt(enc.sharedSecret, pinHash(pin), needIv(protocol, undefined, random));
  const legacy = permissions === undefined;
  const params = base(protocol, legacy ? ClientPinSubCommand.getPinToken : ClientPinSubCommand.getPinUvAuthTokenUsingPinWithPermissions);
  params.set(ClientPinParam.keyAgreement, enc.keyAgreement);
  params.set(ClientPinParam.pinHashEnc, pinHashEnc);
  if (!legacy) {
    params.set(ClientPinParam.permissions, permissions);
    if (rpId !== undefined) params.set(ClientPinParam.rpId, rpId);
  }
  return params;
}

/** getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3). */
export function buildGetUvTokenParams(protocol: PinProtocol, enc: Encapsulation, permissions: number, rpId?: string): Params {
  const params = base(protocol, ClientPinSubCommand.getPinUvAuthTokenUsingUvWithPermissions);
  params.set(ClientPinParam.keyAgreement, enc.keyAgreement);
  params.set(ClientPinParam.permissions, permissions);
  if (rpId !== undefined) params.set(ClientPinParam.rpId, rpId);
  return params;
}

// ---------------------------------------------------------------- reply parsers

function requireMap(reply: CborMap | undefined, what: string): CborMap {
  if (reply === undefined) throw malformed(`${what} reply is empty`);
  return reply;
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} is not an unsigned integer`);
  return v;
}

export function parsePinRetriesReply(reply: CborMap | undefined): { retries: number; powerCycleState?: boolean } {
  const m = requireMap(reply, 'getPINRetries');
  const retries = uint(m.get(ClientPinReply.pinRetries), 'pinRetries');
  const pcs = m.get(ClientPinReply.powerCycleState);
  if (pcs === undefined) return { retries };
  if (typeof pcs !== 'boolean') throw malformed('powerCycleState is not a boolean');
  return { retries, powerCycleState: pcs };
}

export function parseUvRetriesReply(reply: CborMap | undefined): number {
  return uint(requireMap(reply, 'getUVRetries').get(ClientPinReply.uvRetries), 'uvRetries');
}

/** The key's key-agreement COSE key, unvalidated (encapsulate validates it). */
export function parseKeyAgreementReply(reply: CborMap | undefined): CborValue {
  const key = requireMap(reply, 'getKeyAgreement').get(ClientPinReply.keyAgreement);
  if (key === undefined) throw malformed('getKeyAgreement reply has no keyAgreement');
  return key;
}

/** Decrypt pinUvAuthToken and check its length: 16 or 32 bytes (protocol 1), 32 (protocol 2). */
export function parseTokenReply(protocol: PinProtocol, sharedSecret: Uint8Array, reply: CborMap | undefined): Uint8Array {
  const tokenEnc = requireMap(reply, 'getPinToken').get(ClientPinReply.pinUvAuthToken);
  if (!(tokenEnc instanceof Uint8Array)) throw malformed('pinUvAuthToken is not a byte string');
  const token = protocol.decrypt(sharedSecret, tokenEnc);
  const ok = protocol.version === 1 ? token.length === 16 || token.length === 32 : token.length === 32;
  if (!ok) throw malformed(`pinUvAuthToken of ${token.length} bytes for PIN/UV auth protocol ${protocol.version}`);
  return token;
}

// ---------------------------------------------------------------- ClientPin
