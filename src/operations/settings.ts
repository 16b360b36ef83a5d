/**
 * Bringing one key's settings (PIN present, minimum PIN length, enterprise
 * attestation, always-UV, forced PIN change) to what is asked: read the state,
 * plan the differences (settings-plan.ts), check locally everything that can be
 * checked before anything is sent (a PIN present and possible, the retries), run
 * the steps with one pinUvAuthToken, and read every setting back. `uvs`,
 * `min-pin-length`, `apply` and the library's Fido2Key all run this one function.
 */
import { AuthenticatorConfig } from '../ctap/authenticator-config.js';
import type { ClientPin, PinUvAuthToken } from '../ctap/client-pin.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_ACFG } from '../ctap/permissions.js';
import { checkCurrentPin, checkNewPin } from '../ctap/pin-policy.js';
import { describePinRules } from '../ctap/pin-rules.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { explain } from './explain.js';
import type { KeyHandle } from './key-handle.js';
import { KeyFailure } from './key-failure.js';
import { describeStep, type KeyState, keyStateFromInfo, planPolicy, type PlanOptions, type Policy, type Step } from './settings-plan.js';
import { clientPinFor, explainWithRetries, guardRetries, obtainToken } from './token.js';

export type StepStatus = 'planned' | 'done' | 'failed' | 'not-run';

export interface StepResult {
  step: Step;
  description: string;
  status: StepStatus;
}

/** What was done (or would be, in a dry run) on one key. */
export interface ApplyKeyResult {
  device: string;
  aaguid?: string;
  dryRun: boolean;
  before?: KeyState;
  after?: KeyState;
  steps: StepResult[];
  changed: boolean;
  /** keyIdOf the key's CTAP 2.3 identifier, when a kept persistent token recognises the key (a one-way digest). */
  keyId?: string;
  /** In a run over several keys: this target turned out to be the same key as the one so named, worked on there. */
  sameKeyAs?: string;
}

export interface SettingsOptions extends PlanOptions {
  dryRun?: boolean;
  /**
   * Called once the key's state is read and the steps are planned, before any PIN is asked for or
   * anything is sent (so refusing spends nothing): throw to stop. Not called when nothing needs changing.
   */
  confirm?: (steps: readonly Step[], before: KeyState) => Promise<void>;
  /** What the key is doing now, for progress lines ("reading state", a step's description). */
  onProgress?: (detail: string) => void;
}

/**
 * Runs `policy` on one open key. Every failure is a KeyFailure carrying the
 * result so far (state before, the steps done), so a caller can say exactly
 * what was applied.
 */
