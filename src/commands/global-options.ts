import { Fido2Error } from '../errors.js';
import { parseDeviceSelector } from '../devices/discovery.js';
import type { PinSourceOptions } from './pin-input.js';

/** Options every command accepts (commander hands them over merged with the command's own). */
export interface GlobalOptions extends PinSourceOptions {
  json?: boolean;
  device?: string;
  timeout?: string;
  verbose?: boolean;
  pinProtocol?: string;
  uv?: boolean;
  minRetries?: string;
  /** A FIDO MDS3 BLOB file: keys are shown with their certification level. */
  mds?: string;
}

export function timeoutMs(g: GlobalOptions): number {
  if (g.timeout === undefined) return 30_000;
  const s = Number(g.timeout);
  if (!Number.isFinite(s) || s <= 0 || s > 3600) {
    throw new Fido2Error('usage', `--timeout takes a number of seconds above 0 and at most 3600 (e.g. 0.5 or 30), not "${g.timeout}".`);
  }
  return Math.round(s * 1000);
}

export function pinProtocol(g: GlobalOptions): 1 | 2 | undefined {
  if (g.pinProtocol === undefined) return undefined;
  if (g.pinProtocol === '1' || g.pinProtocol === '2') return Number(g.pinProtocol) as 1 | 2;
  throw new Fido2Error('usage', `--pin-protocol takes 1 or 2, not "${g.pinProtocol}".`);
}

export function minRetries(g: GlobalOptions): number | undefined {
  if (g.minRetries === undefined) return undefined;
  const n = Number(g.minRetries);
  if (!/^\d+$/.test(g.minRetries) || n > 8) throw new Fido2Error('usage', `--min-retries takes a whole number from 0 to 8, not "${g.minRetries}".`);
  return n;
}

/** Checks every global option value before a command touches anything, so a bad one is a usage error on every command. */
export function checkGlobalOptions(g: GlobalOptions): void {
  timeoutMs(g);
  pinProtocol(g);
  minRetries(g);
  // Several keys (repeated --device or a comma list) are checked one by one; `all` names every attached key.
  for (const d of (g.device ?? '').split(',')) if (d.trim().toLowerCase() !== 'all') parseDeviceSelector(d);
}
