/**
 * fido2-manage as a library: find keys, open one, read its info, manage its PIN
 * and settings, and bring many keys to one policy with per-key results.
 *
 *   import { applyPolicy } from 'fido2-manage';
 *   const results = await applyPolicy('all', { pin: true, alwaysUv: true }, { pin: '12345678' });
 *
 * Every failure is a Fido2Error whose `kind` is one of the CLI's exit-code kinds
 * (EXIT_CODES maps a kind to its number).
 */
import { resolveTargets, splitDeviceValues } from './fleet/selection.js';
import { applyToTargets } from './fleet/apply-many.js';
import { selectorLock } from './fleet/selector-lock.js';
import type { ApplyKeyResult, StepResult } from './operations/settings.js';
import type { KeyState } from './operations/settings-plan.js';
import { type Policy, validatePolicy } from './fleet/policy.js';
import type { FleetEvent } from './fleet/runner.js';
import { exitCodeFor, EXIT_CODES } from './exit-codes.js';
import { type DeviceInfo, listDevices, openChannel } from './devices/discovery.js';
import { Fido2Key, type KeyOptions } from './api/key.js';
import type { ErrorKind } from './errors.js';

export { Fido2Error, type ErrorKind } from './errors.js';
export { EXIT_CODES, exitCodeFor };
export { Fido2Key, type KeyOptions };
export type { AuthenticatorInfo, PublicKeyCredentialParameters } from './ctap/get-info.js';
export type { CredentialListing, CredsMetadata, RelyingParty, StoredCredential, UserEntity } from './ctap/credential-management.js';
export type { CredentialPublicKey, RpCredentials } from './ctap/credential-management-messages.js';
export type { CborTag, CborValue } from './ctap/cbor.js';
export type { FleetPhase } from './fleet/runner.js';
export type { Target } from './fleet/selection.js';
export type { MinPinLengthPolicy, PlanOptions } from './operations/settings-plan.js';
export type { StepStatus } from './operations/settings.js';
export type { SettingResult } from './operations/config.js';
export { LargeBlobError, type LargeBlobErrorCode } from './ctap/large-blob-entries.js';
export type { DeviceInfo, FleetEvent, KeyState, Policy, ApplyKeyResult, StepResult };
export { validatePolicy };
export { planPolicy, describeStep, type Step, type Plan } from './operations/settings-plan.js';
/** What a browser will ask the person for, per kind of request, predicted from getInfo (`uv-check`). */
export {
  factsFromInfo,
  predict as predictUserVerification,
  NOTE_TEXT as UV_NOTE_TEXT,
  ROWS as UV_ROWS,
  COLUMNS as UV_COLUMNS,
  type Ask as UvAsk,
  type Why as UvWhy,
  type CtapLevel,
  type Matrix as UvMatrix,
  type UvFacts,
  type Prediction as UvPrediction,
  type Cell as UvCell,
  type Row as UvRow,
  type Column as UvColumn,
  type Note as UvNote,
} from './ctap/uv-prediction.js';

/** FIDO HID keys attached now, numbered as `fido2-manage list` numbers them. */
export function listKeys(): Promise<DeviceInfo[]> {
  return listDevices();
}

/** Opens one key: a `list` index, HID path, serial:SERIAL, pcsc:READER, tcp:HOST:PORT or sim. */
export async function openKey(selector: string, opts: KeyOptions & { timeoutMs?: number } = {}): Promise<Fido2Key> {
  // Each operation takes the key's cross-process lock, the one the CLI takes (src/fleet/selector-lock.ts).
  const { target, lockId } = await selectorLock(selector);
  const device = await openChannel(target ?? selector, { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }), ...(opts.signal ? { signal: opts.signal } : {}) });
  return new Fido2Key(device, { ...opts, ...(lockId === undefined ? {} : { lockId }) });
}

export interface ApplyPolicyOptions {
  /** The PIN for every key (its current PIN, or the one to set where none is). */
  pin?: string;
  /** One PIN per key instead; return undefined to fall back to `pin`. */
  pinFor?: (key: { selector: string; serial?: string }) => string | undefined;
  dryRun?: boolean;
  /** Keys worked on at once (default 16). */
  jobs?: number;
  signal?: AbortSignal;
  onProgress?: (e: FleetEvent) => void;
  timeoutMs?: number;
}