export async function applySettings(key: KeyHandle, policy: Policy, auth: Authorizer, opts: SettingsOptions = {}): Promise<ApplyKeyResult> {
  const progress = opts.onProgress ?? (() => undefined);
  const result: ApplyKeyResult = { device: key.label, dryRun: opts.dryRun === true, steps: [], changed: false };
  const fail = (e: unknown): never => {
    const err = e instanceof Fido2Error ? e : new Fido2Error('transport', e instanceof Error ? e.message : String(e), { cause: e });
    throw new KeyFailure(err, result);
  };
  let info: AuthenticatorInfo;
  try {
    progress('reading state');
    info = await key.ctap.getInfo();
  } catch (e) {
    return fail(e);
  }
  const before = keyStateFromInfo(info);
  result.aaguid = before.aaguid;
  result.before = before;
  const plan = planPolicy(policy, before, opts);
  if (!plan.ok) return fail(new Fido2Error(plan.kind, `${capitalise(plan.message)}; nothing was changed on the key.`, { reason: plan.reason }));
  result.steps = plan.steps.map((step) => ({ step, description: describeStep(step), status: opts.dryRun ? 'planned' : 'not-run' }));
  if (plan.steps.length === 0) {
    result.after = before;
    return result;
  }
  try {
    if (!opts.dryRun) await opts.confirm?.(plan.steps, before);
  } catch (e) {
    return fail(e);
  }
  let cp: ClientPin;
  let newPin: string | undefined;
  let currentPin: string | undefined;
  const useUv = auth.useUv === true && plan.steps[0]!.op !== 'set-pin';
  try {
    cp = clientPinFor(key, info, auth);
    // Everything that can be refused here is refused before the first change, in a dry run too.
    if (plan.steps[0]!.op === 'set-pin') {
      newPin = checkNewPin(await auth.newPin({ label: key.label, info, purpose: 'set' }), Math.max(before.minPinLength, policy.minPinLength?.length ?? 4), info.maxPINLength);
      currentPin = newPin;
    } else if (plan.needsToken && !useUv) {
      if (before.pinSet !== true) {
        const uvHint = before.uv ? ', or pass --uv to use its built-in user verification' : '';
        throw new Fido2Error('pin-required', `This needs a PIN and none is set on the key; set one first with \`fido2-manage set-pin\`${uvHint}. Nothing was changed.`);
      }
      if (before.forcePinChange) throw new Fido2Error('pin-policy', 'The key requires a new PIN before anything else; run `fido2-manage change-pin` first.');
      // Refused here, never spent on the key: an impossible PIN, a key that wants a power cycle, too few attempts left.
      currentPin = checkCurrentPin(await auth.currentPin({ label: key.label, info }));
      await guardRetries(cp, auth, key.label);
    }
  } catch (e) {
    return fail(e);
  }
  // The dry run has made the same checks (the PIN read and checked, the retries read), so it fails where the real run would.
  if (opts.dryRun) {
    result.after = before;
    return result;
  }
  let token: PinUvAuthToken | undefined;
  for (const s of result.steps) {
    if (s.step.op !== 'set-pin' && plan.needsToken && token === undefined) {
      try {
        progress(useUv ? 'fingerprint' : 'PIN token');
        token = useUv ? await obtainToken(key, info, auth, PERM_ACFG, cp) : await pinToken(cp, currentPin!, info, key.label);
      } catch (e) {
        return fail(e);
      }
    }
    try {
      progress(s.description);
      if (s.step.op === 'set-pin') await cp.setPin(newPin!).catch(async (e: unknown) => Promise.reject(await explainWithRetries(e, cp, info)));
      else await runConfigStep(new AuthenticatorConfig(key.ctap, token), s.step).catch((e: unknown) => Promise.reject(explain(e, { minPINLength: info.minPINLength, pinRules: describePinRules(info) })));
      s.status = 'done';
      result.changed = true;
    } catch (e) {
      s.status = 'failed';
      return fail(e);
    }
  }
  try {
    progress('reading back');
    const after = keyStateFromInfo(await key.ctap.getInfo());
    result.after = after;
    const steps = result.steps.map((s) => s.step);
    const unmet = unconfirmed(steps, after);
    if (unmet.length) {
      const still = reported(steps.filter((s) => !confirmed(s, after)), after);
      throw new Fido2Error('not-confirmed', `The key accepted the change but does not read back ${unmet.join(', ')}: it still reports ${still}; nothing was sent again. Check the key with \`fido2-manage info\`.`);
    }
  } catch (e) {
    return fail(e);
  }
  return result;
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

async function pinToken(cp: ClientPin, pin: string, info: AuthenticatorInfo, label: string): Promise<PinUvAuthToken> {
  try {
    return await cp.getPinToken(pin, PERM_ACFG);
  } catch (e) {
    throw await explainWithRetries(e, cp, info, label, pin);
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
    case 'pin-complexity':
      return config.setMinPinLength({ pinComplexityPolicy: true });
    case 'long-touch-reset':
      return config.enableLongTouchForReset();
    case 'force-pin-change':
      return config.setMinPinLength({ forceChangePin: true });
    case 'set-pin':
      throw new Error('set-pin is not a config step');
  }
}

/** The steps whose result the key does not report back, as asked; pure. */
export function unconfirmed(steps: readonly Step[], after: KeyState): string[] {
  return steps.filter((s) => !confirmed(s, after)).map((s) => asked(s, after));
}

/** A step as the key should read it back: describeStep's words, with the length read where it differs. */
function asked(s: Step, after: KeyState): string {
  if (s.op === 'min-pin-length') return `minimum PIN length ${s.to} (reads ${after.minPinLength})`;
  if (s.op === 'set-pin') return 'PIN set';
  if (s.op === 'enterprise-attestation') return 'enterprise attestation';
  return describeStep(s);
}

function confirmed(s: Step, after: KeyState): boolean {
  switch (s.op) {
    case 'set-pin':
      return after.pinSet === true;
    case 'min-pin-length':
      return after.minPinLength === s.to;
    case 'enterprise-attestation':
      return after.enterpriseAttestation === true;
    case 'always-uv':
      return (after.alwaysUv === true) === s.to;
    case 'pin-complexity':
      return after.pinComplexityPolicy === true;
    case 'long-touch-reset':
      return after.longTouchForReset === true;
    case 'force-pin-change':
      return after.forcePinChange;
  }
}

/** "always-UV off", "minimum PIN length 8": what the key reports for the settings the steps touch. */
function reported(steps: readonly Step[], after: KeyState): string {
  const onOff = (v: boolean | undefined): string => (v === true ? 'on' : 'off');
  const what = steps.map((s) => {
    switch (s.op) {
      case 'set-pin':
        return `PIN set ${after.pinSet === true ? 'yes' : 'no'}`;
      case 'min-pin-length':
        return `minimum PIN length ${after.minPinLength}`;
      case 'enterprise-attestation':
        return `enterprise attestation ${onOff(after.enterpriseAttestation)}`;
      case 'always-uv':
        return `always-UV ${onOff(after.alwaysUv)}`;
      case 'pin-complexity':
        return `PIN complexity policy ${onOff(after.pinComplexityPolicy)}`;
      case 'long-touch-reset':
        return `long touch for reset ${onOff(after.longTouchForReset)}`;
      case 'force-pin-change':
        return `force PIN change ${onOff(after.forcePinChange)}`;
    }
  });
  return what.join(', ');
}
