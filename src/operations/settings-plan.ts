/**
 * What `apply` would change on one key: a pure function of the policy and the
 * state read back from the key. Only differences are planned, in a safe order:
 * the PIN first (later steps need its token), then the minimum length, then
 * enterprise attestation and always-UV (always-UV last of the two, because on a
 * key without a PIN every config change after it needs a token), and forcing a
 * PIN change last (once forced, the key hands out no PIN token; CTAP 2.1 §6.5.5.7).
 */
import { ConfigSubCommand, configCommandName } from '../ctap/authenticator-config.js';
import { type AuthenticatorInfo, supportsCtap21 } from '../ctap/get-info.js';
import type { ErrorKind } from '../errors.js';

/** The settings a key should end up with (an `apply` policy, or one command's one setting). */
export interface MinPinLengthPolicy {
  /** The minimum PIN length, 4 to 63; a key can only raise it (CTAP 2.1 §6.11.4). */
  length: number;
  /** Sites allowed to read the minimum PIN length; sent with a change of the length. */
  rpIds?: string[];
  /** Also require a PIN change (sent last, as forcePinChange). */
  forceChange?: boolean;
  /** true: turn on the key's PIN complexity policy (setMinPINLength's pinComplexityPolicy, CTAP 2.2 §6.11.4). */
  complexity?: boolean;
}

export interface Policy {
  /** true: the key must have a PIN; one is set where missing. */
  pin?: boolean;
  minPinLength?: MinPinLengthPolicy;
  alwaysUv?: boolean;
  /** true: enterprise attestation enabled (it cannot be disabled except by reset). */
  enterpriseAttestation?: boolean;
  /** true: the key must ask for a new PIN before its next use. */
  forcePinChange?: boolean;
  /** true: a reset needs a long touch (CTAP 2.2 enableLongTouchForReset; no subcommand turns it off). */
  longTouchForReset?: boolean;
  /** Only keys of these models (AAGUIDs, lower case) may be changed; any other is refused before anything is sent. */
  allowedAaguids?: string[];
}

/** The settings `apply` manages, as the key reports them. */
export interface KeyState {
  versions: string[];
  aaguid: string;
  /** undefined: the key has no PIN support. */
  pinSet: boolean | undefined;
  minPinLength: number;
  forcePinChange: boolean;
  /** undefined: not supported. */
  alwaysUv: boolean | undefined;
  /** undefined: not supported. */
  enterpriseAttestation: boolean | undefined;
  /** authenticatorConfig present (CTAP 2.1 with authnrCfg). */
  config: boolean;
  setMinPinLength: boolean;
  maxRpIdsForMinPinLength: number;
  /** Built-in user verification is set up (a token can come from it instead of the PIN). */
  uv: boolean;
  /** undefined: the key does not report it (before CTAP 2.2). */
  pinComplexityPolicy?: boolean;
  /** undefined: the key does not report it (before CTAP 2.2). */
  longTouchForReset?: boolean;
  /** The authenticatorConfig subcommands the key lists (getInfo 0x1F); undefined: it lists none, as before CTAP 2.2. */
  configCommands?: number[];
}

export function keyStateFromInfo(info: AuthenticatorInfo): KeyState {
  return {
    versions: [...info.versions],
    aaguid: info.aaguid,
    pinSet: info.options.clientPin,
    minPinLength: info.minPINLength ?? 4,
    forcePinChange: info.forcePINChange === true,
    alwaysUv: info.options.alwaysUv,
    enterpriseAttestation: info.options.ep,
    config: supportsCtap21(info) && info.options.authnrCfg === true,
    setMinPinLength: info.options.setMinPINLength === true,
    maxRpIdsForMinPinLength: info.maxRPIDsForSetMinPINLength ?? 0,
    uv: info.options.uv === true,
    ...(info.pinComplexityPolicy !== undefined ? { pinComplexityPolicy: info.pinComplexityPolicy } : {}),
    ...(info.longTouchForReset !== undefined ? { longTouchForReset: info.longTouchForReset } : {}),
    ...(info.authenticatorConfigCommands !== undefined ? { configCommands: [...info.authenticatorConfigCommands] } : {}),
  };
}

/**
 * Why the key would not take this authenticatorConfig subcommand, or undefined when it may. A key that lists
 * authenticatorConfigCommands (CTAP 2.2 getInfo 0x1F) takes only those; one that lists none is judged by its
 * options, as before.
 */
