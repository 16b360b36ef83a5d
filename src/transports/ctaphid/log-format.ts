/**
 * One log line per HID report. Only header fields are printed, plus payload
 * hex for commands that never carry secrets. CBOR and MSG payloads are never
 * printed: they carry PIN-derived values (pinUvAuthParam, encrypted PIN hashes).
 */
import { CTAPHID, commandName } from './commands.js';
import { hex32, parsePacket, INIT_DATA_SIZE, CONT_DATA_SIZE } from './packets.js';

const PAYLOAD_SAFE: ReadonlySet<number> = new Set([
  CTAPHID.INIT,
  CTAPHID.PING,
  CTAPHID.ERROR,
  CTAPHID.KEEPALIVE,
  CTAPHID.WINK,
  CTAPHID.CANCEL,
]);

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * Formats one report. `messageCmd` is the command of the message a
 * continuation packet belongs to (unknown to the packet itself), and
 * `remaining` the message bytes not yet covered, so padding is not printed.
 */
export function formatReport(
  direction: '>' | '<',
  report: Uint8Array,
  context: { messageCmd?: number; remaining?: number } = {},
): string {
  if (report.length !== 64) return `${direction} malformed report of ${report.length} bytes`;
  const p = parsePacket(report);
  if (p.type === 'init') {
    const shown = Math.min(p.bcnt, INIT_DATA_SIZE);
    const data = PAYLOAD_SAFE.has(p.cmd) ? ` ${toHex(p.data.subarray(0, shown))}` : '';
    return `${direction} cid=${hex32(p.cid)} cmd=${commandName(p.cmd)} len=${p.bcnt}${data}`;
  }
  const safe = context.messageCmd !== undefined && PAYLOAD_SAFE.has(context.messageCmd);
  const shown = Math.min(context.remaining ?? CONT_DATA_SIZE, CONT_DATA_SIZE);
  const data = safe ? ` ${toHex(p.data.subarray(0, Math.max(0, shown)))}` : '';
  return `${direction} cid=${hex32(p.cid)} seq=${p.seq}${data}`;
}
