/** Per-key results of a fleet run and what they add up to: an exit kind and a summary line. */
import { type ErrorKind, Fido2Error } from '../errors.js';
import type { Target } from './selection.js';

export interface KeyError {
  kind: ErrorKind | 'internal';
  message: string;
  reason?: string;
}

export interface KeyResult<R> {
  target: Target;
  ok: boolean;
  value?: R;
  error?: KeyError;
}

export function keyError(e: unknown): KeyError {
  if (e instanceof Fido2Error) return e.reason === undefined ? { kind: e.kind, message: e.message } : { kind: e.kind, message: e.message, reason: e.reason };
  return { kind: 'internal', message: `Unexpected error: ${e instanceof Error ? e.message : String(e)}` };
}

/**
 * 'ok' when every key succeeded; the shared kind when every key failed the
 * same way; otherwise 'partial' (some failed, or all failed in different ways).
 */
export function fleetOutcome(results: readonly KeyResult<unknown>[]): 'ok' | 'partial' | ErrorKind | 'internal' {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return 'ok';
  const kinds = new Set(failed.map((r) => r.error!.kind));
  if (failed.length === results.length && kinds.size === 1) return [...kinds][0]!;
  return 'partial';
}

/** "28 keys done, 2 failed: 3 (wrong PIN: pin-invalid), 7 (transport)". */
export function summaryLine(results: readonly KeyResult<unknown>[]): string {
  const failed = results.filter((r) => !r.ok);
  const done = results.length - failed.length;
  const keys = (n: number) => `${n} ${n === 1 ? 'key' : 'keys'}`;
  if (failed.length === 0) return `${keys(done)} done.`;
  const which = failed.map((r) => `key ${r.target.number} (${r.error!.kind})`).join(', ');
  return `${keys(done)} done, ${failed.length} failed: ${which}.`;
}

export { KeyFailure } from '../operations/key-failure.js';
