/** What `uv-check` prints: the table, the notes, the live comparison, and the same as JSON. */
import { COLUMNS, NOTE_TEXT, ROWS, ROW_LABELS, cellReason, cellText, type Prediction, type UvFacts } from '../../ctap/uv-prediction.js';
import type { UvLiveReport as LiveReport } from '../../operations/uv-check/check.js';
import { observedText } from '../../operations/uv-check/observe.js';
import type { PasskeyPlan } from '../../operations/uv-check/plan.js';
import { PROBE_RP_ID } from '../../operations/uv-check/plan.js';

export type { LiveReport };

const CTAP_NAMES: Readonly<Record<UvFacts['ctap'], string>> = { 'fido-2.1': 'FIDO 2.1', 'fido-2.1-pre': 'FIDO 2.1-PRE', 'fido-2.0': 'FIDO 2.0', 'u2f-only': 'U2F only' };

export function factsLine(f: UvFacts): string {
  if (f.ctap === 'u2f-only') return 'U2F only (no CTAP2)';
  const pin = { set: 'PIN set', unset: 'no PIN set', absent: 'no PIN support' }[f.clientPin];
  const uv = { enrolled: 'fingerprint enrolled', 'not-enrolled': 'fingerprint sensor without a finger', absent: 'no fingerprint sensor' }[f.builtInUv];
  const extra = f.ctap === 'fido-2.1' ? `, always-UV ${f.alwaysUv ? 'on' : 'off'}, makeCredUvNotRqd ${f.makeCredUvNotRqd ? 'on' : 'off'}` : '';
  return `${CTAP_NAMES[f.ctap]}, ${pin}, ${uv}${extra}`;
}

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));

/** The matrix as an aligned text table. */
export function tableLines(p: Prediction): string[] {
  const label = Math.max(...ROWS.map((r) => ROW_LABELS[r].length)) + 2;
  const texts = ROWS.map((r) => COLUMNS.map((c) => cellText(p.cells[r][c])));
  const width = COLUMNS.map((c, i) => Math.max(c.length, ...texts.map((t) => t[i]!.length)) + 2);
  const line = (first: string, cells: readonly string[]) => (pad(first, label) + cells.map((c, i) => pad(c, width[i]!)).join('')).trimEnd();
  return [line('site asks for UV:', COLUMNS), ...ROWS.map((r, i) => line(ROW_LABELS[r], texts[i]!))];
}

const PASSKEY_SKIPPED: Readonly<Record<Exclude<PasskeyPlan, 'live'>, string>> = {
  'not-asked': 'The passkey row was not tried live (add --include-passkey to create one test passkey and delete it again).',
  'no-pin': 'The passkey row was not tried live: the key has no PIN.',
  'no-credential-management': 'The passkey row was not tried live: this key cannot delete passkeys (no credential management), so none is made.',
  'u2f-only': 'Nothing was tried live: a U2F-only key cannot be asked CTAP2 requests.',
};

export function liveLines(p: Prediction, live: LiveReport): string[] {
  const rows: [string, string, string, boolean][] = [];
  for (const r of ROWS) {
    for (const c of COLUMNS) {
      const chk = live.checks[r][c];
      if (chk.observed.outcome === 'not-probed') continue;
      rows.push([`${ROW_LABELS[r].replace(/ \(.*\)$/, '')} / ${c}`, cellText(p.cells[r][c]), observedText(chk.observed), chk.matches]);
    }
  }
  const silent = live.results.get('ga-silent');
  if (silent) {
    const seen = silent.status === 'ok' ? `answered, UP ${silent.up ? 1 : 0} UV ${silent.uv ? 1 : 0}` : `refused (${silent.status})`;
    rows.push(['silent sign-in (up=false)', 'answered, UP 0 UV 0', seen, live.silent.matches]);
  }
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((x) => (x[i] as string).length)) + 2);
  rows.unshift(['', 'predicted', 'observed', true]);
  const out: string[] = ['', `Checked live on the key (RP ID ${PROBE_RP_ID}, ${live.plan.touches} ${live.plan.touches === 1 ? 'touch' : 'touches'}):`];
  rows.forEach(([what, predicted, observed, ok], i) => out.push(`  ${pad(what, w[0]!)}${pad(predicted, w[1]!)}${pad(observed, w[2]!)}${i === 0 ? '' : ok ? 'as predicted' : 'DEVIATES'}`.trimEnd()));
  if (live.plan.passkey !== 'live') out.push(PASSKEY_SKIPPED[live.plan.passkey]);
  if (live.passkey) out.push(live.passkey.message);
  out.push(
    live.deviations.length === 0
      ? 'The key answered as CTAP 2.1 says in every cell tried; only non-discoverable credentials were made, which leave nothing on the key.'
      : `The key deviates from CTAP 2.1: ${live.deviations.join('; ')}.`,
  );
  return out;
}

export function textLines(device: string, p: Prediction, live: LiveReport | undefined): string[] {
  const out = [`Key ${device}: ${factsLine(p.facts)}.`, 'What the person is asked for, by what the site asks (WebAuthn userVerification), and the UV flag the site receives:', '', ...tableLines(p)];
  if (p.notes.length > 0) out.push('', 'Notes:', ...p.notes.map((n) => `- ${NOTE_TEXT[n]}`));
  if (live) out.push(...liveLines(p, live));
  return out;
}

export function toJson(device: string, versions: readonly string[], p: Prediction, live: LiveReport | undefined): Record<string, unknown> {
  const matrix = Object.fromEntries(
    ROWS.map((r) => [
      r,
      Object.fromEntries(
        COLUMNS.map((c) => {
          const cell = p.cells[r][c];
          const predicted = { outcome: cell.ask, text: cellText(cell), reason: cellReason(cell, r), uv: cell.uvFlag, pinFallback: cell.pinFallback, why: cell.why };
          const chk = live?.checks[r][c];
          if (!chk) return [c, { predicted }];
          const o = chk.observed;
          const observed = { outcome: o.outcome, text: observedText(o), pinAsked: o.pinAsked, uvAsked: o.uvAsked, up: o.upFlag, uv: o.uvFlag, ...(o.status ? { status: o.status } : {}), probes: o.probes };
          return [c, { predicted, observed, matches: chk.matches, ...(chk.deviation ? { deviation: chk.deviation } : {}) }];
        }),
      ),
    ]),
  );
  return {
    device,
    facts: { versions: [...versions], ...p.facts },
    matrix,
    notes: p.notes.map((id) => ({ id, text: NOTE_TEXT[id] })),
    ...(live
      ? {
          live: {
            rpId: PROBE_RP_ID,
            touches: live.plan.touches,
            probes: [...live.results.values()],
            silentSignIn: { predicted: { outcome: 'answered', up: false, uv: false }, observed: live.results.get('ga-silent') ?? null, ...live.silent },
            passkey: live.passkey ?? { tried: false, reason: live.plan.passkey },
            deviations: live.deviations,
          },
        }
      : {}),
  };
}
