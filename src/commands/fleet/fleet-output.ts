/**
 * Per-key results on stdout: a table and a summary line for people, or one
 * JSON document with a `results` array; then the fleet's exit code.
 */
import { exitCodeFor } from '../../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { Fido2Error } from '../../errors.js';
import { modelName } from '../../devices/aaguid-models.js';
import { fleetOutcome, type KeyResult, summaryLine } from '../../fleet/results.js';

export interface Row {
  key: string;
  id: string;
  outcome: string;
  changes: string;
}

/** What names a key in a table: its USB serial, else its model from the AAGUID, else the AAGUID. */
export function keyId(serial: string | undefined, aaguid: string | undefined): string {
  return serial ?? modelName(aaguid) ?? aaguid ?? '-';
}

/** A plain-text table, columns padded to their widest cell; pure. */
export function formatTable(rows: readonly Row[]): string[] {
  const head: Row = { key: 'KEY', id: 'SERIAL/MODEL', outcome: 'OUTCOME', changes: 'WHAT CHANGED' };
  const all = [head, ...rows];
  const cols = ['key', 'id', 'outcome'] as const;
  const w = cols.map((c) => Math.max(...all.map((r) => r[c].length)));
  return all.map((r) => `${cols.map((c, i) => r[c].padEnd(w[i]!)).join('  ')}  ${r.changes}`.trimEnd());
}

/** Thrown after the results were printed: the CLI exits with its code and prints nothing more. */
export class FleetExit extends Fido2Error {
  readonly reported = true;
}

/** Prints the results and throws FleetExit unless every key succeeded. */
export function finishFleet<R>(json: boolean | undefined, results: readonly KeyResult<R>[], rows: readonly Row[], entry: (r: KeyResult<R>) => Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  const outcome = fleetOutcome(results);
  const summary = summaryLine(results);
  if (json) {
    printJson({
      ok: outcome === 'ok',
      device: results.map((r) => r.target.label),
      ...extra,
      results: results.map((r) => ({
        device: r.target.label,
        ...(r.target.serial ? { serial: r.target.serial } : {}),
        ok: r.ok,
        ...(r.error ? { error: { kind: r.error.kind, exitCode: exitCodeFor(r.error.kind), message: r.error.message, ...(r.error.reason ? { reason: r.error.reason } : {}) } } : {}),
        ...entry(r),
      })),
      summary,
    });
  } else {
    for (const l of formatTable(rows)) printLine(l);
    printLine(summary);
  }
  if (outcome !== 'ok') throw new FleetExit(outcome === 'internal' ? 'partial' : outcome, summary);
}
