/**
 * When does a key ask for its PIN? The answer a browser (a CTAP 2.1 platform
 * acting as WebAuthn client) gives for each kind of request, predicted from
 * getInfo alone. Pure: facts in, matrix and notes out.
 *
 * The site's side, WebAuthn L2 §5.8.6 / L3 §5.8.6 (UserVerificationRequirement):
 * - `required`: the operation fails unless the key verifies the user. A
 *   platform whose key has neither a PIN nor an enrolled fingerprint but can
 *   take a PIN asks the person to set one first (CTAP 2.1 §6.1.1 / §6.2.1:
 *   the platform gets a pinUvAuthToken before the request, §6.5.5.7).
 * - `preferred`: verify when the key can (a PIN is set or a finger enrolled),
 *   otherwise go on without.
 * - `discouraged`: do not verify, unless the key itself refuses without it.
 *
 * The key's side, CTAP 2.1 §6.1.2 (makeCredential) and §6.2.2 (getAssertion):
 * - step 6 (§6.1.2) / step 5 (§6.2.2): with alwaysUv on, a request without
 *   pinUvAuthParam or `uv` is refused with PUAT_REQUIRED (getAssertion only
 *   when `up` is true, so silent probes still pass);
 * - §6.1.2 step 7: with makeCredUvNotRqd true, a protected key still refuses
 *   a discoverable credential (passkey) without UV;
 * - §6.1.2 step 8: with makeCredUvNotRqd false or absent (every CTAP 2.0 and
 *   2.1-PRE key), a protected key refuses every registration without UV
 *   (CTAP 2.0 §5.1 step 6: PIN_REQUIRED, the same status 0x36);
 * - a non-discoverable sign-in needs no UV unless the site asks (§6.2.2 step 6).
 * "Protected" is §6.1.2's "protected by some form of user verification":
 * a PIN set, or built-in UV with a finger enrolled.
 */
import { type AuthenticatorInfo, isCtap21OrLater } from './get-info.js';

export type CtapLevel = 'fido-2.1' | 'fido-2.1-pre' | 'fido-2.0' | 'u2f-only';

/** What the prediction rests on, read from getInfo (§6.4). */
export interface UvFacts {
  ctap: CtapLevel;
  clientPin: 'set' | 'unset' | 'absent';
  builtInUv: 'enrolled' | 'not-enrolled' | 'absent';
  /** Only FIDO_2_1 keys can have it (§6.4 alwaysUv). */
  alwaysUv: boolean;
  /** Absent counts as false (§6.4 makeCredUvNotRqd). */
  makeCredUvNotRqd: boolean;
  pinUvAuthToken: boolean;
}

export const ROWS = ['register', 'passkey', 'sign-in'] as const;
export const COLUMNS = ['discouraged', 'preferred', 'required'] as const;
export type Row = (typeof ROWS)[number];
export type Column = (typeof COLUMNS)[number];

export const ROW_LABELS: Readonly<Record<Row, string>> = {
  register: 'registration (security key as second factor)',
  passkey: 'registration of a passkey',
  'sign-in': 'sign-in',
};

/** What the person is asked for. */
export type Ask = 'touch' | 'pin' | 'fingerprint' | 'set-pin' | 'fails';

/** Why a cell verifies (or fails); each maps to a plain sentence. */
export type Why =
  | 'not-asked' // nobody asks for UV
  | 'site-asks' // preferred on a protected key, or required
  | 'always-uv' // §6.1.2 step 6 / §6.2.2 step 5
  | 'passkey-on-protected-key' // §6.1.2 step 7
  | 'make-cred-uv-not-rqd-off' // §6.1.2 step 8
  | 'cannot-verify' // no PIN support and no enrolled finger
  | 'u2f-only';

export interface Cell {
  ask: Ask;
  /** Fingerprint first, PIN when the finger is not recognised. */
  pinFallback: boolean;
  /** The UV flag the site receives; null when the request fails. */
  uvFlag: boolean | null;
  why: Why;
}

export type Matrix = Record<Row, Record<Column, Cell>>;

export type Note =
  | 'always-uv'
  | 'always-uv-windows'
  | 'no-pin'
  | 'no-pin-always-uv'
  | 'no-pin-support'
  | 'make-cred-uv-not-rqd-off'
  | 'passkey-on-protected-key'
  | 'fingerprint'
  | 'fingerprint-not-enrolled'
  | 'pre-2.1'
  | 'u2f-only';

export interface Prediction {
  facts: UvFacts;
  cells: Matrix;
  notes: Note[];
}

