/**
 * Observed against predicted: one ceremony's outcome beside what `uv-check`'s
 * prediction (uv-prediction.ts) says for the same choice and key state, and
 * the difference in one sentence. Pure: no I/O, table-tested.
 */
import { type Cell, type Column, type Row, type UvFacts, cellReason, cellText, predictCell } from '../ctap/uv-prediction.js';

export type Ceremony = 'register' | 'sign-in';

/** What the person chose on the page (WebAuthn L3 §5.4 / §5.5 options). */
export interface Choice {
  userVerification: Column;
  /** residentKey `required`: a discoverable credential. */
  passkey: boolean;
  attestation: 'none' | 'direct';
}

export type Observed =
  | { ok: true; up: boolean; uv: boolean }
  /** `stage` browser: navigator.credentials failed; server: the library refused the response. */
  | { ok: false; stage: 'browser' | 'server'; message: string };

export interface Verdict {
  row: Row;
  predicted: Cell;
  /** The prediction in a few words and in one sentence. */
  predictedText: string;
  predictedReason: string;
  match: boolean;
  /** One sentence: "as predicted", or the difference. */
  sentence: string;
}

/** Which uv-check row a ceremony is: sign-ins are one row; registrations split on passkey or not. */
export function rowFor(ceremony: Ceremony, passkey: boolean): Row {
  if (ceremony === 'sign-in') return 'sign-in';
  return passkey ? 'passkey' : 'register';
}

const DONE: Readonly<Record<Ceremony, string>> = { register: 'registered', 'sign-in': 'signed in' };

function difference(f: UvFacts, c: Cell, choice: Choice, ceremony: Ceremony, o: Observed): string | undefined {
  if (!o.ok) {
    if (o.stage === 'server') return `the server refused the response: ${o.message}`;
    return c.ask === 'fails' ? undefined : `the prediction was ${cellText(c)}, but the browser reported: ${o.message}`;
  }
  if (c.ask === 'fails') return `the prediction was that this fails (${cellReason(c, rowFor(ceremony, choice.passkey))}), but the key ${DONE[ceremony]} with UV ${o.uv ? 1 : 0}`;
  if (!o.up) return 'the key answered without user presence (UP 0), which a browser never asks for here';
  if (o.uv && c.uvFlag === false) {
    if (choice.userVerification === 'discouraged') return 'the browser asked for a PIN the site did not need';
    return 'the key verified the user although the prediction, for a key without PIN or fingerprint set, was a touch only';
  }
  if (!o.uv && c.uvFlag === true) {
    if (f.alwaysUv) return 'always-UV is on but the key answered without UV';
    if (c.why === 'site-asks') return 'the site asked for user verification but the key answered without it';
    return `the key ${DONE[ceremony]} without UV, although ${cellReason(c, rowFor(ceremony, choice.passkey)).replace(/^[^,]*, because /, '')}`;
  }
  return undefined;
}

export function verdict(f: UvFacts, choice: Choice, ceremony: Ceremony, observed: Observed): Verdict {
  const row = rowFor(ceremony, choice.passkey);
  const predicted = predictCell(f, row, choice.userVerification);
  const diff = difference(f, predicted, choice, ceremony, observed);
  const predictedReason = cellReason(predicted, row);
  return {
    row,
    predicted,
    predictedText: cellText(predicted),
    predictedReason,
    match: diff === undefined,
    sentence: diff === undefined ? `As predicted: ${predictedReason}.` : `${diff[0]!.toUpperCase()}${diff.slice(1).replace(/\.+$/, '')}.`,
  };
}
