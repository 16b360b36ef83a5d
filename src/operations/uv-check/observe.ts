/**
 * From the key's answers to the probes to what a browser would meet in each
 * cell, and where that differs from CTAP 2.1 (pure). A cell whose browser
 * verifies first (required, or preferred on a protected key) reads the
 * verified probe; the others read the plain probe, and when the key refuses
 * that without UV (PUAT_REQUIRED) the browser would verify and go on.
 */
import { COLUMNS, ROWS, ROW_LABELS, cellText, type Ask, type Cell, type Column, type Prediction, type Row } from '../../ctap/uv-prediction.js';
import { siteVerifies, type ProbeId, type Verify } from './plan.js';

export interface ProbeResult {
  readonly id: ProbeId;
  readonly verify: Verify;
  /** 'ok' or the CTAP status name the key refused with. */
  readonly status: string;
  readonly up?: boolean;
  readonly uv?: boolean;
  readonly pinAsked: boolean;
  readonly uvAsked: boolean;
}

export interface Observed {
  readonly outcome: Ask | 'not-probed';
  readonly uvFlag: boolean | null;
  readonly upFlag: boolean | null;
  readonly pinAsked: boolean;
  readonly uvAsked: boolean;
  /** The key's status when it refused. */
  readonly status?: string;
  /** The probe(s) this rests on; none when it comes from getInfo (nothing can be sent without setting a PIN). */
  readonly probes: readonly ProbeId[];
}

export interface CellCheck {
  readonly observed: Observed;
  readonly matches: boolean;
  /** Plain words when the key deviates from CTAP 2.1. */
  readonly deviation?: string;
}

/** Statuses that mean "not without user verification" (CTAP 2.1 §6.1.2 steps 6-8; 0x36 is CTAP 2.0's PIN_REQUIRED). */
const WANTS_UV = new Set(['CTAP2_ERR_PUAT_REQUIRED', 'CTAP2_ERR_OPERATION_DENIED']);

const PROBES: Readonly<Record<Row, { plain: ProbeId; verified: ProbeId }>> = {
  register: { plain: 'mc-plain', verified: 'mc-verified' },
  passkey: { plain: 'passkey-plain', verified: 'passkey-verified' },
  'sign-in': { plain: 'ga-plain', verified: 'ga-verified' },
};

const notProbed: Observed = { outcome: 'not-probed', uvFlag: null, upFlag: null, pinAsked: false, uvAsked: false, probes: [] };

function fromVerified(r: ProbeResult, also: ProbeId[] = []): Observed {
  const probes = [...also, r.id];
  const asked = { pinAsked: r.pinAsked, uvAsked: r.uvAsked };
  if (r.status !== 'ok') return { outcome: 'fails', uvFlag: null, upFlag: null, ...asked, status: r.status, probes };
  return { outcome: r.verify === 'pin-token' ? 'pin' : 'fingerprint', uvFlag: r.uv ?? false, upFlag: r.up ?? false, ...asked, probes };
}

/** No request can show it without setting a PIN first: the key's getInfo says what the browser does. */
function fromGetInfo(p: Prediction, also: ProbeId[] = []): Observed {
  const canSetPin = p.facts.clientPin === 'unset';
  return { outcome: canSetPin ? 'set-pin' : 'fails', uvFlag: canSetPin ? true : null, upFlag: null, pinAsked: false, uvAsked: false, probes: also };
}

export function observeCell(p: Prediction, results: ReadonlyMap<ProbeId, ProbeResult>, row: Row, column: Column): Observed {
  const ids = PROBES[row];
  const plain = results.get(ids.plain);
  const verified = results.get(ids.verified);
  if (plain === undefined && verified === undefined) return notProbed;
  if (siteVerifies(p.facts, column)) return verified ? fromVerified(verified) : fromGetInfo(p);
  if (plain === undefined) return notProbed;
  if (plain.status === 'ok') {
    // A UV flag on a request without token: the key verified by itself (always-UV with a finger enrolled).
    const outcome: Ask = plain.uv === true && p.facts.builtInUv === 'enrolled' ? 'fingerprint' : 'touch';
    return { outcome, uvFlag: plain.uv ?? false, upFlag: plain.up ?? false, pinAsked: false, uvAsked: plain.uvAsked, probes: [plain.id] };
  }
  if (WANTS_UV.has(plain.status)) return verified ? fromVerified(verified, [plain.id]) : fromGetInfo(p, [plain.id]);
  return { outcome: 'fails', uvFlag: null, upFlag: null, pinAsked: false, uvAsked: false, status: plain.status, probes: [plain.id] };
}