export function ctapLevel(versions: readonly string[]): CtapLevel {
  // 2.2 and 2.3 keys act as 2.1 keys do in everything this prediction rests on (alwaysUv, makeCredUvNotRqd).
  if (isCtap21OrLater(versions)) return 'fido-2.1';
  if (versions.includes('FIDO_2_1_PRE')) return 'fido-2.1-pre';
  if (versions.some((v) => v.startsWith('FIDO_2_'))) return 'fido-2.0';
  return 'u2f-only';
}

/** The facts from getInfo; `undefined` is a key that answers no CTAP2 (U2F only). */
export function factsFromInfo(info: AuthenticatorInfo | undefined): UvFacts {
  if (info === undefined) return { ctap: 'u2f-only', clientPin: 'absent', builtInUv: 'absent', alwaysUv: false, makeCredUvNotRqd: false, pinUvAuthToken: false };
  const o = info.options;
  const ctap = ctapLevel(info.versions);
  return {
    ctap,
    clientPin: o.clientPin === true ? 'set' : o.clientPin === false ? 'unset' : 'absent',
    builtInUv: o.uv === true ? 'enrolled' : o.uv === false ? 'not-enrolled' : 'absent',
    // Reported only by FIDO_2_1 keys; a 2.0 or 2.1-PRE key that listed it would not act on it.
    alwaysUv: ctap === 'fido-2.1' && o.alwaysUv === true,
    makeCredUvNotRqd: o.makeCredUvNotRqd === true,
    pinUvAuthToken: o.pinUvAuthToken === true,
  };
}

export const isProtected = (f: UvFacts): boolean => f.clientPin === 'set' || f.builtInUv === 'enrolled';

/** Why the key itself refuses a request without UV, if it does (CTAP 2.1 §6.1.2 steps 6-8, §6.2.2 step 5). */
export function keyDemandsUv(f: UvFacts, row: Row): Why | undefined {
  if (f.ctap === 'u2f-only') return undefined;
  if (f.alwaysUv) return 'always-uv';
  if (!isProtected(f)) return undefined;
  if (row === 'passkey') return 'passkey-on-protected-key';
  if (row === 'register' && !f.makeCredUvNotRqd) return 'make-cred-uv-not-rqd-off';
  return undefined;
}

/** How this key verifies: the fingerprint first (PIN as fallback), else the PIN. */
function verifyingCell(f: UvFacts, why: Why): Cell {
  if (f.builtInUv === 'enrolled') return { ask: 'fingerprint', pinFallback: f.clientPin === 'set', uvFlag: true, why };
  return { ask: 'pin', pinFallback: false, uvFlag: true, why };
}

export function predictCell(f: UvFacts, row: Row, column: Column): Cell {
  if (f.ctap === 'u2f-only') {
    // U2F registers and signs in with a touch and never verifies; it stores no passkeys.
    if (row === 'passkey' || column === 'required') return { ask: 'fails', pinFallback: false, uvFlag: null, why: 'u2f-only' };
    return { ask: 'touch', pinFallback: false, uvFlag: false, why: 'not-asked' };
  }
  const demand = keyDemandsUv(f, row);
  const siteAsks = column === 'required' || (column === 'preferred' && isProtected(f));
  const why: Why | undefined = siteAsks ? 'site-asks' : demand;
  if (why === undefined) return { ask: 'touch', pinFallback: false, uvFlag: false, why: 'not-asked' };
  if (isProtected(f)) return verifyingCell(f, why);
  // Unprotected: a key that can take a PIN gets one from the browser first (§6.5.5.5 setPIN), then verifies with it.
  if (f.clientPin === 'unset') return { ask: 'set-pin', pinFallback: false, uvFlag: true, why };
  return { ask: 'fails', pinFallback: false, uvFlag: null, why: 'cannot-verify' };
}

export function predictNotes(f: UvFacts): Note[] {
  if (f.ctap === 'u2f-only') return ['u2f-only'];
  const notes: Note[] = [];
  if (f.alwaysUv) notes.push('always-uv', 'always-uv-windows');
  if (f.ctap !== 'fido-2.1') notes.push('pre-2.1');
  if (f.clientPin === 'unset' && f.builtInUv !== 'enrolled') notes.push(f.alwaysUv ? 'no-pin-always-uv' : 'no-pin');
  if (f.clientPin === 'absent' && f.builtInUv !== 'enrolled') notes.push('no-pin-support');
  if (f.ctap === 'fido-2.1' && !f.alwaysUv && !f.makeCredUvNotRqd) notes.push('make-cred-uv-not-rqd-off');
  if (isProtected(f)) notes.push('passkey-on-protected-key');
  if (f.builtInUv === 'enrolled') notes.push('fingerprint');
  if (f.builtInUv === 'not-enrolled') notes.push('fingerprint-not-enrolled');
  return notes;
}