/** Why one key failed. `exitCode` is what the CLI would exit with for it. */
export interface PolicyError {
  kind: ErrorKind | 'internal';
  exitCode: number;
  message: string;
  /** A finer, stable reason within the kind (e.g. 'power-cycle-required'). */
  reason?: string;
}

/** What every key's result has, whether it succeeded or failed. */
export interface PolicyResultFields {
  device: string;
  serial?: string;
  /** Whether anything was changed on the key (a failure can come after some changes). */
  changed: boolean;
  steps: StepResult[];
  before?: KeyState;
  after?: KeyState;
}

/**
 * One key's outcome, discriminated on `ok`: after `if (!r.ok)` TypeScript knows
 * `r.error` is there; on success `error` is absent.
 */
export type PolicyResult = (PolicyResultFields & { ok: true; error?: undefined }) | (PolicyResultFields & { ok: false; error: PolicyError });

/**
 * Brings every selected key to `policy`, concurrently. One key's failure never
 * stops the others; it is reported in its result. `devices` takes what
 * --device takes: selectors, comma lists, or 'all'.
 */
export async function applyPolicy(devices: string | string[], policy: Policy, opts: ApplyPolicyOptions = {}): Promise<PolicyResult[]> {
  const checked = validatePolicy(policy);
  const targets = await resolveTargets(splitDeviceValues(devices));
  const results = await applyToTargets(targets, checked, {
    dryRun: opts.dryRun === true,
    ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.onProgress === undefined ? {} : { onEvent: opts.onProgress }),
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    pinsFor: (t) => {
      const pin = opts.pinFor?.(t.serial === undefined ? { selector: t.selector } : { selector: t.selector, serial: t.serial }) ?? opts.pin;
      return pin === undefined ? {} : { current: pin, new: pin };
    },
  });
  return results.map((r): PolicyResult => {
    const fields: PolicyResultFields = { device: r.target.label, changed: r.value?.changed ?? false, steps: r.value?.steps ?? [] };
    if (r.target.serial !== undefined) fields.serial = r.target.serial;
    if (r.value?.before) fields.before = r.value.before;
    if (r.value?.after) fields.after = r.value.after;
    if (r.ok) return { ...fields, ok: true };
    const e = r.error ?? { kind: 'internal' as const, message: 'the key failed without an error' };
    return { ...fields, ok: false, error: { ...e, exitCode: exitCodeFor(e.kind) } };
  });
}

/** Fingerprints (`Fido2Key.listFingerprints`, `enrollFingerprint`, `renameFingerprint`, `deleteFingerprint`). */
export type {
  CaptureEvent,
  DeleteFingerprintOptions,
  DeleteResult as DeleteFingerprintResult,
  EnrollFingerprintOptions,
  EnrollResult as EnrollFingerprintResult,
  FingerprintAuthOptions,
  FingerprintList,
  RenameResult as RenameFingerprintResult,
  SampleEvent,
  SensorInfo as FingerprintSensorInfo,
  Template as FingerprintTemplate,
  TemplateIdInput as FingerprintId,
} from './api/fingerprints.js';
/** Passkeys and large blobs: the results of Fido2Key's credential and large-blob methods (src/operations). */
export type { CredentialRef, Located } from './operations/credential-ids.js';
export type { DeleteCredentialResult, UpdateCredentialResult, UserNames } from './operations/credentials.js';
export type { BlobRow, BlobStatus, Inventory as LargeBlobInventory } from './operations/large-blob-inventory.js';
export type {
  LargeBlobChange,
  LargeBlobCleanResult,
  LargeBlobCleanTarget,
  LargeBlobDeleteTarget,
  LargeBlobListResult,
  LargeBlobSetResult,
} from './operations/large-blobs.js';
export type { ArrayDamage, LargeBlobEntry } from './ctap/large-blob-entries.js';
import { guidedReset, type ResetKeyOptions, type ResetResult } from './operations/reset.js';
import { type ChosenKey, selectByTouch as touchSelect } from './operations/selection.js';

