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
import type { ApplyKeyResult, StepResult } from './operations/settings.js';
import type { KeyState } from './operations/settings-plan.js';
import { type Policy, validatePolicy } from './fleet/policy.js';
import type { FleetEvent } from './fleet/runner.js';
import { exitCodeFor, EXIT_CODES } from './commands/exit-codes.js';
import { type DeviceInfo, listDevices, openDevice } from './devices/discovery.js';
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

/** Opens one key: a `list` index, HID path, serial:SERIAL, tcp:HOST:PORT or sim. */
export async function openKey(selector: string, opts: KeyOptions & { timeoutMs?: number } = {}): Promise<Fido2Key> {
  const device = await openDevice(selector, { ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }), ...(opts.signal ? { signal: opts.signal } : {}) });
  return new Fido2Key(device, opts);
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
