/**
 * What a key remembers across power cycles (and, with --state, across runs),
 * and its JSON form. Everything volatile (key-agreement keys, tokens, the
 * consecutive-wrong-PIN count) lives in the authenticator instead.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const MAX_PIN_RETRIES = 8;
export const MAX_UV_RETRIES = 8;
/** §6.4 minPINLength: the default, and the floor newMinPINLength may never go under. */
export const DEFAULT_MIN_PIN_LENGTH = 4;

export type CredProtect = 1 | 2 | 3;

export interface StoredCredential {
  readonly id: Uint8Array;
  readonly rpId: string;
  readonly rpName?: string | undefined;
  userId: Uint8Array;
  userName?: string | undefined;
  userDisplayName?: string | undefined;
  readonly privateKey: Uint8Array;
  readonly credProtect: CredProtect;
  /** Creation order: getAssertion lists the newest first (§6.2.2). */
  readonly serial: number;
  /** The 32-byte key of the largeBlobKey extension (§12.3), when the credential was made with it. */
  readonly largeBlobKey?: Uint8Array | undefined;
}

/** An enrolled finger (CTAP 2.1 §6.7): its templateId and optional templateFriendlyName. */
export interface StoredFingerprint {
  readonly id: Uint8Array;
  name: string | undefined;
}

export interface PersistentState {
  readonly aaguid: Uint8Array;
  /** Wraps the private keys of non-discoverable credentials into their IDs; replaced by reset. */
  credentialSecret: Uint8Array;
  /** A verifier of LEFT(SHA-256(PIN), 16) (see pinRecord) and the PIN's length in code points (§6.11.4). */
  pin: PinRecord | undefined;
  pinRetries: number;
  uvRetries: number;
  alwaysUv: boolean;
  minPinLength: number;
  minPinLengthRpIds: string[];
  forcePinChange: boolean;
  enterpriseAttestation: boolean;
  signCount: number;
  nextSerial: number;
  credentials: StoredCredential[];
  /** Enrolled fingers of the built-in sensor; empty on a key without one. */
  fingerprints: StoredFingerprint[];
  /** The serialized large-blob array (§6.10): CBOR array || LEFT(SHA-256(array), 16). */
  largeBlobArray: Uint8Array;
  /**
   * CTAP 2.3 §6.5.5.7.2 persistentPinUvAuthToken: survives power cycles; pcmr is its only possible
   * permission (0 until issued). changePIN and authenticatorReset replace it.
   */
  persistentToken: Uint8Array;
  persistentPermissions: number;
  /** CTAP 2.3 §6.4 encIdentifier's plaintext: 16 random bytes, new after authenticatorReset. */
  identifier: Uint8Array;
  /** encCredStoreState's plaintext: 16 random bytes, new whenever the discoverable credentials change. */
  credStoreState: Uint8Array;
  /** getInfo pinComplexityPolicy (0x1B), turned on by setMinPINLength; off again only by reset. */
  pinComplexityPolicy: boolean;
  /** getInfo longTouchForReset (0x18), turned on by enableLongTouchForReset (§6.11.5). */
  longTouchForReset: boolean;
}

/**
 * The stored PIN: HMAC-SHA-256 keyed with a random per-key salt over
 * LEFT(SHA-256(PIN), 16), so a state file no longer holds the bare hash that
 * a lookup table turns back into a short PIN.
 */
export interface PinRecord {
  readonly salt: Uint8Array;
  readonly verifier: Uint8Array;
  readonly codePoints: number;
}

function verifierOf(salt: Uint8Array, pinHash16: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', salt).update(pinHash16).digest());
}

/** A new record for a PIN given as LEFT(SHA-256(PIN), 16), with a fresh salt. */
export function pinRecord(pinHash16: Uint8Array, codePoints: number): PinRecord {
  const salt = new Uint8Array(randomBytes(16));
  return { salt, verifier: verifierOf(salt, pinHash16), codePoints };
}

/** Whether LEFT(SHA-256(PIN), 16) is the stored PIN, in constant time. */
export function pinMatches(record: PinRecord, pinHash16: Uint8Array): boolean {
  return pinHash16.length === 16 && timingSafeEqual(verifierOf(record.salt, pinHash16), record.verifier);
}

/** §6.10: a serialized large-blob array ends in LEFT(SHA-256(the CBOR array), 16). */
export const LARGE_BLOB_CHECKSUM_LENGTH = 16;

export function largeBlobChecksum(body: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(body).digest().subarray(0, LARGE_BLOB_CHECKSUM_LENGTH));
}

/** A key starts with the empty CBOR array 0x80 and its checksum. */
function initialLargeBlobArray(): Uint8Array {
  const empty = Uint8Array.of(0x80);
  return new Uint8Array([...empty, ...largeBlobChecksum(empty)]);
}

