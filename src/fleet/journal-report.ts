/** Journals from several stations merged into one row per key: its last outcome, when and where; pure. */
import type { JournalEntry } from './journal.js';

export interface ReportRow {
  key: string;
  serial: string;
  model: string;
  aaguid: string;
  outcome: string;
  error: string;
  time: string;
  station: string;
  policyDigest: string;
  /** Journal lines about this key, across all files. */
  entries: number;
}

/** The last entry per key by time (ISO times compare as strings), keys in order of first appearance by time. */
export function mergeJournals(entries: readonly JournalEntry[]): ReportRow[] {
  const byTime = [...entries].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const rows = new Map<string, ReportRow>();
  for (const e of byTime) {
    const count = (rows.get(e.key.id)?.entries ?? 0) + 1;
    rows.set(e.key.id, {
      key: e.key.id,
      serial: e.key.serial ?? '',
      model: e.key.model ?? '',
      aaguid: e.key.aaguid ?? '',
      outcome: e.outcome,
      error: e.error ? (e.error.reason ? `${e.error.kind}/${e.error.reason}` : e.error.kind) : '',
      time: e.time,
      station: e.station,
      policyDigest: e.policyDigest,
      entries: count,
    });
  }
  return [...rows.values()];
}

export const REPORT_COLUMNS = ['key', 'serial', 'model', 'aaguid', 'outcome', 'error', 'time', 'station', 'policyDigest', 'entries'] as const;

const cell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** CSV with a header line; pure. */
export function reportCsv(rows: readonly ReportRow[]): string[] {
  return [REPORT_COLUMNS.join(','), ...rows.map((r) => REPORT_COLUMNS.map((c) => cell(String(r[c]))).join(','))];
}

/** A plain-text table of the columns a person reads; pure. */
export function reportTable(rows: readonly ReportRow[]): string[] {
  const cols = ['key', 'model', 'outcome', 'error', 'time', 'station'] as const;
  const head: Record<string, string> = { key: 'KEY', model: 'MODEL', outcome: 'LAST OUTCOME', error: 'ERROR', time: 'WHEN', station: 'WHERE' };
  const all = [head, ...rows.map((r) => Object.fromEntries(cols.map((c) => [c, String(r[c]) || '-'])))];
  const w = cols.map((c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => cols.map((c, i) => r[c]!.padEnd(w[i]!)).join('  ').trimEnd());
}
