/**
 * authenticatorGetInfo response (CTAP 2.1 §6.4, with the CTAP 2.2 members
 * 0x15..0x1F). Every known member is type-checked; unknown members are kept.
 */
import { decodeCborMap, CborTag, type CborValue } from './cbor.js';
import { toHex } from './bytes.js';
import { malformed } from './errors.js';
import type { PinProtocolVersion } from './pin-protocol.js';
import { asUint, asUint64, asBool, asBytes, asArray, asStrings, asUints, asTextKeyedRecord, asAlgorithms, formatUuid, asUrl, bad } from './get-info-fields.js';

export interface PublicKeyCredentialParameters {
  type: string;
  alg: number;
}

export interface AuthenticatorInfo {
  /** 0x01 e.g. ['U2F_V2', 'FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1']. */
  versions: string[];
  /** 0x02 */
  extensions?: string[];
  /** 0x03 as a lowercase UUID string. */
  aaguid: string;
  /** 0x03 raw 16 bytes. */
  aaguidBytes: Uint8Array;
  /** 0x04 option id -> value; an absent option is not the same as false (§6.4). */
  options: Record<string, boolean>;
  /** 0x05 */
  maxMsgSize?: number;
  /** 0x06 in the key's order of preference. */
  pinUvAuthProtocols?: number[];
  /** 0x07 */
  maxCredentialCountInList?: number;
  /** 0x08 */
  maxCredentialIdLength?: number;
  /** 0x09 */
  transports?: string[];
  /** 0x0A */
  algorithms?: PublicKeyCredentialParameters[];
  /** 0x0B */
  maxSerializedLargeBlobArray?: number;
  /** 0x0C */
  forcePINChange?: boolean;
  /** 0x0D current minimum PIN length in code points. */
  minPINLength?: number;
  /** 0x0E */
  firmwareVersion?: number;
  /** 0x0F */
  maxCredBlobLength?: number;
  /** 0x10 */
  maxRPIDsForSetMinPINLength?: number;
  /** 0x11 */
  preferredPlatformUvAttempts?: number;
  /** 0x12 bit field of FIDO UV methods. */
  uvModality?: number;
  /** 0x13 certification name -> level. */
  certifications?: Record<string, number>;
  /** 0x14 */
  remainingDiscoverableCredentials?: number;
  /** 0x15 64-bit vendor command ids, hence bigint. */
  vendorPrototypeConfigCommands?: bigint[];
  /** 0x16 (CTAP 2.2) */
  attestationFormats?: string[];
  /** 0x17 (CTAP 2.2) */
  uvCountSinceLastPinEntry?: number;
  /** 0x18 (CTAP 2.2) */
  longTouchForReset?: boolean;
  /** 0x19 (CTAP 2.2) opaque, changes on every call. */
  encIdentifier?: Uint8Array;
  /** 0x1A (CTAP 2.2) */
  transportsForReset?: string[];
  /** 0x1B (CTAP 2.2) */
  pinComplexityPolicy?: boolean;
  /** 0x1C (CTAP 2.2) sent as a byte string holding a URL; text strings are accepted too. */
  pinComplexityPolicyURL?: string;
  /** 0x1D (CTAP 2.2) in code points. */
  maxPINLength?: number;
  /** 0x1E (CTAP 2.2) opaque, changes on every call. */
  encCredStoreState?: Uint8Array;
  /** 0x1F (CTAP 2.2) authenticatorConfig subcommands the key supports. */
  authenticatorConfigCommands?: number[];
  /** Members this client does not know, by decimal key, as decoded. */
  unknown: Record<string, unknown>;
}

