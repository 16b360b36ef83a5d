/**
 * pinUvAuthToken and key-agreement bookkeeping shared by clientPIN,
 * authenticatorConfig, makeCredential and getAssertion (CTAP 2.1 §6.5).
 */
import { randomBytes } from 'node:crypto';
import { type KeyContext, type PinUvAuthTokenState, type Request } from './context.js';
import { newKeyAgreementKey, verify, type PinUvAuthProtocol } from './pin-protocol.js';
import { Status, fail } from './status.js';
import { PCMR } from './ctap23.js';

/** The protocol number from a request; one the profile lacks is CTAP1_ERR_INVALID_PARAMETER. */
export function supportedProtocol(ctx: KeyContext, value: number): PinUvAuthProtocol {
  const p = ctx.profile.pinUvAuthProtocols.find((x) => x === value);
  return p ?? fail(Status.INVALID_PARAMETER);
}

/** getPublicKey()'s private half, created lazily: the spec makes it at power-up, nobody can tell. */
export function keyAgreementKey(ctx: KeyContext, protocol: PinUvAuthProtocol): Uint8Array {
  let k = ctx.volatile.keyAgreement.get(protocol);
  if (!k) {
    k = newKeyAgreementKey();
    ctx.volatile.keyAgreement.set(protocol, k);
  }
  return k;
}

/** regenerate() (§6.5.4): after a wrong PIN the platform must fetch a new key. */
export function regenerateKeyAgreement(ctx: KeyContext, protocol: PinUvAuthProtocol): void {
  ctx.volatile.keyAgreement.delete(protocol);
}

/** "Protected by some form of user verification": a PIN is set or a finger is enrolled. */
export function isProtected(ctx: KeyContext): boolean {
  return ctx.state.pin !== undefined || ctx.builtInUv;
}

/**
 * resetPinUvAuthToken() for every protocol, then a fresh token for this one
 * with the given permissions (§6.5.5.7). Tokens are 32 bytes for both protocols.
 */
export function issueToken(
  ctx: KeyContext,
  protocol: PinUvAuthProtocol,
  permissions: number,
  rpId: string | undefined,
  userPresent = false,
): Uint8Array {
  const value = new Uint8Array(randomBytes(32));
  ctx.volatile.token = { protocol, value, permissions, rpId, userPresent };
  return value;
}

export function discardToken(ctx: KeyContext): void {
  ctx.volatile.token = undefined;
}

/**
 * verify(pinUvAuthToken, message, pinUvAuthParam) with the current token of
 * `protocol`; no token or a mismatch is CTAP2_ERR_PIN_AUTH_INVALID.
 */
export function verifyWithToken(
  ctx: KeyContext,
  protocol: PinUvAuthProtocol,
  message: Uint8Array,
  param: Uint8Array,
): PinUvAuthTokenState {
  const token = ctx.volatile.token;
  if (!token || token.protocol !== protocol || !verify(protocol, token.value, message, param)) {
    fail(Status.PIN_AUTH_INVALID);
  }
  return token;
}

/**
 * Whether `param` is verify(persistentPinUvAuthToken, message) for a persistent token that holds
 * pcmr (CTAP 2.3 §6.5.5.7.2 step 12); before pcmr is granted the persistent token verifies nothing.
 */
export function persistentTokenMatches(ctx: KeyContext, protocol: PinUvAuthProtocol, message: Uint8Array, param: Uint8Array): boolean {
  if (!ctx.profile.ctap23 || ctx.state.persistentPermissions !== PCMR) return false;
  return verify(protocol, ctx.state.persistentToken, message, param);
}

/**
 * The message a subcommand's pinUvAuthParam covers: a command-specific prefix,
 * then subCommandParams exactly as the platform encoded them (§6.7, §6.8, §6.11).
 */
export function subCommandMessage(req: Request, subCommandParamsKey: number, prefix: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([prefix, req.raw.get(subCommandParamsKey) ?? new Uint8Array(0)]));
}

/**
 * What every token-authenticated command checks first: a pinUvAuthParam is
 * there (else PUAT_REQUIRED), with its protocol (else MISSING_PARAMETER), and
 * verifies over `message` with the current token of that protocol.
 */
export function verifyRequestParam(ctx: KeyContext, param: Uint8Array | undefined, protocolNumber: number | undefined, message: Uint8Array): PinUvAuthTokenState {
  if (param === undefined) fail(Status.PUAT_REQUIRED);
  if (protocolNumber === undefined) fail(Status.MISSING_PARAMETER);
  return verifyWithToken(ctx, supportedProtocol(ctx, protocolNumber), message, param);
}

/**
 * The token must carry `permission`, and, when it is bound to an RP, be
 * bound to `rpId`; an unbound token is bound now (§6.1.2, §6.2.2).
 */
export function requirePermission(token: PinUvAuthTokenState, permission: number, rpId?: string): void {
  if ((token.permissions & permission) === 0) fail(Status.PIN_AUTH_INVALID);
  if (rpId === undefined) return;
  if (token.rpId === undefined) token.rpId = rpId;
  else if (token.rpId !== rpId) fail(Status.PIN_AUTH_INVALID);
}
