/**
 * `uv-check` as an operation: when and why this key asks for a PIN, per kind
 * of request (registration, passkey, sign-in) and per WebAuthn
 * userVerification value, predicted from getInfo and, when `live`, checked on
 * the key by the planned probes, with each deviation from CTAP 2.1 in words.
 */
import { credentialManagementCommand } from '../../ctap/credential-management.js';
import { factsFromInfo, predict, type Prediction } from '../../ctap/uv-prediction.js';
import { type ErrorKind, Fido2Error } from '../../errors.js';
import type { Authorizer } from '../authorizer.js';
import { infoOrU2f, type KeyHandle } from '../key-handle.js';
import { type Checks, checkAll, checkSilent, type ProbeResult } from './observe.js';
import { planProbes, type ProbeId, type ProbePlan } from './plan.js';
import { type PasskeyOutcome, type ProbeCallbacks, runProbes } from './probe.js';

export interface UvCheckOptions extends ProbeCallbacks {
  /** Send the probes (touches needed; the PIN when the key has one). */
  live?: boolean;
  /** With `live`: also make one test passkey and delete it again through credential management. */
  includePasskey?: boolean;
}

/** What the key did when asked (with `live`). */
export interface UvLiveReport {
  plan: ProbePlan;
  checks: Checks;
  results: ReadonlyMap<ProbeId, ProbeResult>;
  /** The silent sign-in (up=false). */
  silent: { matches: boolean; deviation?: string };
  passkey?: PasskeyOutcome;
  /** Every way the key deviates from CTAP 2.1, once each; empty when it behaves as specified. */
  deviations: string[];
}

export interface UvCheckResult {
  device: string;
  /** getInfo's versions; empty for a key that speaks no CTAP2 (U2F only). */
  versions: string[];
  prediction: Prediction;
  live?: UvLiveReport;
}

/**
 * The prediction matrix and, with `live`, the key's answers and deviations. A deviating key is a result, not an
 * error (see `uvCheckVerdict`); a wrong PIN, a touch not given or denied, or a cancel throws.
 */
export async function checkUserVerification(key: KeyHandle, auth: Authorizer, o: UvCheckOptions = {}): Promise<UvCheckResult> {
  if (o.includePasskey && !o.live) throw new Fido2Error('usage', 'includePasskey goes with live (it creates a test passkey on the key and deletes it again); nothing was sent.');
  const info = await infoOrU2f(key);
  const prediction = predict(factsFromInfo(info));
  const result: UvCheckResult = { device: key.label, versions: [...(info?.versions ?? [])], prediction };
  if (!o.live) return result;
  const credentialManagement = info !== undefined && credentialManagementCommand(info) !== undefined;
  const plan = planProbes(prediction.facts, { includePasskey: o.includePasskey === true, credentialManagement });
  const run = info === undefined ? { results: new Map<ProbeId, ProbeResult>(), touchesAsked: 0 } : await runProbes(key, info, plan, auth, o);
  const checks = checkAll(prediction, run.results);
  const silent = checkSilent(run.results.get('ga-silent'));
  const deviations = [...Object.values(checks).flatMap((row) => Object.values(row).flatMap((c) => (c.deviation ? [c.deviation] : []))), ...(silent.deviation ? [silent.deviation] : [])];
  const passkey = 'passkey' in run ? run.passkey : undefined;
  result.live = { plan, checks, results: run.results, silent, deviations: [...new Set(deviations)], ...(passkey ? { passkey } : {}) };
  return result;
}

/** What the CLI exits with after the report: the test passkey left on the key, or a deviating key (exit 19). */
export function uvCheckVerdict(r: UvCheckResult): { kind: ErrorKind; message: string } | undefined {
  const live = r.live;
  if (live?.passkey?.deleted === false) return { kind: 'not-confirmed', message: live.passkey.message };
  if (live && live.deviations.length > 0) return { kind: 'key-deviates', message: `The key deviates from CTAP 2.1: ${live.deviations.join('; ')}.` };
  return undefined;
}
