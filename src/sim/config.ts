/**
 * authenticatorConfig (0x0D), CTAP 2.1 §6.11: enterprise attestation,
 * alwaysUv and the minimum PIN length.
 */
import type { CborMap, Encodable } from './cbor.js';
import { Permission, type KeyContext, type Request } from './context.js';
import { optArray, optBool, optBytes, optMap, optUint, reqUint } from './params.js';
import { isProtected, requirePermission, subCommandMessage, supportedProtocol, verifyRequestParam } from './pin-uv-auth.js';
import { Status, fail } from './status.js';
import { MAX_PIN_LENGTH } from './ctap23.js';

export const ConfigSub = {
  enableEnterpriseAttestation: 0x01,
  toggleAlwaysUv: 0x02,
  setMinPINLength: 0x03,
  /** CTAP 2.3 §6.11.5. */
  enableLongTouchForReset: 0x04,
} as const;

/** The subcommands this key's profile implements: getInfo authenticatorConfigCommands (0x1F). */
export function configCommands(ctx: KeyContext): number[] {
  const all = Object.values(ConfigSub) as number[];
  return ctx.profile.ctap23 ? all : all.filter((s) => s !== ConfigSub.enableLongTouchForReset);
}

const P = { subCommand: 1, subCommandParams: 2, protocol: 3, pinUvAuthParam: 4 };
const MIN = { newMinPINLength: 1, minPinLengthRPIDs: 2, forceChangePin: 3, pinComplexityPolicy: 4 };

/** getInfo maxRPIDsForSetMinPINLength. */
export const MAX_MIN_PIN_LENGTH_RPIDS = 4;
/** The longest PIN is 63 bytes, so no minimum above 63 code points can ever be met. */
const MAX_MIN_PIN_LENGTH = 63;

export function authenticatorConfig(ctx: KeyContext, req: Request): Encodable | undefined {
  const { map } = req;
  const sub = reqUint(map, P.subCommand);
  if (!configCommands(ctx).includes(sub)) fail(Status.INVALID_SUBCOMMAND);
  const subParams = optMap(map, P.subCommandParams);
  const param = optBytes(map, P.pinUvAuthParam);
  const protocolNumber = optUint(map, P.protocol);
  if (param !== undefined) {
    if (protocolNumber === undefined) fail(Status.MISSING_PARAMETER);
    supportedProtocol(ctx, protocolNumber);
  }
  // §6.11.1: a key nobody can verify on is configured without a token. With alwaysUv on, only
  // toggleAlwaysUv itself may go without one, or a key without a PIN could never turn it off.
  const alwaysUvGuards = ctx.state.alwaysUv && sub !== ConfigSub.toggleAlwaysUv;
  if (isProtected(ctx) || alwaysUvGuards) {
    // 32×0xff || 0x0d || subCommand || subCommandParams (§6.11).
    const prefix = new Uint8Array(34).fill(0xff, 0, 32);
    prefix[32] = 0x0d;
    prefix[33] = sub & 0xff;
    const token = verifyRequestParam(ctx, param, protocolNumber, subCommandMessage(req, P.subCommandParams, prefix));
    requirePermission(token, Permission.acfg);
  }
  switch (sub) {
    case ConfigSub.enableEnterpriseAttestation:
      ctx.state.enterpriseAttestation = true;
      ctx.persist();
      return undefined;
    case ConfigSub.toggleAlwaysUv:
      if (!ctx.quirks.toggleAlwaysUvIgnored) {
        ctx.state.alwaysUv = !ctx.state.alwaysUv;
        ctx.persist();
      }
      return undefined;
    case ConfigSub.setMinPINLength:
      setMinPinLength(ctx, subParams ?? new Map());
      return undefined;
    case ConfigSub.enableLongTouchForReset:
      // From now on authenticatorReset wants a long touch; the simulated user gives whichever is asked.
      ctx.state.longTouchForReset = true;
      ctx.persist();
      return undefined;
  }
  return fail(Status.INVALID_SUBCOMMAND);
}

/** §6.11.4: the minimum only grows; a PIN now too short must be changed before use. */
function setMinPinLength(ctx: KeyContext, params: CborMap): void {
  const requested = optUint(params, MIN.newMinPINLength);
  const rpIds = optArray(params, MIN.minPinLengthRPIDs);
  const force = optBool(params, MIN.forceChangePin) ?? false;
  // CTAP 2.3 §6.11.4: pinComplexityPolicy true turns the policy on; like the minimum it only tightens.
  const complexity = ctx.profile.ctap23 ? optBool(params, MIN.pinComplexityPolicy) : undefined;
  const newMin = requested ?? ctx.state.minPinLength;
  if (newMin < ctx.state.minPinLength) fail(Status.PIN_POLICY_VIOLATION);
  // A 2.3 key cannot ask for more than its own maxPINLength (§6.4), or no PIN could be set.
  if (newMin > (ctx.profile.ctap23 ? MAX_PIN_LENGTH : MAX_MIN_PIN_LENGTH)) fail(Status.PIN_POLICY_VIOLATION);
  if (rpIds) {
    if (!rpIds.every((r) => typeof r === 'string')) fail(Status.CBOR_UNEXPECTED_TYPE);
    if (rpIds.length > MAX_MIN_PIN_LENGTH_RPIDS) fail(Status.INVALID_LENGTH);
  }
  if (force && !ctx.state.pin) fail(Status.PIN_NOT_SET);
  ctx.state.minPinLength = newMin;
  if (rpIds) ctx.state.minPinLengthRpIds = rpIds as string[];
  if (complexity === true) ctx.state.pinComplexityPolicy = true;
  if (force || (ctx.state.pin && ctx.state.pin.codePoints < newMin)) ctx.state.forcePinChange = true;
  ctx.persist();
}
