/**
 * Sends the planned probes to the key (the I/O of `uv-check --live`): each
 * request once, RP ID `uv-check.invalid`, a fresh random clientDataHash and
 * user id, touches announced (`onTouch`) and counted, the PIN asked once and
 * only when a probe needs it, every PIN preceded by the retries guard
 * (operations/token.ts). A refusal is an observation; a wrong PIN, a missed
 * touch or a cancel ends the run.
 */
import { randomBytes } from 'node:crypto';
import { ClientPin, type PinUvAuthToken } from '../../ctap/client-pin.js';
import { CredentialManagement } from '../../ctap/credential-management.js';
import { CtapError } from '../../ctap/errors.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { getAssertion } from '../../ctap/get-assertion.js';
import { makeCredential } from '../../ctap/make-credential.js';
import { PERM_CM } from '../../ctap/permissions.js';
import { checkCurrentPin } from '../../ctap/pin-policy.js';
import { permissionFor } from '../../ctap/user-verification.js';
import { Fido2Error } from '../../errors.js';
import type { Authorizer } from '../authorizer.js';
import { explain } from '../explain.js';
import type { KeyHandle } from '../key-handle.js';
import { obtainToken } from '../token.js';
import type { ProbeResult } from './observe.js';
import { PROBE_RP_ID, type Probe, type ProbeId, type ProbePlan } from './plan.js';

/** A touch the person is asked for (`count` of `total`; `sensor`: the fingerprint sensor), or one the key wants unannounced. */
export type ProbeTouch = { count: number; total: number; sensor: boolean } | { unexpected: true };

export interface ProbeCallbacks {
  onTouch?: (t: ProbeTouch) => void;
  /** The run failed after the test passkey was made: it was deleted again (or not), as the outcome says. */
  onCleanup?: (o: PasskeyOutcome) => void;
}

/**
 * Statuses that end the run: the person denied the touch (OPERATION_DENIED, §6.1.2: "user action
 * denied"), cancelled, did not touch, or the key gave up waiting. They say what the person did,
 * not how the key follows CTAP 2.1, so they are no observation.
 */
const ABORTING = new Set([0x27, 0x2d, 0x2f, 0x3a]);

export interface PasskeyOutcome {
  created: boolean;
  deleted: boolean;
  message: string;
  credentialId?: string;
}

