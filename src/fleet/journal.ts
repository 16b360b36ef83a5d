/**
 * The station journal: one JSON line per key worked on (JSONL), appended so that
 * a crash or `kill -9` never leaves a torn line: the whole line goes out in one
 * write(2) on a file opened O_APPEND, then fsync before the next key is reported
 * done. A reader still skips a last line without its newline (a disk that
 * lost power mid-write), and says how many it skipped. Never holds a PIN.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Fido2Error } from '../errors.js';

/** The key as the journal names it. */
export interface JournalKey {
  /** keyIdentity: what resume matches on (key:KEYID when the key's own identity is known, else serial:S, tcp:ADDR:PORT, ...). */
  id: string;
  /** keyIdOf the key's CTAP 2.3 identifier (a one-way digest), when a kept persistent token recognises the key. */
  keyId?: string;
  device: string;
  transport: string;
  serial?: string;
  aaguid?: string;
  model?: string;
  firmwareVersion?: number;
  /** The model's latest FIDO certification status from the MDS BLOB (--mds), e.g. FIDO_CERTIFIED_L1. */
  certification?: string;
}

export type JournalOutcome = 'changed' | 'compliant' | 'skipped' | 'failed';

export interface JournalEntry {
  time: string;
  station: string;
  key: JournalKey;
  policyDigest: string;
  /** Each step planned, with its status: done, failed, not-run (planned only in a dry run). */
  steps: { op: string; description: string; status: string }[];
  /** changed / compliant (nothing to do) / skipped (the journal had it done and the key still complies) / failed. */
  outcome: JournalOutcome;
  /** The key had been done under this policy but no longer complied, and was done again. */
  redone?: boolean;
  error?: { kind: string; reason?: string; message: string };
  /** The hand-off file row holding the PIN the station made for this key (FILE#ROW); never the PIN. */
  pinHandoff?: string;
}

/** JSON with object keys sorted at every level: one spelling per value, so one digest per policy; pure. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** "sha256:<hex>" of the canonical policy; pure. */
export const policyDigest = (policy: unknown): string => `sha256:${createHash('sha256').update(canonicalJson(policy)).digest('hex')}`;

export const isDone = (e: JournalEntry): boolean => e.outcome !== 'failed';

/** Parses journal text: whole lines only; a line that does not parse (torn, or not ours) is counted, not fatal; pure. */
export function parseJournal(text: string): { entries: JournalEntry[]; skipped: number } {
  const entries: JournalEntry[] = [];
  let skipped = 0;
  const lines = text.split('\n');
  // The text after the last newline is an unfinished line (or empty).
  const unfinished = lines.pop() ?? '';
  if (unfinished.trim() !== '') skipped++;
  for (const line of lines) {
    if (line.trim() === '') continue;
    try {
      const e = JSON.parse(line) as JournalEntry;
      if (typeof e !== 'object' || e === null || typeof e.key?.id !== 'string' || typeof e.outcome !== 'string') throw new Error('not an entry');
      entries.push(e);
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

export async function readJournalFile(file: string, missingOk: boolean): Promise<{ entries: JournalEntry[]; skipped: number }> {
  try {
    return parseJournal(await readFile(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && missingOk) return { entries: [], skipped: 0 };
    throw new Fido2Error('usage', `Cannot read the journal ${file} (${code ?? String(e)}); check the path and its permissions.`);
  }
}

/** An open journal: what earlier runs recorded, and appending for this one. */
export class Journal {
  private readonly last = new Map<string, JournalEntry>();

  private constructor(
    readonly file: string,
    private readonly fd: number,
    entries: readonly JournalEntry[],
    /** Lines of earlier runs that could not be read (a torn last line). */
    readonly skipped: number,
  ) {
    for (const e of entries) this.last.set(e.key.id, e);
  }

  static async open(file: string): Promise<Journal> {
    const { entries, skipped } = await readJournalFile(file, true);
    let fd: number;
    try {
      fd = openSync(file, 'a', 0o600);
    } catch (e) {
      throw new Fido2Error('usage', `Cannot open the journal ${file} for appending (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path and its permissions.`);
    }
    return new Journal(file, fd, entries, skipped);
  }

  /** The last entry for a key that says it was done under this policy digest. */
  doneUnder(id: string, digest: string): JournalEntry | undefined {
    const e = this.last.get(id);
    return e && e.policyDigest === digest && isDone(e) ? e : undefined;
  }

  /** Appends one whole line in one write and flushes it to the disk before returning. */
  append(entry: JournalEntry): void {
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, 'utf8');
    let off = 0;
    // A regular file takes the whole buffer in one write; the loop only guards a short write (a full disk says so by throwing).
    while (off < line.length) off += writeSync(this.fd, line, off, line.length - off);
    fsyncSync(this.fd);
    this.last.set(entry.key.id, entry);
  }

  close(): void {
    closeSync(this.fd);
  }
}
