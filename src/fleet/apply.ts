/**
 * `apply` on one key: read the state, plan the differences, check locally
 * everything that can be checked (PIN present and long enough) before sending
 * anything, then run the steps with one pinUvAuthToken and read every setting
 * back. Failures carry the state before and the steps done so far.
 */
import { AuthenticatorConfig } from '../ctap/authenticator-config.js';
import { ClientPin, type PinUvAuthToken } from '../ctap/client-pin.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_ACFG } from '../ctap/permissions.js';
import { checkCurrentPin, checkNewPin, surroundingSpaceHint } from '../ctap/pin-policy.js';
import { guardRetries, powerCycleAdvice } from '../ctap/pin-guard.js';
import { Fido2Error } from '../errors.js';
import type { CtapHidDevice } from '../hid/ctaphid.js';
import { describeStep, type KeyState, keyStateFromInfo, planPolicy, type Step } from './plan.js';
import type { Policy } from './policy.js';
import { KeyFailure } from './results.js';
import type { TaskContext } from './runner.js';

export type StepStatus = 'planned' | 'done' | 'failed' | 'not-run';

export interface StepResult {
  step: Step;
  description: string;
  status: StepStatus;
}

/** What `apply` did (or would do, in a dry run) on one key. */
export interface ApplyKeyResult {
  device: string;
  aaguid?: string;
  dryRun: boolean;
  before?: KeyState;
  after?: KeyState;
  steps: StepResult[];
  changed: boolean;
}

export interface KeyPins {
  /** The PIN the key has now (for the token), if it has one. */
  current?: string;
  /** The PIN to set where the key has none. */
  new?: string;
}

export interface ApplyKeyOptions {
  dryRun?: boolean;
  pins?: KeyPins;
  pinProtocol?: 1 | 2;
  /** Do not spend a PIN attempt when this many or fewer are left. */
  minRetries?: number;
}

/** Runs the policy on one open key. */
export async function applyToDevice(device: CtapHidDevice, policy: Policy, opts: ApplyKeyOptions, ctx: TaskContext): Promise<ApplyKeyResult> {
  const ctap = new Ctap2(device, {
    signal: ctx.signal,
    onKeepalive: (s) => {
      if (s === 'upneeded') ctx.progress('touch');
    },
  });
  const result: ApplyKeyResult = { device: device.label, dryRun: opts.dryRun === true, steps: [], changed: false };
  const fail = (e: unknown): never => {
    const err = e instanceof Fido2Error ? e : new Fido2Error('transport', e instanceof Error ? e.message : String(e), { cause: e });
    throw new KeyFailure(err, result);
  };
  let info: AuthenticatorInfo;
  try {
    ctx.progress('working', 'reading state');
    info = await ctap.getInfo();
  } catch (e) {
    return fail(e);
  }
  const before = keyStateFromInfo(info);
  result.aaguid = before.aaguid;
  result.before = before;
  const plan = planPolicy(policy, before);
  if (!plan.ok) return fail(new Fido2Error(plan.kind, `This key cannot meet the policy: ${plan.message}; nothing was changed on it.`, { reason: plan.reason }));
  result.steps = plan.steps.map((step) => ({ step, description: describeStep(step), status: opts.dryRun ? 'planned' : 'not-run' }));
  if (plan.steps.length === 0) {
    result.after = before;
    return result;
  }
  let cp: ClientPin;
  let pins: CheckedPins;
  try {
    cp = new ClientPin(ctap, info, opts.pinProtocol === undefined ? {} : { protocol: opts.pinProtocol });
    // The dry run makes the same checks, so it fails where the real run would.
    pins = await checkBeforeChanging(plan, before, policy, opts, cp, device.label);
  } catch (e) {
    return fail(e);
  }
  if (opts.dryRun) {
    result.after = before;
    return result;
  }
  const newPin = pins.newPin;
  const currentPin = pins.currentPin;
  let token: PinUvAuthToken | undefined;
  for (const s of result.steps) {
    if (s.step.op !== 'set-pin' && plan.needsToken && token === undefined) {
      try {
        ctx.progress('working', 'PIN token');
        token = await getToken(cp, currentPin!, device.label);
      } catch (e) {
        return fail(e);
      }
    }
    try {
      ctx.progress('working', s.description);
      if (s.step.op === 'set-pin') await cp.setPin(newPin!);
      else await runConfigStep(new AuthenticatorConfig(ctap, token), s.step);
      s.status = 'done';
      result.changed = true;
    } catch (e) {
      s.status = 'failed';
      return fail(e);
    }
  }
  try {
    ctx.progress('working', 'reading back');
    const after = keyStateFromInfo(await ctap.getInfo());
    result.after = after;
    const unmet = unconfirmed(result.steps.map((s) => s.step), after);
    if (unmet.length) throw new Fido2Error('not-confirmed', `The key accepted the changes but does not read back: ${unmet.join(', ')}.`);
  } catch (e) {
    return fail(e);
  }
  return result;
}