export const GetInfoKey = {
  versions: 0x01,
  extensions: 0x02,
  aaguid: 0x03,
  options: 0x04,
  maxMsgSize: 0x05,
  pinUvAuthProtocols: 0x06,
  maxCredentialCountInList: 0x07,
  maxCredentialIdLength: 0x08,
  transports: 0x09,
  algorithms: 0x0a,
  maxSerializedLargeBlobArray: 0x0b,
  forcePINChange: 0x0c,
  minPINLength: 0x0d,
  firmwareVersion: 0x0e,
  maxCredBlobLength: 0x0f,
  maxRPIDsForSetMinPINLength: 0x10,
  preferredPlatformUvAttempts: 0x11,
  uvModality: 0x12,
  certifications: 0x13,
  remainingDiscoverableCredentials: 0x14,
  vendorPrototypeConfigCommands: 0x15,
  attestationFormats: 0x16,
  uvCountSinceLastPinEntry: 0x17,
  longTouchForReset: 0x18,
  encIdentifier: 0x19,
  transportsForReset: 0x1a,
  pinComplexityPolicy: 0x1b,
  pinComplexityPolicyURL: 0x1c,
  maxPINLength: 0x1d,
  encCredStoreState: 0x1e,
  authenticatorConfigCommands: 0x1f,
} as const;

type KnownField = keyof typeof GetInfoKey;
const FIELD_BY_KEY = new Map<number, KnownField>(
  Object.entries(GetInfoKey).map(([name, key]) => [key, name as KnownField]),
);

// ---------------------------------------------------------------- parsing

/** Parse a getInfo reply body (CBOR bytes or an already decoded map). */
export function parseGetInfo(body: Uint8Array | ReadonlyMap<CborValue, CborValue>): AuthenticatorInfo {
  const map = body instanceof Uint8Array ? decodeCborMap(body) : body;
  if (!(map instanceof Map)) throw malformed('getInfo reply is not a map');

  const versionsRaw = map.get(GetInfoKey.versions);
  if (versionsRaw === undefined) throw malformed('getInfo has no versions (0x01)');
  const aaguidRaw = map.get(GetInfoKey.aaguid);
  if (aaguidRaw === undefined) throw malformed('getInfo has no aaguid (0x03)');
  const aaguidBytes = asBytes(aaguidRaw, 'aaguid');
  if (aaguidBytes.length !== 16) bad('aaguid', '16 bytes');

  const info: AuthenticatorInfo = {
    versions: asStrings(versionsRaw, 'versions'),
    aaguid: formatUuid(aaguidBytes),
    aaguidBytes,
    options: {},
    unknown: {},
  };

  for (const [key, value] of map) {
    const field = typeof key === 'number' ? FIELD_BY_KEY.get(key) : undefined;
    if (field === undefined) {
      info.unknown[keyName(key)] = value;
      continue;
    }
    switch (field) {
      case 'versions':
      case 'aaguid':
        break; // handled above
      case 'extensions':
      case 'transports':
      case 'attestationFormats':
      case 'transportsForReset':
        info[field] = asStrings(value, field);
        break;
      case 'options':
        info.options = asTextKeyedRecord(value, field, (x) => asBool(x, field));
        break;
      case 'pinUvAuthProtocols':
      case 'authenticatorConfigCommands':
        info[field] = asUints(value, field);
        break;
      case 'maxMsgSize':
      case 'maxCredentialCountInList':
      case 'maxCredentialIdLength':
      case 'maxSerializedLargeBlobArray':
      case 'minPINLength':
      case 'firmwareVersion':
      case 'maxCredBlobLength':
      case 'maxRPIDsForSetMinPINLength':
      case 'preferredPlatformUvAttempts':
      case 'uvModality':
      case 'remainingDiscoverableCredentials':
      case 'uvCountSinceLastPinEntry':
      case 'maxPINLength':
        info[field] = asUint(value, field);
        break;
      case 'forcePINChange':
      case 'longTouchForReset':
      case 'pinComplexityPolicy':
        info[field] = asBool(value, field);
        break;
      case 'algorithms':
        info.algorithms = asAlgorithms(value);
        break;
      case 'certifications':
        info.certifications = asTextKeyedRecord(value, field, (x) => asUint(x, field));
        break;
      case 'vendorPrototypeConfigCommands':
        info.vendorPrototypeConfigCommands = asArray(value, field).map((n) => asUint64(n, field));
        break;
      case 'encIdentifier':
      case 'encCredStoreState':
        info[field] = asBytes(value, field);
        break;
      case 'pinComplexityPolicyURL':
        info.pinComplexityPolicyURL = asUrl(value);
        break;
    }
  }
  return info;
}

