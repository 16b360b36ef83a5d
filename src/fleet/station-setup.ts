/**
 * A station's journal, policy digest and PIN generation from its options
 * (`--journal`, `--station`, `--generate-pins`, `--pin-alphabet`), checked before any key is touched.
 */
import { hostname } from 'node:os';
import { Fido2Error } from '../errors.js';
import { DIGITS, HandoffFile, parseAlphabet } from './handoff.js';
import { Journal, policyDigest } from './journal.js';
import type { Policy } from './policy.js';
import type { StationSetup } from './provision.js';
import { readMdsBlob } from '../devices/mds.js';

export interface StationFlags {
  watch?: boolean;
  includePresent?: boolean;
  journal?: string;
  station?: string;
  generatePins?: string;
  pinAlphabet?: string;
  /** A FIDO MDS3 BLOB file, verified before any key is touched. */
  mds?: string;
}

/** The station's setup, or undefined when no station option is given (plain `apply`). */
export async function stationSetup(f: StationFlags, policy: Policy, dryRun: boolean, warn: (line: string) => void = () => undefined): Promise<StationSetup | undefined> {
  if (!f.watch && f.journal === undefined && f.generatePins === undefined && f.station === undefined && f.mds === undefined) return undefined;
  if (f.pinAlphabet !== undefined && f.generatePins === undefined) throw new Fido2Error('usage', '--pin-alphabet goes with --generate-pins FILE; add it, or leave --pin-alphabet out.');
  if (f.station !== undefined && (f.station.trim() === '' || /[\p{Cc}]/u.test(f.station))) throw new Fido2Error('usage', '--station takes a name without control characters, e.g. --station desk-2.');
  const alphabet = parseAlphabet(f.pinAlphabet ?? DIGITS);
  const mds = f.mds === undefined ? undefined : readMdsBlob(f.mds);
  const journal = f.journal === undefined ? undefined : await Journal.open(f.journal);
  if (journal && journal.skipped > 0) warn(`${journal.file}: ${journal.skipped} unreadable line(s) skipped (a torn last line from a crash?); the keys they named are done again if needed.`);
  // A dry run makes no PIN, so it creates no hand-off file.
  let handoff: HandoffFile | undefined;
  try {
    handoff = f.generatePins === undefined || dryRun ? undefined : HandoffFile.create(f.generatePins);
  } catch (e) {
    journal?.close();
    throw e;
  }
  return {
    ...(journal ? { journal } : {}),
    digest: policyDigest(policy),
    station: f.station ?? hostname(),
    ...(mds ? { mds } : {}),
    ...(f.generatePins === undefined ? {} : { generate: { handoff: handoff ?? dryRunHandoff(), alphabet } }),
  };
}

/** Never written to: the station authorizer records nothing in a dry run. */
const dryRunHandoff = (): HandoffFile => ({ record: () => '', close: () => undefined }) as unknown as HandoffFile;

export function closeSetup(s: StationSetup | undefined): void {
  s?.journal?.close();
  s?.generate?.handoff.close();
}