async function getToken(cp: ClientPin, pin: string, label: string): Promise<PinUvAuthToken> {
  try {
    return await cp.getPinToken(pin, PERM_ACFG);
  } catch (e) {
    if (e instanceof CtapError && e.status === 0x31) {
      const left = await cp.getPinRetries().then((r) => ` ${r.retries} attempts left.`, () => '');
      throw new Fido2Error('pin-invalid', `Wrong PIN for this key; nothing was changed on it.${left}${surroundingSpaceHint(pin)}`, { cause: e });
    }
    if (e instanceof CtapError && e.status === 0x34) {
      const left = await cp.getPinRetries().then((r) => ` ${r.retries} attempts left.`, () => '');
      throw new Fido2Error('pin-blocked', `Wrong PIN for this key, and too many in a row: ${powerCycleAdvice(label)} before trying again; nothing was changed on it.${left}`, { cause: e, reason: 'power-cycle-required' });
    }
    throw e;
  }
}

async function runConfigStep(config: AuthenticatorConfig, step: Step): Promise<void> {
  switch (step.op) {
    case 'min-pin-length':
      return config.setMinPinLength(step.rpIds ? { newMinPinLength: step.to, minPinLengthRpIds: step.rpIds } : { newMinPinLength: step.to });
    case 'enterprise-attestation':
      return config.enableEnterpriseAttestation();
    case 'always-uv':
      return config.toggleAlwaysUv();
    case 'force-pin-change':
      return config.setMinPinLength({ forceChangePin: true });
    case 'set-pin':
      throw new Error('set-pin is not a config step');
  }
}

/** The steps whose result the key does not report back; pure. */
export function unconfirmed(steps: readonly Step[], after: KeyState): string[] {
  const out: string[] = [];
  for (const s of steps) {
    if (s.op === 'set-pin' && after.pinSet !== true) out.push('PIN set');
    if (s.op === 'min-pin-length' && after.minPinLength !== s.to) out.push(`minimum PIN length ${s.to} (reads ${after.minPinLength})`);
    if (s.op === 'enterprise-attestation' && after.enterpriseAttestation !== true) out.push('enterprise attestation');
    if (s.op === 'always-uv' && (after.alwaysUv === true) !== s.to) out.push(`always-UV ${s.to ? 'on' : 'off'}`);
    if (s.op === 'force-pin-change' && !after.forcePinChange) out.push('force PIN change');
  }
  return out;
}

interface CheckedPins {
  /** The PIN to set (first step set-pin), checked against the minimum the policy leaves. */
  newPin?: string;
  /** The PIN the token is asked with. */
  currentPin?: string;
}

/**
 * Everything that can be refused before the first change: a PIN missing or
 * impossible, one shorter than the minimum the key will have, a key that wants
 * a power cycle or has too few attempts left (getPINRetries, which spends
 * nothing). The real run and the dry run both call it.
 */
async function checkBeforeChanging(plan: Extract<ReturnType<typeof planPolicy>, { ok: true }>, before: KeyState, policy: Policy, opts: ApplyKeyOptions, cp: ClientPin, label: string): Promise<CheckedPins> {
  let currentPin = opts.pins?.current;
  let newPin: string | undefined;
  if (plan.steps[0]!.op === 'set-pin') {
    const raw = opts.pins?.new ?? opts.pins?.current;
    if (raw === undefined) throw new Fido2Error('pin-required', 'The policy sets a PIN on this key and no new PIN was given; nothing was changed on it.');
    newPin = checkNewPin(raw, Math.max(before.minPinLength, policy.minPinLength?.length ?? 4));
    currentPin = newPin;
  } else if (plan.needsToken && currentPin === undefined) {
    throw new Fido2Error('pin-required', before.pinSet ? "This key's PIN is needed for the changes and none was given; nothing was changed on it." : 'This key takes configuration changes only with built-in user verification, which apply does not use; set a PIN first.');
  }
  if (plan.needsToken && newPin === undefined) {
    // Refused here, never spent on the key: an impossible PIN, a key that wants a power cycle, too few attempts left.
    currentPin = checkCurrentPin(currentPin!);
    await guardRetries(cp, { label, ...(opts.minRetries === undefined ? {} : { minRetries: opts.minRetries, minRetriesName: 'min retries' }) });
  }
  return { ...(newPin === undefined ? {} : { newPin }), ...(currentPin === undefined ? {} : { currentPin }) };
}