export function freshState(aaguid: Uint8Array): PersistentState {
  return {
    aaguid,
    credentialSecret: new Uint8Array(randomBytes(32)),
    pin: undefined,
    pinRetries: MAX_PIN_RETRIES,
    uvRetries: MAX_UV_RETRIES,
    alwaysUv: false,
    minPinLength: DEFAULT_MIN_PIN_LENGTH,
    minPinLengthRpIds: [],
    forcePinChange: false,
    enterpriseAttestation: false,
    signCount: 0,
    nextSerial: 1,
    credentials: [],
    fingerprints: [],
    largeBlobArray: initialLargeBlobArray(),
    persistentToken: new Uint8Array(randomBytes(32)),
    persistentPermissions: 0,
    identifier: new Uint8Array(randomBytes(16)),
    credStoreState: new Uint8Array(randomBytes(16)),
    pinComplexityPolicy: false,
    longTouchForReset: false,
  };
}

/** resetPersistentPinUvAuthToken() (CTAP 2.3 §6.5.5.6): a new value, no permission. */
export function resetPersistentToken(s: PersistentState): void {
  s.persistentToken = new Uint8Array(randomBytes(32));
  s.persistentPermissions = 0;
}

/** The set of discoverable credentials changed: encCredStoreState must read differently (CTAP 2.3 §6.4). */
export function credentialStoreChanged(s: PersistentState): void {
  s.credStoreState = new Uint8Array(randomBytes(16));
}

// ---------------------------------------------------------------- JSON form

export const STATE_FORMAT = 'fido2-manage-virtual-key-state';
export const STATE_VERSION = 1;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function stateToJson(s: PersistentState): unknown {
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    aaguid: hex(s.aaguid),
    credentialSecret: hex(s.credentialSecret),
    pin: s.pin ? { salt: hex(s.pin.salt), verifier: hex(s.pin.verifier), codePoints: s.pin.codePoints } : null,
    pinRetries: s.pinRetries,
    uvRetries: s.uvRetries,
    alwaysUv: s.alwaysUv,
    minPinLength: s.minPinLength,
    minPinLengthRpIds: s.minPinLengthRpIds,
    forcePinChange: s.forcePinChange,
    enterpriseAttestation: s.enterpriseAttestation,
    signCount: s.signCount,
    nextSerial: s.nextSerial,
    credentials: s.credentials.map((c) => ({
      id: hex(c.id),
      rpId: c.rpId,
      rpName: c.rpName ?? null,
      userId: hex(c.userId),
      userName: c.userName ?? null,
      userDisplayName: c.userDisplayName ?? null,
      privateKey: hex(c.privateKey),
      credProtect: c.credProtect,
      serial: c.serial,
      ...(c.largeBlobKey ? { largeBlobKey: hex(c.largeBlobKey) } : {}),
    })),
    fingerprints: s.fingerprints.map((f) => ({ id: hex(f.id), name: f.name ?? null })),
    largeBlobArray: hex(s.largeBlobArray),
    persistentToken: hex(s.persistentToken),
    persistentPermissions: s.persistentPermissions,
    identifier: hex(s.identifier),
    credStoreState: hex(s.credStoreState),
    pinComplexityPolicy: s.pinComplexityPolicy,
    longTouchForReset: s.longTouchForReset,
  };
}

/** Why a parsed document is not a state this version can load. */
export class StateFormatError extends Error {}

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new StateFormatError(`${what} is not an object`);
  return v as Json;
}
function int(o: Json, k: string, min: number, max: number): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StateFormatError(`${k} must be an integer from ${min} to ${max}`);
  }
  return v;
}
function bool(o: Json, k: string): boolean {
  if (typeof o[k] !== 'boolean') throw new StateFormatError(`${k} must be true or false`);
  return o[k] as boolean;
}
function bytes(o: Json, k: string, lengths?: readonly number[]): Uint8Array {
  const v = o[k];
  if (typeof v !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(v)) throw new StateFormatError(`${k} must be hex`);
  const b = new Uint8Array(Buffer.from(v, 'hex'));
  if (lengths && !lengths.includes(b.length)) throw new StateFormatError(`${k} has the wrong length`);
  return b;
}
function text(o: Json, k: string): string {
  if (typeof o[k] !== 'string') throw new StateFormatError(`${k} must be a string`);
  return o[k] as string;
}
function optText(o: Json, k: string): string | undefined {
  return o[k] === null || o[k] === undefined ? undefined : text(o, k);
}

