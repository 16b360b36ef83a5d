/**
 * One key at a provisioning station: name it (identity, model, firmware),
 * consult the journal (a key done under this policy that still complies is
 * skipped; one whose state changed since is done again, and says so), run the
 * settings operation, and append the key's journal line whatever the outcome.
 */
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { modelName } from '../devices/aaguid-models.js';
import { ownIdentity } from '../devices/key-identity.js';
import { Fido2Error } from '../errors.js';
import type { MdsBlob } from '../devices/mds.js';
import type { Authorizer } from '../operations/authorizer.js';
import type { KeyHandle } from '../operations/key-handle.js';
import { KeyFailure } from '../operations/key-failure.js';
import { type ApplyKeyResult, applySettings, type SettingsOptions } from '../operations/settings.js';
import { keyStateFromInfo, planPolicy, type Policy } from '../operations/settings-plan.js';
import { type HandoffFile, stationAuthorizer } from './handoff.js';
import { type Journal, type JournalEntry, type JournalKey, type JournalOutcome } from './journal.js';
import { keyError } from './results.js';
import type { Target } from './selection.js';

/** What a station adds to a key's result. */
export interface StationKeyResult extends ApplyKeyResult {
  outcome: JournalOutcome;
  key: JournalKey;
  /** Done under this policy before, no longer complied, done again. */
  redone?: boolean;
  /** Hand-off row of the PIN the station made (FILE#ROW). */
  pinHandoff?: string;
}

export interface StationSetup {
  journal?: Journal;
  digest: string;
  station: string;
  generate?: { handoff: HandoffFile; alphabet: readonly string[] };
  /** A verified MDS BLOB (--mds): keys are named with their certification level. */
  mds?: MdsBlob;
}

export function transportOf(t: Target): string {
  if (/^tcp:/i.test(t.selector)) return 'tcp';
  if (/^pcsc:/i.test(t.selector)) return 'pcsc';
  if (t.selector === 'sim') return 'sim';
  return 'hid';
}

/** The key as the journal and the results name it; pure. */
export function journalKey(t: Target, info?: Pick<AuthenticatorInfo, 'aaguid' | 'firmwareVersion'>, mds?: MdsBlob): JournalKey {
  const entry = info?.aaguid === undefined ? undefined : mds?.entries.get(info.aaguid.toLowerCase());
  const model = modelName(info?.aaguid) ?? entry?.description;
  return {
    id: t.keyId ? ownIdentity(t.keyId) : (t.id ?? t.selector),
    ...(t.keyId ? { keyId: t.keyId } : {}),
    device: t.label,
    transport: transportOf(t),
    ...(t.serial ? { serial: t.serial } : {}),
    ...(info?.aaguid ? { aaguid: info.aaguid } : {}),
    ...(model ? { model } : {}),
    ...(info?.firmwareVersion === undefined ? {} : { firmwareVersion: info.firmwareVersion }),
    ...(entry?.status === undefined ? {} : { certification: entry.status }),
  };
}

export async function provisionKey(key: KeyHandle, t: Target, policy: Policy, auth: Authorizer, s: StationSetup, opts: SettingsOptions = {}): Promise<StationKeyResult> {
  let info: AuthenticatorInfo | undefined;
  let pinHandoff: string | undefined;
  let redone = false;
  const entry = (outcome: JournalOutcome, r: ApplyKeyResult | undefined, e?: unknown): JournalEntry => ({
    time: new Date().toISOString(),
    station: s.station,
    key: journalKey(t, info, s.mds),
    policyDigest: s.digest,
    steps: (r?.steps ?? []).map((x) => ({ op: x.step.op, description: x.description, status: x.status })),
    outcome,
    ...(redone ? { redone } : {}),
    ...(e === undefined ? {} : { error: keyError(e) }),
    ...(pinHandoff === undefined ? {} : { pinHandoff }),
  });
  const record = (en: JournalEntry): void => {
    if (!opts.dryRun) s.journal?.append(en);
  };
  try {
    info = await key.ctap.getInfo();
    const state = keyStateFromInfo(info);
    const plan = planPolicy(policy, state);
    const complies = plan.ok && plan.steps.length === 0;
    const prior = s.journal?.doneUnder(journalKey(t, info, s.mds).id, s.digest);
    if (prior && complies) {
      const r: ApplyKeyResult = { device: key.label, aaguid: info.aaguid, dryRun: opts.dryRun === true, before: state, after: state, steps: [], changed: false };
      const en = entry('skipped', r);
      record(en);
      return { ...r, outcome: 'skipped', key: en.key };
    }
    redone = prior !== undefined;
    const keyAuth = s.generate
      ? stationAuthorizer(auth, {
          ...s.generate,
          policyMin: policy.minPinLength?.length ?? 0,
          row: { identity: journalKey(t, info, s.mds).id, ...(t.serial ? { serial: t.serial } : {}), ...(modelName(info.aaguid) ? { model: modelName(info.aaguid)! } : {}) },
          dryRun: opts.dryRun === true,
          onRecorded: (ref) => (pinHandoff = ref),
        })
      : auth;
    const r = await applySettings(key, policy, keyAuth, opts);
    const outcome: JournalOutcome = r.changed ? 'changed' : 'compliant';
    const en = entry(outcome, r);
    record(en);
    return { ...r, outcome, key: en.key, ...(redone ? { redone } : {}), ...(pinHandoff === undefined ? {} : { pinHandoff }) };
  } catch (e) {
    const partial = e instanceof KeyFailure ? (e.detail as ApplyKeyResult) : undefined;
    record(entry('failed', partial, e));
    if (!(e instanceof Fido2Error)) throw e;
    // The failure carries the station's naming of the key too, and the hand-off row if a PIN was made.
    const detail: StationKeyResult = {
      ...(partial ?? { device: key.label, dryRun: opts.dryRun === true, steps: [], changed: false }),
      outcome: 'failed',
      key: journalKey(t, info, s.mds),
      ...(pinHandoff === undefined ? {} : { pinHandoff }),
    };
    throw new KeyFailure(e, detail);
  }
}