export interface ProbeRun {
  results: Map<ProbeId, ProbeResult>;
  passkey?: PasskeyOutcome;
  touchesAsked: number;
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');

export async function runProbes(key: KeyHandle, info: AuthenticatorInfo, plan: ProbePlan, auth: Authorizer, cb: ProbeCallbacks = {}): Promise<ProbeRun> {
  const results = new Map<ProbeId, ProbeResult>();
  let touch = 0;
  let cp: ClientPin | undefined;
  const clientPin = (): ClientPin => (cp ??= new ClientPin(key.ctap, info, auth.pinProtocol === undefined ? {} : { protocol: auth.pinProtocol }));
  const announce = (sensor: boolean): void => cb.onTouch?.({ count: ++touch, total: plan.touches, sensor });
  // The PIN is asked for once: every token of the run reuses it, each still after the retries were read.
  let pin: Promise<string> | undefined;
  const once: Authorizer = { ...auth, useUv: false, currentPin: (req) => (pin ??= auth.currentPin(req)) };

  /** One token with `permission`, by built-in UV or by the PIN (obtainToken: checked, retries first). */
  const token = async (verify: 'pin-token' | 'uv-token', permission: number, rpId: string | undefined): Promise<PinUvAuthToken> => {
    if (verify === 'uv-token') {
      announce(true);
      try {
        return await clientPin().getUvToken(permission, rpId);
      } catch (e) {
        throw explain(e);
      }
    }
    return obtainToken(key, info, once, permission, clientPin(), rpId === undefined ? {} : { rpId });
  };

  const send = async (p: Probe, credentialId: Uint8Array | undefined): Promise<{ result: ProbeResult; credentialId?: Uint8Array }> => {
    const tok = p.verify === 'pin-token' || p.verify === 'uv-token' ? await token(p.verify, permissionFor(p.op), PROBE_RP_ID) : undefined;
    if (p.touch && p.verify !== 'uv-token') announce(p.verify === 'uv-option' || p.expect === 'built-in-uv');
    const asked = { pinAsked: p.verify === 'pin-token', uvAsked: p.verify === 'uv-token' || p.verify === 'uv-option' || p.expect === 'built-in-uv' };
    // A key that wants a touch nobody announced is worth saying so: it deviates, and the person must act.
    let told = p.touch;
    const opts = {
      onKeepalive: (st: 'processing' | 'upneeded') => {
        if (st !== 'upneeded' || told) return;
        told = true;
        cb.onTouch?.({ unexpected: true });
      },
    };
    const clientDataHash = new Uint8Array(randomBytes(32));
    const options = p.verify === 'uv-option' ? { uv: true } : undefined;
    try {
      if (p.op === 'mc') {
        const r = await makeCredential(key.ctap, {
          clientDataHash,
          rp: { id: PROBE_RP_ID, name: 'fido2-manage uv-check' },
          user: { id: new Uint8Array(randomBytes(16)), name: 'uv-check', displayName: 'fido2-manage uv-check' },
          ...(p.rk ? { options: { rk: true, ...options } } : options ? { options } : {}),
          ...(tok ? { token: tok } : {}),
        }, opts);
        const f = r.authData.flags;
        return { result: { id: p.id, verify: p.verify, status: 'ok', up: f.up, uv: f.uv, ...asked }, credentialId: r.authData.attestedCredentialData!.credentialId };
      }
      if (credentialId === undefined) throw new Error('no credential to sign in with');
      const r = await getAssertion(key.ctap, {
        rpId: PROBE_RP_ID,
        clientDataHash,
        allowList: [{ id: credentialId }],
        ...(p.up ? (options ? { options } : {}) : { options: { up: false } }),
        ...(tok ? { token: tok } : {}),
      }, opts);
      return { result: { id: p.id, verify: p.verify, status: 'ok', up: r.authData.flags.up, uv: r.authData.flags.uv, ...asked } };
    } catch (e) {
      if (e instanceof CtapError && !ABORTING.has(e.status)) return { result: { id: p.id, verify: p.verify, status: e.statusName, ...asked } };
      throw explain(e);
    }
  };

  // Read before the first touch, so a missing or impossible PIN stops the run before anything is asked of the person.
  if (plan.needsPin) {
    if (info.forcePINChange === true) throw new Fido2Error('pin-policy', 'The key requires a new PIN before anything else; run `fido2-manage change-pin` first.');
    checkCurrentPin(await once.currentPin({ label: key.label, info }));
  }
  let credential: Uint8Array | undefined;
  const passkeyIds: Uint8Array[] = [];
  let passkey: PasskeyOutcome | undefined;
  try {
    for (const p of plan.probes) {
      if (p.op === 'ga' && credential === undefined) continue; // nothing was registered to sign in with
      const { result, credentialId } = await send(p, credential);
      results.set(p.id, result);
      if (credentialId !== undefined && p.rk) passkeyIds.push(credentialId);
      else if (credentialId !== undefined) credential ??= credentialId;
    }
  } catch (e) {
    // The passkey (or one a deviating key made without UV) goes again, whatever happened after it was made.
    if (passkeyIds.length > 0) cb.onCleanup?.(await deletePasskeys(key, info, passkeyIds, () => token(plan.deleteWith ?? 'pin-token', PERM_CM, undefined)));
    throw e;
  }
  if (passkeyIds.length > 0) passkey = await deletePasskeys(key, info, passkeyIds, () => token(plan.deleteWith ?? 'pin-token', PERM_CM, undefined));
  return { results, ...(passkey ? { passkey } : {}), touchesAsked: touch };
}

async function deletePasskeys(key: KeyHandle, info: AuthenticatorInfo, ids: Uint8Array[], cmToken: () => Promise<PinUvAuthToken>): Promise<PasskeyOutcome> {
  const shown = ids.map(b64url).join(', ');
  try {
    const cm = new CredentialManagement(key.ctap, info, await cmToken());
    for (const id of ids) await cm.delete(id);
    const after = await cm.listAll(PROBE_RP_ID);
    const left = after.rps.flatMap((r) => r.credentials).filter((c) => ids.some((id) => b64url(id) === b64url(c.credentialId)));
    if (left.length > 0) throw new Fido2Error('not-confirmed', 'the key still lists it');
    return { created: true, deleted: true, credentialId: shown, message: `The test passkey for ${PROBE_RP_ID} was deleted again through credential management (the key no longer lists it).` };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { created: true, deleted: false, credentialId: shown, message: `Deleting the test passkey for ${PROBE_RP_ID} failed (${why}); delete it with \`fido2-manage credentials delete ${shown} --yes\`.` };
  }
}