function keyName(key: CborValue): string {
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'string') return JSON.stringify(key);
  if (key instanceof Uint8Array) return `h'${toHex(key)}'`;
  return String(jsonValue(key));
}

// ---------------------------------------------------------------- helpers

/**
 * Versions that bring everything FIDO_2_1 does: CTAP 2.2 and 2.3 are supersets of 2.1, and a key may list only
 * its newest version (CTAP 2.3 §6.4 versions). FIDO_2_1_PRE is not among them.
 */
export const CTAP21_OR_LATER: readonly string[] = ['FIDO_2_1', 'FIDO_2_2', 'FIDO_2_3'];

/** True when `versions` names CTAP 2.1 or a later version that includes it. */
export function isCtap21OrLater(versions: readonly string[]): boolean {
  return versions.some((v) => CTAP21_OR_LATER.includes(v));
}

/** True for a CTAP 2.1 (or 2.2, 2.3) key; FIDO_2_1_PRE alone is a 2.0 key with preview commands. */
export function supportsCtap21(info: AuthenticatorInfo): boolean {
  return isCtap21OrLater(info.versions);
}

/**
 * The PIN/UV auth protocol to use: 2 when the key lists it, else 1. A CTAP 2.0
 * key may leave the list out, and protocol 1 was then the only one (§6.5.6).
 * Undefined when the key lists only protocols this client does not implement.
 */
export function preferredPinProtocol(info: AuthenticatorInfo): PinProtocolVersion | undefined {
  const listed = info.pinUvAuthProtocols;
  if (listed === undefined) return 1;
  if (listed.includes(2)) return 2;
  if (listed.includes(1)) return 1;
  return undefined;
}

/** Whether the key lists (or, for a CTAP 2.0 key without a list, implies) a protocol. */
export function supportsPinProtocol(info: AuthenticatorInfo, version: PinProtocolVersion): boolean {
  const listed = info.pinUvAuthProtocols;
  return listed === undefined ? version === 1 : listed.includes(version);
}

// ---------------------------------------------------------------- JSON

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

function jsonValue(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v instanceof CborTag) return { tag: String(v.tag), value: jsonValue(v.value) };
  if (v instanceof Map) {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of v) setOwn(out, typeof k === 'string' ? k : keyName(k as CborValue), jsonValue(x));
    return sortedObject(out);
  }
  if (typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) setOwn(out, k, jsonValue(x));
    return sortedObject(out);
  }
  return String(v);
}

function sortedObject(o: Record<string, JsonValue>): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const k of Object.keys(o).sort()) setOwn(out, k, o[k] as JsonValue);
  return out;
}

/** Plain assignment of a key named "__proto__" would replace the prototype instead. */
function setOwn(o: Record<string, JsonValue>, key: string, value: JsonValue): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A stable JSON view: members in getInfo key order, present members only,
 * bytes as lowercase hex, aaguid as UUID, 64-bit ids as decimal strings,
 * options/certifications/unknown sorted by name.
 */
export function toJson(info: AuthenticatorInfo): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = {};
  for (const field of Object.keys(GetInfoKey) as KnownField[]) {
    const value = info[field];
    if (value === undefined) continue;
    if (field === 'options') {
      if (Object.keys(info.options).length === 0) continue;
    }
    out[field] = jsonValue(value);
  }
  const unknownKeys = Object.keys(info.unknown);
  if (unknownKeys.length > 0) {
    const unknown: { [key: string]: JsonValue } = {};
    for (const k of unknownKeys.sort(compareKeyNames)) setOwn(unknown, k, jsonValue(info.unknown[k]));
    out.unknown = unknown;
  }
  return out;
}

function compareKeyNames(a: string, b: string): number {
  const na = /^-?\d+$/.test(a);
  const nb = /^-?\d+$/.test(b);
  if (na && nb) {
    const d = BigInt(a) - BigInt(b);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
