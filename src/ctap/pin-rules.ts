/**
 * The key's rules for a new PIN, as getInfo announces them, in one sentence for
 * the message that follows PIN_POLICY_VIOLATION (CTAP 2.2 §6.5.5: the key
 * refuses a PIN shorter than minPINLength, longer than maxPINLength, or, with
 * pinComplexityPolicy on, one its policy rejects). Pure.
 */
import type { AuthenticatorInfo } from './get-info.js';
import { ABSOLUTE_MIN_PIN_LENGTH, MAX_PIN_BYTES } from './pin-policy.js';

export interface PinRules {
  /** Code points, never below 4. */
  min: number;
  /** Code points; undefined when the key does not say (before CTAP 2.2). */
  max?: number;
  /** undefined: the key has no (announced) complexity policy. */
  complexity?: boolean;
  complexityUrl?: string;
  forcePinChange: boolean;
}

type RuleFacts = Pick<AuthenticatorInfo, 'minPINLength' | 'maxPINLength' | 'pinComplexityPolicy' | 'pinComplexityPolicyURL' | 'forcePINChange'>;

export function pinRules(info: RuleFacts): PinRules {
  const rules: PinRules = { min: Math.max(ABSOLUTE_MIN_PIN_LENGTH, info.minPINLength ?? ABSOLUTE_MIN_PIN_LENGTH), forcePinChange: info.forcePINChange === true };
  if (info.maxPINLength !== undefined) rules.max = info.maxPINLength;
  if (info.pinComplexityPolicy !== undefined) rules.complexity = info.pinComplexityPolicy;
  if (info.pinComplexityPolicyURL !== undefined) rules.complexityUrl = info.pinComplexityPolicyURL;
  return rules;
}

/** "at least 6 characters, at most 31 characters (and 63 bytes), the key's PIN complexity policy is on (see URL)". */
export function describePinRules(info: RuleFacts): string {
  const r = pinRules(info);
  const parts = [`at least ${r.min} characters`, r.max === undefined ? `at most ${MAX_PIN_BYTES} bytes` : `at most ${r.max} characters (and ${MAX_PIN_BYTES} bytes)`];
  if (r.complexity === true) parts.push(`the key's PIN complexity policy is on${r.complexityUrl ? ` (its rules: ${r.complexityUrl})` : ''}`);
  else if (r.complexity === false) parts.push("no PIN complexity policy is on");
  if (r.forcePinChange) parts.push('different from the current PIN, which must be changed');
  return parts.join(', ');
}