export function predict(f: UvFacts): Prediction {
  const row = (r: Row): Record<Column, Cell> => ({
    discouraged: predictCell(f, r, 'discouraged'),
    preferred: predictCell(f, r, 'preferred'),
    required: predictCell(f, r, 'required'),
  });
  return { facts: f, cells: { register: row('register'), passkey: row('passkey'), 'sign-in': row('sign-in') }, notes: predictNotes(f) };
}

export const NOTE_TEXT: Readonly<Record<Note, string>> = {
  'always-uv': 'always-UV is on, so the key asks for the PIN (or fingerprint) on every registration and sign-in, even when the site says discouraged.',
  'always-uv-windows':
    'Older Windows builds, given a discouraged request and an always-UV key, switch between "touch your key" and "enter PIN" and never finish. Known to fail: Windows 10 22H2, Windows 11 21H2, and Windows 11 22H2 Home and Pro. Known to work: Windows 11 22H2 Enterprise and 23H2. Update Windows to a current build.',
  'no-pin': 'No PIN is set, so preferred asks nothing and required makes the browser ask for a new PIN first.',
  'no-pin-always-uv': 'No PIN is set and always-UV is on, so every registration and sign-in makes the browser ask for a new PIN first.',
  'no-pin-support': 'This key has no PIN support and no fingerprint enrolled, so it cannot verify users: sites that require it fail.',
  'make-cred-uv-not-rqd-off': 'makeCredUvNotRqd is off, so once the key has a PIN or fingerprint, registration asks for it even when the site says discouraged.',
  'passkey-on-protected-key': 'A passkey on a key with a PIN or fingerprint always asks for it, whatever the site says (CTAP 2.1 §6.1.2 steps 7 and 8).',
  fingerprint: 'A fingerprint is enrolled: the key asks for the finger first; the browser falls back to the PIN when the finger is not recognised.',
  'fingerprint-not-enrolled': 'The key has a fingerprint sensor but no finger enrolled, so it cannot verify with it yet (enroll one with `fido2-manage fingerprints add`).',
  'pre-2.1':
    'This is a CTAP 2.0 (or 2.1-PRE) key: it has no always-UV and no makeCredUvNotRqd, so once it has a PIN every registration asks for it, even when the site says discouraged (some browsers register such keys through U2F instead to avoid the PIN).',
  'u2f-only': 'This key speaks only U2F (CTAP1): it cannot verify users or store passkeys, so sites that require either fail; the rest is a touch.',
};

const WHY_TEXT: Readonly<Record<Why, string>> = {
  'not-asked': 'neither the site nor the key asks for user verification',
  'site-asks': 'the site asks for user verification',
  'always-uv': 'always-UV is on',
  'passkey-on-protected-key': 'a passkey on a key with a PIN or fingerprint needs it',
  'make-cred-uv-not-rqd-off': 'makeCredUvNotRqd is off (or absent, as on CTAP 2.0 and 2.1-PRE keys)',
  'cannot-verify': 'this key cannot verify users: it has no PIN support and no fingerprint enrolled',
  'u2f-only': 'this key speaks only U2F',
};

/** A cell in one sentence: what happens and why. */
export function cellReason(c: Cell, row: Row): string {
  switch (c.ask) {
    case 'touch':
      return `touch only: ${WHY_TEXT[c.why]}`;
    case 'set-pin':
      return `the key has no PIN: a browser asks to set one first, because ${WHY_TEXT[c.why]}`;
    case 'fails':
      if (c.why === 'u2f-only') return row === 'passkey' ? 'fails: this key speaks only U2F and cannot store passkeys' : 'fails: this key speaks only U2F and cannot verify users';
      return `fails: ${WHY_TEXT[c.why]}`;
    default:
      return `${c.ask === 'pin' ? 'the PIN' : c.pinFallback ? 'the fingerprint, or the PIN as fallback' : 'the fingerprint'}, because ${WHY_TEXT[c.why]}`;
  }
}

/** A cell in a few words, for the table. */
export function cellText(c: Cell): string {
  const flag = c.uvFlag === null ? '' : `, UV ${c.uvFlag ? 1 : 0}`;
  switch (c.ask) {
    case 'touch':
      return `touch only${flag}`;
    case 'pin':
      return `PIN${flag}`;
    case 'fingerprint':
      return `${c.pinFallback ? 'fingerprint or PIN' : 'fingerprint'}${flag}`;
    case 'set-pin':
      return `set a PIN first${flag}`;
    case 'fails':
      return c.why === 'u2f-only' ? 'fails: U2F only' : 'fails: cannot verify';
  }
}