export function configCommandRefusal(state: Pick<KeyState, 'configCommands'>, subCommand: number): string | undefined {
  const listed = state.configCommands;
  if (listed === undefined || listed.includes(subCommand)) return undefined;
  const offered = listed.length ? listed.map(configCommandName).join(', ') : 'none';
  return `this key does not offer the authenticatorConfig subcommand ${configCommandName(subCommand)} (its authenticatorConfigCommands: ${offered})`;
}

export type Step =
  | { op: 'set-pin' }
  | { op: 'min-pin-length'; from: number; to: number; rpIds?: string[] }
  | { op: 'enterprise-attestation' }
  | { op: 'always-uv'; to: boolean }
  | { op: 'pin-complexity' }
  | { op: 'long-touch-reset' }
  | { op: 'force-pin-change' };

export type Plan =
  | { ok: true; steps: Step[]; needsToken: boolean }
  | { ok: false; kind: ErrorKind; message: string; reason: string };

const cannot = (kind: ErrorKind, reason: string, message: string): Plan => ({ ok: false, kind, reason, message });

/** One line per step, for tables and dry runs. */
export function describeStep(s: Step): string {
  switch (s.op) {
    case 'set-pin':
      return 'set PIN';
    case 'min-pin-length':
      return `min PIN length ${s.from} -> ${s.to}${s.rpIds?.length ? ` (rpIds ${s.rpIds.join(' ')})` : ''}`;
    case 'enterprise-attestation':
      return 'enable enterprise attestation';
    case 'always-uv':
      return `always-UV ${s.to ? 'on' : 'off'}`;
    case 'pin-complexity':
      return 'PIN complexity policy on';
    case 'long-touch-reset':
      return 'long touch for reset on';
    case 'force-pin-change':
      return 'force PIN change';
  }
}

/** The ordered differences between `policy` and `state`, or why the key cannot meet the policy. */
export interface PlanOptions {
  /**
   * Send the minimum length with its rpIds even when the length is already the key's: the
   * `min-pin-length --rp-id` command asks for exactly that. getInfo does not report the list,
   * so `apply` (idempotent) sends rpIds only with a change of the length.
   */
  rpIdsAtSameLength?: boolean;
  /**
   * A setting the key lacks is refused even when the value asked is what such a key behaves like
   * (`uvd` on a key without always-UV is "not supported", not "already off"). `apply` leaves it off:
   * a fleet policy of alwaysUv false is met by a key that cannot turn it on.
   */
  requireSupport?: boolean;
}