const WHAT: Readonly<Record<Row, string>> = { register: 'a registration', passkey: 'a new passkey', 'sign-in': 'a sign-in' };

const ASKED: Readonly<Record<Ask, string>> = { touch: 'a touch', pin: 'the PIN', fingerprint: 'a fingerprint', 'set-pin': 'a PIN', fails: 'nothing' };

const BECAUSE: Readonly<Record<string, string>> = {
  'always-uv': 'although always-UV is on',
  'passkey-on-protected-key': 'although it is protected by a PIN or fingerprint',
  'make-cred-uv-not-rqd-off': 'although its makeCredUvNotRqd is off',
  'site-asks': 'although the site asked for user verification',
};

/** The deviation, in plain words, or undefined when the key behaves as CTAP 2.1 says. */
export function describeDeviation(row: Row, column: Column, predicted: Cell, o: Observed): string | undefined {
  if (o.outcome === 'not-probed') return undefined;
  const what = WHAT[row];
  if (o.outcome === 'touch' && predicted.ask !== 'touch') return `this key lets ${what} through without PIN or fingerprint ${BECAUSE[predicted.why] ?? ''}`.trim();
  if (o.outcome === 'fails' && predicted.ask !== 'fails') return `this key refuses ${what} (${o.status ?? 'no answer'}) that CTAP 2.1 accepts (${column})`;
  if (predicted.ask === 'touch' && o.outcome !== 'touch') return `this key asks for ${ASKED[o.outcome]} on ${what} that CTAP 2.1 lets through with a touch (${column})`;
  if (o.uvFlag !== predicted.uvFlag) return `this key sends UV ${o.uvFlag ? 1 : 0} on ${what} where CTAP 2.1 gives UV ${predicted.uvFlag ? 1 : 0} (${column})`;
  if (o.upFlag === false) return `this key answers ${what} without the UP flag although it was touched (${column})`;
  return undefined;
}

export function checkCell(p: Prediction, results: ReadonlyMap<ProbeId, ProbeResult>, row: Row, column: Column): CellCheck {
  const observed = observeCell(p, results, row, column);
  const deviation = describeDeviation(row, column, p.cells[row][column], observed);
  return { observed, matches: deviation === undefined, ...(deviation === undefined ? {} : { deviation }) };
}

export type Checks = Record<Row, Record<Column, CellCheck>>;

export function checkAll(p: Prediction, results: ReadonlyMap<ProbeId, ProbeResult>): Checks {
  const row = (r: Row) => Object.fromEntries(COLUMNS.map((c) => [c, checkCell(p, results, r, c)])) as Record<Column, CellCheck>;
  return Object.fromEntries(ROWS.map((r) => [r, row(r)])) as Checks;
}

/** The silent sign-in (`up: false`): answered without a touch, UP 0 and UV 0 (CTAP 2.1 §6.2.2 steps 5 and 9). */
export function checkSilent(r: ProbeResult | undefined): { matches: boolean; deviation?: string } {
  if (r === undefined) return { matches: true };
  if (r.status !== 'ok') return { matches: false, deviation: `this key refuses a silent sign-in (up=false, ${r.status}), which CTAP 2.1 answers without a touch` };
  if (r.up === true) return { matches: false, deviation: 'this key sets the UP flag on a silent sign-in (up=false)' };
  if (r.uv === true) return { matches: false, deviation: 'this key sets the UV flag on a silent sign-in (up=false) without any verification' };
  return { matches: true };
}

export function observedText(o: Observed): string {
  if (o.outcome === 'not-probed') return 'not tried';
  if (o.outcome === 'fails') return `fails (${o.status ?? 'no request possible'})`;
  const cell: Cell = { ask: o.outcome, pinFallback: false, uvFlag: o.uvFlag, why: 'site-asks' };
  return cellText(cell) + (o.probes.length === 0 ? ' (from getInfo)' : '');
}

export const rowLabel = (r: Row): string => ROW_LABELS[r];
