/** `fido2-manage journal report FILE... [--csv]`: station journals merged, per key its last outcome, when and where. */
import { notice, printJson, printLine } from '../output.js';
import type { GlobalOptions } from '../global-options.js';
import { readJournalFile } from '../../fleet/journal.js';
import { mergeJournals, reportCsv, reportTable } from '../../fleet/journal-report.js';

export async function runJournalReport(files: readonly string[], o: { csv?: boolean }, g: GlobalOptions): Promise<void> {
  const entries = [];
  for (const f of files) {
    const j = await readJournalFile(f, false);
    if (j.skipped > 0) notice(`${f}: ${j.skipped} unreadable line(s) skipped.`);
    entries.push(...j.entries);
  }
  const rows = mergeJournals(entries);
  if (g.json) return printJson({ ok: true, device: null, files: [...files], keys: rows });
  const lines = o.csv ? reportCsv(rows) : reportTable(rows);
  for (const l of lines) printLine(l);
  if (!o.csv) printLine(`${rows.length} ${rows.length === 1 ? 'key' : 'keys'} in ${files.length} ${files.length === 1 ? 'journal' : 'journals'}.`);
}