export function planPolicy(policy: Policy, state: KeyState, o: PlanOptions = {}): Plan {
  const steps: Step[] = [];
  if (policy.allowedAaguids !== undefined && !policy.allowedAaguids.includes(state.aaguid.toLowerCase())) {
    return cannot('wrong-key', 'aaguid-not-allowed', `this key's model (AAGUID ${state.aaguid}) is not on the policy's allowedAaguids`);
  }
  const cfg = (what: string, subCommand: number): Plan | undefined => {
    if (!state.config) return cannot('unsupported', 'no-config', `${what} is not supported by this key: it needs CTAP 2.1 with authenticatorConfig, and the key speaks ${state.versions.join(', ')}`);
    const refusal = configCommandRefusal(state, subCommand);
    return refusal === undefined ? undefined : cannot('unsupported', 'config-command-not-offered', refusal);
  };

  if (policy.pin === true && state.pinSet !== true) {
    if (state.pinSet === undefined) return cannot('unsupported', 'no-pin-support', 'the policy asks for a PIN and this key has no PIN support');
    steps.push({ op: 'set-pin' });
  }
  const willHavePin = state.pinSet === true || steps.length > 0;

  const m = policy.minPinLength;
  if (m !== undefined) {
    if (m.length < state.minPinLength) {
      return cannot('pin-policy', 'min-below-current', `the key's minimum PIN length is ${state.minPinLength} and can only be raised, not set to ${m.length}`);
    }
    const send = m.length > state.minPinLength || (o.rpIdsAtSameLength === true && (m.rpIds?.length ?? 0) > 0);
    if (send || o.requireSupport) {
      const no = cfg('Setting the minimum PIN length', ConfigSubCommand.setMinPINLength);
      if (no) return no;
      if (!state.setMinPinLength) return cannot('unsupported', 'no-set-min-pin-length', 'this key cannot set the minimum PIN length (option setMinPINLength is off)');
    }
    if (send) {
      const rpIds = m.rpIds ?? [];
      if (rpIds.length > state.maxRpIdsForMinPinLength) {
        return cannot('unsupported', 'too-many-rp-ids', `this key accepts at most ${state.maxRpIdsForMinPinLength} rpIds for the minimum PIN length, the policy has ${rpIds.length}`);
      }
      steps.push(rpIds.length ? { op: 'min-pin-length', from: state.minPinLength, to: m.length, rpIds } : { op: 'min-pin-length', from: state.minPinLength, to: m.length });
    }
  }

  if (policy.enterpriseAttestation === true && state.enterpriseAttestation !== true) {
    const no = cfg('Enterprise attestation', ConfigSubCommand.enableEnterpriseAttestation);
    if (no) return no;
    if (state.enterpriseAttestation === undefined) return cannot('unsupported', 'no-enterprise-attestation', 'this key does not support enterprise attestation (no ep option)');
    steps.push({ op: 'enterprise-attestation' });
  }

  if (policy.alwaysUv !== undefined && (o.requireSupport || policy.alwaysUv !== (state.alwaysUv === true))) {
    const no = cfg('Always-UV', ConfigSubCommand.toggleAlwaysUv);
    if (no) return no;
    if (state.alwaysUv === undefined) return cannot('unsupported', 'no-always-uv', 'this key does not support always-UV (no alwaysUv option)');
    if (policy.alwaysUv !== state.alwaysUv) steps.push({ op: 'always-uv', to: policy.alwaysUv });
  }

  if (m?.complexity !== undefined && (o.requireSupport || m.complexity !== (state.pinComplexityPolicy === true))) {
    const no = cfg('The PIN complexity policy', ConfigSubCommand.setMinPINLength);
    if (no) return no;
    if (!state.setMinPinLength) return cannot('unsupported', 'no-set-min-pin-length', 'this key cannot change its PIN policy (option setMinPINLength is off)');
    // The member announces the policy (CTAP 2.2 §6.4 pinComplexityPolicy); a key without it has none to turn on.
    if (state.pinComplexityPolicy === undefined) return cannot('unsupported', 'no-pin-complexity-policy', 'this key has no PIN complexity policy (getInfo has no pinComplexityPolicy)');
    if (!m.complexity && state.pinComplexityPolicy) return cannot('unsupported', 'pin-complexity-on', "the key's PIN complexity policy is on and this tool does not turn it off; only a reset does");
    if (m.complexity && !state.pinComplexityPolicy) steps.push({ op: 'pin-complexity' });
  }

  if (policy.longTouchForReset !== undefined && (o.requireSupport || policy.longTouchForReset !== (state.longTouchForReset === true))) {
    const no = cfg('Long touch for reset', ConfigSubCommand.enableLongTouchForReset);
    if (no) return no;
    // Announced by getInfo longTouchForReset (CTAP 2.2 §6.4); without it the key has no such setting.
    if (state.longTouchForReset === undefined) return cannot('unsupported', 'no-long-touch-reset', 'this key has no long-touch-for-reset setting (getInfo has no longTouchForReset)');
    if (!policy.longTouchForReset && state.longTouchForReset) return cannot('unsupported', 'long-touch-reset-on', 'long touch for reset is on and no authenticatorConfig subcommand turns it off');
    if (policy.longTouchForReset && !state.longTouchForReset) steps.push({ op: 'long-touch-reset' });
  }

  if ((policy.forcePinChange === true || m?.forceChange === true) && (!state.forcePinChange || o.requireSupport)) {
    const no = cfg('Forcing a PIN change', ConfigSubCommand.setMinPINLength);
    if (no) return no;
    // forceChangePin is a parameter of setMinPINLength (CTAP 2.1 §6.11.4).
    if (!state.setMinPinLength) return cannot('unsupported', 'no-set-min-pin-length', 'this key cannot force a PIN change (option setMinPINLength is off)');
    if (!willHavePin) return cannot('pin-required', 'no-pin', 'the key has no PIN to change; set one first (`fido2-manage set-pin`, or "pin": true in a policy)');
    if (!state.forcePinChange) steps.push({ op: 'force-pin-change' });
  }

  const configSteps = steps.filter((s) => s.op !== 'set-pin');
  // Once a change of PIN is forced, the key gives no PIN token until the PIN is changed.
  if (configSteps.length > 0 && state.forcePinChange && (willHavePin || state.uv)) {
    return cannot('pin-policy', 'pin-change-pending', 'the key asks for a new PIN before anything else; run `fido2-manage change-pin` first');
  }
  // CTAP 2.1 §6.11.1: a protected key (PIN or built-in UV) takes config changes only with a token.
  const protectedKey = willHavePin || state.uv;
  const needsToken = configSteps.some((s) => protectedKey || (state.alwaysUv === true && s.op !== 'always-uv'));
  return { ok: true, steps, needsToken };
}
