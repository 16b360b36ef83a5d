/**
 * What a terminal shows after some output: enough of a VT100 for the live
 * progress lines (CR, LF, CSI n A, CSI 2K, CSI 0J, CSI n G); other escape
 * sequences are skipped. Lines are returned without trailing spaces.
 */
export function screen(output: string): string[] {
  const rows: string[][] = [[]];
  let row = 0;
  let col = 0;
  const line = (): string[] => (rows[row] ??= []);
  for (let i = 0; i < output.length; i++) {
    const c = output[i]!;
    if (c === '\r') col = 0;
    else if (c === '\n') {
      row++;
      col = 0;
      line();
    } else if (c === '\x1b' && output[i + 1] === '[') {
      const m = /^\x1b\[([0-9;]*)([A-Za-z])/.exec(output.slice(i))!;
      i += m[0].length - 1;
      const n = m[1] === '' ? undefined : Number(m[1]);
      if (m[2] === 'A') row = Math.max(0, row - (n ?? 1));
      else if (m[2] === 'G') col = (n ?? 1) - 1;
      else if (m[2] === 'K' && n === 2) rows[row] = [];
      else if (m[2] === 'J' && (n ?? 0) === 0) {
        line().length = col;
        rows.length = row + 1;
      }
    } else if (c === '\x1b') i++;
    else if (c >= ' ') {
      const l = line();
      while (l.length < col) l.push(' ');
      l[col++] = c;
    }
  }
  return rows.map((r) => r.join('').trimEnd());
}

/** The row the cursor is on, as written so far (where a prompt waits for its answer). */
export function lastRow(output: string): string {
  const rows = screen(output);
  return rows[rows.length - 1] ?? '';
}