export type { ResetResult, ResetSummary, ReplugEvent, ResetTarget } from './operations/reset.js';
export { RESET_ERASES } from './operations/reset.js';
export type { ChosenKey as SelectedKey } from './operations/selection.js';
export type { UvCheckOptions, UvCheckResult, UvLiveReport } from './operations/uv-check/check.js';
export { uvCheckVerdict } from './operations/uv-check/check.js';
export type { Checks as UvChecks, CellCheck as UvCellCheck, Observed as UvObserved, ProbeResult as UvProbeResult } from './operations/uv-check/observe.js';
export type { PasskeyOutcome as UvPasskeyOutcome, ProbeTouch as UvProbeTouch } from './operations/uv-check/probe.js';
export type { ProbePlan as UvProbePlan, ProbeId as UvProbeId, PasskeyPlan as UvPasskeyPlan, Probe as UvProbe, Verify as UvVerify, PlainExpectation as UvPlainExpectation } from './operations/uv-check/plan.js';

export interface ResetKeyLibraryOptions {
  /** Shown what will be erased, once the key is known and before anything is sent; return false to cancel. */
  confirm: ResetKeyOptions['confirm'];
  /** Reset at once, without asking for the replug (works only within the key's window after power-up). */
  noReplug?: boolean;
  /** The replug as it goes: 'waiting-unplug' (tell the person to unplug the key), 'unplugged', 'back'. */
  onReplug?: ResetKeyOptions['onReplug'];
  /** The key waits for the touch that confirms the reset. */
  onTouch?: () => void;
  /** For the selector 'touch': every attached key waits for a touch. */
  onWaiting?: ResetKeyOptions['onWaiting'];
  signal?: AbortSignal;
  /** How long one key request may take (default 30 s). */
  timeoutMs?: number;
  /** How long the person has to unplug the key, and again to plug it back in (default 60 s). */
  replugTimeoutMs?: number;
}

/**
 * The guided reset (`fido2-manage reset`): erases every passkey, the PIN, fingerprints, large blobs and the
 * settings. Most keys accept a reset only within seconds of being plugged in, so unless `noReplug` the person is
 * asked (`onReplug`) to unplug the key and plug the same one back in, and the reset goes out at once, confirmed by
 * a touch. `selector` is what `openKey` takes, or 'touch'. Errors (`Fido2Error` kinds, CLI exit codes):
 * 'cancelled' (130: `confirm` said no, or `signal`), 'wrong-key' (17), 'replug-timeout' (18), 'reset-too-late'
 * (15), 'presence-denied' (16), 'presence' (10, not touched in time); nothing is reset then.
 */
export function resetKey(selector: string | undefined, opts: ResetKeyLibraryOptions): Promise<ResetResult> {
  return guidedReset(selector, opts);
}

export interface SelectByTouchOptions {
  signal?: AbortSignal;
  /** Every reachable key is waiting for a touch: `count` of them; `skipped` says why others were not asked. */
  onWaiting?: (count: number, skipped: readonly string[]) => void;
  /** How long to wait for a touch (default 30 s): then a 'presence' error. */
  timeoutMs?: number;
}

/**
 * "Touch the key you mean": asks every key named by `devices` (selectors, comma lists, or 'all' for every
 * attached USB key) for a touch at once, and resolves with the one touched (`path` opens it with `openKey`).
 * The others get CTAPHID_CANCEL and stop blinking; nothing is changed on any key. Errors: 'presence' (none
 * touched in time), 'presence-denied' (every key refused), 'cancelled' (signal), 'no-device'.
 */
