/**
 * Text a key or a website chose (rp, user and display names, fingerprint
 * names, vendor strings) can hold escape sequences and line breaks that would
 * colour, clear or retitle the terminal, or forge lines of the tool's own
 * output. `printable` shows such characters as visible escapes instead.
 *
 * Escaped: C0 controls (including CR, LF and TAB), DEL, C1 controls, and the
 * format characters that reorder or break what follows them: the bidi
 * embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the marks
 * U+200E/200F and U+061C, and the line and paragraph separators U+2028/2029.
 * A backslash is left as it is, so escaping twice changes nothing; JSON output
 * keeps the exact strings for anyone who needs them.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

function escape(c: string): string {
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

export function printable(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** For multi-line text the tool builds itself (error messages with a listing): each line escaped, the tool's line breaks kept. */
export function printableLines(text: string): string {
  return text.split('\n').map(printable).join('\n');
}