/** Parses the JSON form; throws StateFormatError naming the first problem. */
export function stateFromJson(doc: unknown): PersistentState {
  const o = obj(doc, 'the document');
  if (o.format !== STATE_FORMAT) throw new StateFormatError('it is not a fido2-manage virtual key state file');
  if (o.version !== STATE_VERSION) throw new StateFormatError(`unsupported state version ${String(o.version)}`);
  const pin = o.pin === null ? undefined : obj(o.pin, 'pin');
  const rpIds = o.minPinLengthRpIds;
  if (!Array.isArray(rpIds) || !rpIds.every((r) => typeof r === 'string')) {
    throw new StateFormatError('minPinLengthRpIds must be a list of strings');
  }
  if (!Array.isArray(o.credentials)) throw new StateFormatError('credentials must be a list');
  return {
    aaguid: bytes(o, 'aaguid', [16]),
    credentialSecret: bytes(o, 'credentialSecret', [32]),
    pin: pin ? pinFromJson(pin) : undefined,
    pinRetries: int(o, 'pinRetries', 0, MAX_PIN_RETRIES),
    uvRetries: int(o, 'uvRetries', 0, MAX_UV_RETRIES),
    alwaysUv: bool(o, 'alwaysUv'),
    minPinLength: int(o, 'minPinLength', DEFAULT_MIN_PIN_LENGTH, 63),
    minPinLengthRpIds: rpIds as string[],
    forcePinChange: bool(o, 'forcePinChange'),
    enterpriseAttestation: bool(o, 'enterpriseAttestation'),
    signCount: int(o, 'signCount', 0, 0xffffffff),
    nextSerial: int(o, 'nextSerial', 1, Number.MAX_SAFE_INTEGER),
    credentials: o.credentials.map((c: unknown, i: number) => {
      const co = obj(c, `credential ${i}`);
      return {
        id: bytes(co, 'id'),
        rpId: text(co, 'rpId'),
        rpName: optText(co, 'rpName'),
        userId: bytes(co, 'userId'),
        userName: optText(co, 'userName'),
        userDisplayName: optText(co, 'userDisplayName'),
        privateKey: bytes(co, 'privateKey', [32]),
        credProtect: int(co, 'credProtect', 1, 3) as CredProtect,
        serial: int(co, 'serial', 0, Number.MAX_SAFE_INTEGER),
        // Files written before large blobs have no key: such credentials have none.
        ...(co.largeBlobKey === undefined ? {} : { largeBlobKey: bytes(co, 'largeBlobKey', [32]) }),
      };
    }),
    fingerprints: fingerprintsFromJson(o.fingerprints),
    largeBlobArray: largeBlobArrayFromJson(o),
    ...ctap23FromJson(o),
  };
}

/** Files written before the CTAP 2.3 members have none: fresh values, as a reset would give. */
function ctap23FromJson(o: Json): Pick<PersistentState, 'persistentToken' | 'persistentPermissions' | 'identifier' | 'credStoreState' | 'pinComplexityPolicy' | 'longTouchForReset'> {
  const has = (k: string): boolean => o[k] !== undefined;
  return {
    persistentToken: has('persistentToken') ? bytes(o, 'persistentToken', [32]) : new Uint8Array(randomBytes(32)),
    persistentPermissions: has('persistentPermissions') ? int(o, 'persistentPermissions', 0, 0xff) : 0,
    identifier: has('identifier') ? bytes(o, 'identifier', [16]) : new Uint8Array(randomBytes(16)),
    credStoreState: has('credStoreState') ? bytes(o, 'credStoreState', [16]) : new Uint8Array(randomBytes(16)),
    pinComplexityPolicy: has('pinComplexityPolicy') ? bool(o, 'pinComplexityPolicy') : false,
    longTouchForReset: has('longTouchForReset') ? bool(o, 'longTouchForReset') : false,
  };
}

/** Files written before the salted verifier hold the bare hash: it is salted on load and never written again. */
function pinFromJson(pin: Json): PinRecord {
  const codePoints = int(pin, 'codePoints', 1, 63);
  if (pin.hash !== undefined) return pinRecord(bytes(pin, 'hash', [16]), codePoints);
  return { salt: bytes(pin, 'salt', [16]), verifier: bytes(pin, 'verifier', [32]), codePoints };
}

/** Files written before the sensor could enroll have no list: no finger then. */
function fingerprintsFromJson(v: unknown): StoredFingerprint[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new StateFormatError('fingerprints must be a list');
  return v.map((f: unknown, i: number) => {
    const fo = obj(f, `fingerprint ${i}`);
    return { id: bytes(fo, 'id'), name: optText(fo, 'name') };
  });
}

/** Files written before large blobs have no array: the initial empty one then. */
function largeBlobArrayFromJson(o: Json): Uint8Array {
  if (o.largeBlobArray === undefined) return initialLargeBlobArray();
  const a = bytes(o, 'largeBlobArray');
  if (a.length <= LARGE_BLOB_CHECKSUM_LENGTH) throw new StateFormatError('largeBlobArray is shorter than its 16-byte checksum');
  return a;
}

/** Makes `target` (the key's live state object, shared by reference) equal to `saved` again. */
export function replaceState(target: PersistentState, saved: PersistentState): void {
  for (const key of Object.keys(target) as (keyof PersistentState)[]) if (!(key in saved)) delete target[key];
  Object.assign(target, saved);
}