export async function selectByTouch(devices: string | string[] | 'all', opts: SelectByTouchOptions = {}): Promise<ChosenKey> {
  const named = splitDeviceValues(devices);
  const all = named.length === 0 || named.some((v) => /^(all|touch)$/i.test(v));
  const { key, device } = await touchSelect(all ? 'all' : named, opts);
  await device.close().catch(() => undefined);
  return key;
}
// Persistent read-only tokens and a key's CTAP 2.3 identity (issue 22 items 5, 6).
/** Decrypts getInfo's encIdentifier / encCredStoreState with a persistent (pcmr) token; `keyIdOf` is the one-way name fido2-manage prints as `keyId`. */
export { decryptInfoMember, keyIdOf } from './operations/persistent-token.js';
/** Where `credentials list --remember` keeps tokens (0600 file, 0700 directory), and reading them back. */
export { TokenStore, stateDir } from './operations/token-store.js';
/** Whether a key can give a persistent read-only token (getInfo options perCredMgmtRO and pinUvAuthToken). */
export { canRemember } from './operations/remembered-token.js';
// --- Provisioning station (issue 23) ---
import { hostname } from 'node:os';
import { closeSetup, stationSetup } from './fleet/station-setup.js';
import type { StationKeyResult } from './fleet/provision.js';
import type { JournalOutcome } from './fleet/journal.js';
export { parseJournal, policyDigest, canonicalJson, type JournalEntry, type JournalKey, type JournalOutcome } from './fleet/journal.js';
export { mergeJournals, type ReportRow } from './fleet/journal-report.js';
export { readHandoff, generatePin, generatedLength, HANDOFF_HEADER } from './fleet/handoff.js';
export { modelName } from './devices/aaguid-models.js';

export interface ProvisionOptions extends ApplyPolicyOptions {
  /** Append one JSON line per key to this journal; keys it has done under the same policy and that still comply are skipped. */
  journal?: string;
  /** The station name in the journal (default: the host name). */
  station?: string;
  /** Give each key without a PIN a random one, on file in this new CSV (mode 0600) before it is set. */
  generatePins?: string;
  /** The characters generated PINs are made of (default digits). */
  pinAlphabet?: string;
}

/** A key's result at a station: the policy result plus how the station names it and what it recorded. */
export type ProvisionResult = PolicyResult & { outcome: JournalOutcome; model?: string; aaguid?: string; redone?: boolean; pinHandoff?: string };

/**
 * `apply` with the station's journal, resume and generated PINs (`fido2-manage apply --journal
 * --generate-pins`): the same per-key operation under the same key locks. A journal line is
 * flushed per key; a generated PIN is on file before it is sent; never a PIN in the journal.
 */
export async function provisionKeys(devices: string | string[], policy: Policy, opts: ProvisionOptions = {}): Promise<ProvisionResult[]> {
  const checked = validatePolicy(policy);
  const targets = await resolveTargets(splitDeviceValues(devices));
  const setup = await stationSetup(
    { ...(opts.journal === undefined ? {} : { journal: opts.journal }), station: opts.station ?? hostname(), ...(opts.generatePins === undefined ? {} : { generatePins: opts.generatePins }), ...(opts.pinAlphabet === undefined ? {} : { pinAlphabet: opts.pinAlphabet }) },
    checked,
    opts.dryRun === true,
  );
  try {
    const results = await applyToTargets(targets, checked, {
      dryRun: opts.dryRun === true,
      ...(opts.jobs === undefined ? {} : { jobs: opts.jobs }),
      ...(opts.signal === undefined ? {} : { signal: opts.signal }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(setup === undefined ? {} : { station: setup }),
      pinsFor: (t) => {
        const pin = opts.pinFor?.(t.serial === undefined ? { selector: t.selector } : { selector: t.selector, serial: t.serial }) ?? opts.pin;
        return pin === undefined ? {} : { current: pin, new: pin };
      },
    });
    return results.map((r): ProvisionResult => {
      const v = r.value as StationKeyResult | undefined;
      const fields: PolicyResultFields = { device: r.target.label, changed: v?.changed ?? false, steps: v?.steps ?? [] };
      if (r.target.serial !== undefined) fields.serial = r.target.serial;
      if (v?.before) fields.before = v.before;
      if (v?.after) fields.after = v.after;
      const extra = {
        outcome: r.ok ? (v?.outcome ?? 'changed') : ('failed' as const),
        ...(v?.aaguid ? { aaguid: v.aaguid } : {}),
        ...(v?.key?.model ? { model: v.key.model } : {}),
        ...(v?.redone ? { redone: true } : {}),
        ...(v?.pinHandoff ? { pinHandoff: v.pinHandoff } : {}),
      };
      if (r.ok) return { ...fields, ...extra, ok: true };
      const e = r.error ?? { kind: 'internal' as const, message: 'the key failed without an error' };
      return { ...fields, ...extra, ok: false, error: { ...e, exitCode: exitCodeFor(e.kind) } };
    });
  } finally {
    closeSetup(setup);
  }
}
