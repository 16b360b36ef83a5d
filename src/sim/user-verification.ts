/**
 * How makeCredential and getAssertion decide on user verification
 * (CTAP 2.1 §6.1.2 steps 1-11, §6.2.2 steps 1-9): the pinUvAuthParam,
 * the "uv" option, alwaysUv and makeCredUvNotRqd.
 */
import { builtInUserVerification } from './client-pin.js';
import type { KeyContext } from './context.js';
import { isProtected, requirePermission, supportedProtocol, verifyWithToken } from './pin-uv-auth.js';
import { Status, fail } from './status.js';

export interface UvRequest {
  readonly pinUvAuthParam: Uint8Array | undefined;
  readonly protocol: number | undefined;
  readonly uvOption: boolean | undefined;
  readonly clientDataHash: Uint8Array;
  readonly permission: number;
  readonly rpId: string;
  /** The operation may go ahead with user presence alone on a protected key. */
  readonly uvOptional: boolean;
  /** getAssertion's "up" option; false is a silent request. */
  readonly up?: boolean;
}

export interface UvOutcome {
  readonly userVerified: boolean;
  /** Built-in UV was a touch of the sensor, so presence is already shown. */
  readonly userPresent: boolean;
}

/**
 * A zero-length pinUvAuthParam asks "is this the key?" (§6.1.2 step 1):
 * after a touch the answer is PIN_NOT_SET or PIN_INVALID, never success.
 */
export async function answerZeroLengthParam(ctx: KeyContext, param: Uint8Array | undefined): Promise<void> {
  if (param === undefined || param.length > 0) return;
  await ctx.io.userPresence();
  fail(ctx.state.pin ? Status.PIN_INVALID : Status.PIN_NOT_SET);
}

/** Checks that a pinUvAuthParam comes with a protocol this key speaks. */
export function checkProtocolPresent(ctx: KeyContext, param: Uint8Array | undefined, protocol: number | undefined): void {
  if (param === undefined) return;
  if (protocol === undefined) fail(Status.MISSING_PARAMETER);
  supportedProtocol(ctx, protocol);
}

export async function establishUserVerification(ctx: KeyContext, r: UvRequest): Promise<UvOutcome> {
  const hasParam = r.pinUvAuthParam !== undefined;
  // With a pinUvAuthParam the "uv" option is treated as false (§6.1.2 step 5).
  let wantBuiltIn = !hasParam && r.uvOption === true;
  if (wantBuiltIn && !ctx.builtInUv) fail(ctx.profile.ctap21 ? Status.INVALID_OPTION : Status.UNSUPPORTED_OPTION);
  // §6.2.2 step 6 applies alwaysUv to getAssertion only when "up" is true: a silent
  // request (up false, no token) proceeds with UP=0 and UV=0, and no sensor is used.
  if (ctx.profile.ctap21 && ctx.state.alwaysUv && !hasParam && !wantBuiltIn && r.up !== false) {
    // alwaysUv (§6.1.2 step 6): no operation without UV; a sensor is used unasked.
    if (ctx.builtInUv && ctx.state.uvRetries > 0) wantBuiltIn = true;
    else fail(Status.PUAT_REQUIRED);
  }
  if (!hasParam && !wantBuiltIn && isProtected(ctx) && !r.uvOptional) fail(Status.PUAT_REQUIRED);
  if (hasParam) {
    const protocol = supportedProtocol(ctx, r.protocol!);
    const token = verifyWithToken(ctx, protocol, r.clientDataHash, r.pinUvAuthParam!);
    requirePermission(token, r.permission, r.rpId);
    // §6.1.2 step 14 / §6.2.2 step 10: presence the token already carries is used once, then cleared.
    const present = token.userPresent && r.up !== false;
    if (present) token.userPresent = false;
    return { userVerified: true, userPresent: present };
  }
  if (wantBuiltIn) {
    await builtInUserVerification(ctx);
    return { userVerified: true, userPresent: true };
  }
  return { userVerified: false, userPresent: false };
}
