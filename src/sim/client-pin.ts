/**
 * authenticatorClientPIN (0x06), CTAP 2.1 §6.5.5: PIN retries, key
 * agreement, setPIN, changePIN and the three ways to get a pinUvAuthToken.
 */
import { type CborMap, type Encodable } from './cbor.js';
import { Permission, type KeyContext } from './context.js';
import {
  decrypt,
  encrypt,
  pinHash,
  publicKeyOf,
  sharedSecret,
  verify,
  type CoseP256,
  type PinUvAuthProtocol,
} from './pin-protocol.js';
import { asMap, optBytes, optInt, optText, optUint, reqBytes, reqMap, reqUint } from './params.js';
import { discardToken, issueToken, keyAgreementKey, regenerateKeyAgreement, supportedProtocol } from './pin-uv-auth.js';
import { MAX_PIN_RETRIES, MAX_UV_RETRIES, pinMatches, pinRecord, resetPersistentToken } from './state.js';
import { MAX_PIN_LENGTH, PCMR, breaksComplexityPolicy } from './ctap23.js';
import { Status, fail } from './status.js';
import { loadP256 } from '../p256.js';

export const ClientPinSub = {
  getPINRetries: 0x01,
  getKeyAgreement: 0x02,
  setPIN: 0x03,
  changePIN: 0x04,
  getPinToken: 0x05,
  getPinUvAuthTokenUsingUvWithPermissions: 0x06,
  getUVRetries: 0x07,
  getPinUvAuthTokenUsingPinWithPermissions: 0x09,
} as const;

const P = { protocol: 1, subCommand: 2, keyAgreement: 3, pinUvAuthParam: 4, newPinEnc: 5, pinHashEnc: 6, permissions: 9, rpId: 10 };
const R = { keyAgreement: 1, pinUvAuthToken: 2, pinRetries: 3, powerCycleState: 4, uvRetries: 5 };

/** Wrong PINs in a row that block PIN entry until a power cycle (§6.5.5.5). */
const PIN_AUTH_BLOCK_AFTER = 3;
const UV_AUTH_BLOCK_AFTER = 3;

export async function clientPin(ctx: KeyContext, params: CborMap): Promise<Encodable | undefined> {
  const sub = reqUint(params, P.subCommand);
  const v21 = ctx.profile.ctap21;
  // Only the retries queries work without ECDH; `info` sends nothing else, so it never loads the curve.
  if (sub !== ClientPinSub.getPINRetries && sub !== ClientPinSub.getUVRetries) await loadP256();
  switch (sub) {
    case ClientPinSub.getPINRetries:
      optionalProtocol(ctx, params);
      return new Map<number, Encodable>([
        [R.pinRetries, ctx.state.pinRetries],
        ...(v21 ? [[R.powerCycleState, pinAuthBlocked(ctx)] as [number, Encodable]] : []),
      ]);
    case ClientPinSub.getKeyAgreement: {
      const protocol = requiredProtocol(ctx, params);
      const pub = publicKeyOf(keyAgreementKey(ctx, protocol));
      return new Map([[R.keyAgreement, coseKeyAgreement(pub)]]);
    }
    case ClientPinSub.setPIN:
      setPin(ctx, params);
      return undefined;
    case ClientPinSub.changePIN:
      changePin(ctx, params);
      return undefined;
    case ClientPinSub.getPinToken:
      return tokenUsingPin(ctx, params, false);
    case ClientPinSub.getPinUvAuthTokenUsingPinWithPermissions:
      if (!v21) fail(Status.INVALID_SUBCOMMAND);
      return tokenUsingPin(ctx, params, true);
    case ClientPinSub.getPinUvAuthTokenUsingUvWithPermissions:
      if (!v21 || !ctx.sensor) fail(Status.INVALID_SUBCOMMAND);
      // A sensor with no finger enrolled (getInfo uv false) cannot verify anyone yet.
      if (!ctx.builtInUv) fail(Status.NOT_ALLOWED);
      return tokenUsingUv(ctx, params);
    case ClientPinSub.getUVRetries:
      if (!v21 || !ctx.sensor) fail(Status.INVALID_SUBCOMMAND);
      optionalProtocol(ctx, params);
      return new Map<number, Encodable>([
        [R.uvRetries, ctx.state.uvRetries],
        [R.powerCycleState, ctx.volatile.consecutiveUvFailures >= UV_AUTH_BLOCK_AFTER],
      ]);
    default:
      return fail(Status.INVALID_SUBCOMMAND);
  }
}

function optionalProtocol(ctx: KeyContext, params: CborMap): void {
  const p = optUint(params, P.protocol);
  if (p !== undefined) supportedProtocol(ctx, p);
}

function requiredProtocol(ctx: KeyContext, params: CborMap): PinUvAuthProtocol {
  return supportedProtocol(ctx, reqUint(params, P.protocol));
}

function pinAuthBlocked(ctx: KeyContext): boolean {
  return ctx.volatile.consecutivePinFailures >= PIN_AUTH_BLOCK_AFTER;
}

/** getPublicKey() as a COSE_Key: alg is -25 although ECDH-ES+HKDF-256 is not what is done (§6.5.6). */
function coseKeyAgreement(pub: CoseP256): Encodable {
  return new Map<number, Encodable>([
    [1, 2],
    [3, -25],
    [-1, 1],
    [-2, pub.x],
    [-3, pub.y],
  ]);
}

function parseCoseKeyAgreement(key: CborMap): CoseP256 {
  const kty = optInt(key, 1);
  const crv = optInt(key, -1);
  const x = optBytes(key, -2);
  const y = optBytes(key, -3);
  if (kty !== 2 || crv !== 1 || x?.length !== 32 || y?.length !== 32) fail(Status.INVALID_PARAMETER);
  return { x, y };
}

/** decapsulate(keyAgreement); a point off the curve is CTAP1_ERR_INVALID_PARAMETER. */
function decapsulate(ctx: KeyContext, protocol: PinUvAuthProtocol, params: CborMap): Uint8Array {
  const peer = parseCoseKeyAgreement(asMap(reqMap(params, P.keyAgreement)));
  try {
    return sharedSecret(protocol, keyAgreementKey(ctx, protocol), peer);
  } catch {
    return fail(Status.INVALID_PARAMETER);
  }
}

function decryptOrInvalid(protocol: PinUvAuthProtocol, secret: Uint8Array, data: Uint8Array): Uint8Array {
  try {
    return decrypt(protocol, secret, data);
  } catch {
    return fail(Status.INVALID_PARAMETER);
  }
}

/**
 * newPinEnc → the new PIN's UTF-8 bytes, enforcing §6.5.5.5: 64 padded
 * bytes, at least minPINLength code points, at most 63 bytes.
 */
function newPinFrom(ctx: KeyContext, protocol: PinUvAuthProtocol, secret: Uint8Array, newPinEnc: Uint8Array): { pin: Uint8Array; codePoints: number } {
  const padded = decryptOrInvalid(protocol, secret, newPinEnc);
  if (padded.length !== 64) fail(Status.INVALID_PARAMETER);
  // A 64th byte that is not padding means the PIN is longer than 63 bytes.
  if (padded[63] !== 0) fail(Status.PIN_POLICY_VIOLATION);
  let end = padded.length;
  while (end > 0 && padded[end - 1] === 0) end--;
  const pin = padded.slice(0, end);
  const text = new TextDecoder().decode(pin);
  const codePoints = [...text].length;
  if (codePoints < Math.max(4, ctx.state.minPinLength)) fail(Status.PIN_POLICY_VIOLATION);
  // CTAP 2.3 §6.5.5.5 / §6.5.5.6: longer than maxPINLength, or against the complexity policy (§7.5).
  if (ctx.profile.ctap23 && codePoints > MAX_PIN_LENGTH) fail(Status.PIN_POLICY_VIOLATION);
  if (ctx.profile.ctap23 && ctx.state.pinComplexityPolicy && breaksComplexityPolicy(text)) fail(Status.PIN_POLICY_VIOLATION);
  return { pin, codePoints };
}

function setPin(ctx: KeyContext, params: CborMap): void {
  const protocol = requiredProtocol(ctx, params);
  reqMap(params, P.keyAgreement);
  const param = reqBytes(params, P.pinUvAuthParam);
  const newPinEnc = reqBytes(params, P.newPinEnc);
  if (ctx.state.pin) fail(Status.NOT_ALLOWED);
  const secret = decapsulate(ctx, protocol, params);
  if (!verify(protocol, secret, newPinEnc, param)) fail(Status.PIN_AUTH_INVALID);
  const { pin, codePoints } = newPinFrom(ctx, protocol, secret, newPinEnc);
  ctx.state.pin = pinRecord(pinHash(pin), codePoints);
  ctx.state.pinRetries = MAX_PIN_RETRIES;
  ctx.state.forcePinChange = false;
  ctx.persist();
}

/**
 * Checks pinHashEnc against the stored PIN, with the retry bookkeeping of
 * §6.5.5.6/§6.5.5.7: the counter drops before the comparison, and a wrong
 * PIN regenerates the key-agreement key.
 */
function checkPin(ctx: KeyContext, protocol: PinUvAuthProtocol, secret: Uint8Array, pinHashEnc: Uint8Array): void {
  const stored = ctx.state.pin;
  if (!stored) return fail(Status.PIN_NOT_SET);
  if (pinHashEnc.length !== (protocol === 1 ? 16 : 32)) fail(Status.INVALID_PARAMETER);
  ctx.state.pinRetries -= 1;
  ctx.persist();
  const given = decryptOrInvalid(protocol, secret, pinHashEnc);
  if (!pinMatches(stored, given)) {
    regenerateKeyAgreement(ctx, protocol);
    ctx.volatile.consecutivePinFailures += 1;
    if (ctx.state.pinRetries === 0) fail(Status.PIN_BLOCKED);
    if (pinAuthBlocked(ctx)) fail(Status.PIN_AUTH_BLOCKED);
    fail(Status.PIN_INVALID);
  }
  ctx.state.pinRetries = MAX_PIN_RETRIES;
  ctx.volatile.consecutivePinFailures = 0;
  ctx.persist();
}

/** The checks every PIN-consuming subcommand makes before touching the retry counter. */
function pinUsable(ctx: KeyContext): void {
  if (!ctx.state.pin) fail(Status.PIN_NOT_SET);
  if (ctx.state.pinRetries === 0) fail(Status.PIN_BLOCKED);
  if (pinAuthBlocked(ctx)) fail(Status.PIN_AUTH_BLOCKED);
}

function changePin(ctx: KeyContext, params: CborMap): void {
  const protocol = requiredProtocol(ctx, params);
  reqMap(params, P.keyAgreement);
  const pinHashEnc = reqBytes(params, P.pinHashEnc);
  const newPinEnc = reqBytes(params, P.newPinEnc);
  const param = reqBytes(params, P.pinUvAuthParam);
  pinUsable(ctx);
  const secret = decapsulate(ctx, protocol, params);
  const message = new Uint8Array(newPinEnc.length + pinHashEnc.length);
  message.set(newPinEnc, 0);
  message.set(pinHashEnc, newPinEnc.length);
  if (!verify(protocol, secret, message, param)) fail(Status.PIN_AUTH_INVALID);
  checkPin(ctx, protocol, secret, pinHashEnc);
  const { pin, codePoints } = newPinFrom(ctx, protocol, secret, newPinEnc);
  const hash = pinHash(pin);
  // A forced change must actually change the PIN (§6.5.5.6).
  if (ctx.state.forcePinChange && pinMatches(ctx.state.pin!, hash)) fail(Status.PIN_POLICY_VIOLATION);
  ctx.state.pin = pinRecord(hash, codePoints);
  ctx.state.forcePinChange = false;
  discardToken(ctx);
  // CTAP 2.3 §6.5.5.6: a PIN change also withdraws the persistent token and its pcmr permission.
  resetPersistentToken(ctx.state);
  ctx.persist();
}

/** Permission bits this key can grant; the rest are CTAP2_ERR_UNAUTHORIZED_PERMISSION. */
function checkPermissions(ctx: KeyContext, permissions: number): void {
  if (permissions === 0) fail(Status.INVALID_PARAMETER);
  // be only on a key that can enroll fingers (§6.5.5.7: bioEnroll supported), lbw only with largeBlobs.
  const optional = (ctx.sensor ? Permission.be : 0) | (ctx.largeBlobMax !== undefined ? Permission.lbw : 0);
  const grantable = Permission.mc | Permission.ga | Permission.cm | Permission.acfg | optional | (ctx.profile.ctap23 ? PCMR : 0);
  if (permissions > 0xff || (permissions & ~grantable) !== 0) fail(Status.UNAUTHORIZED_PERMISSION);
  // CTAP 2.3 §6.5.5.7.2 step 4: pcmr comes alone or not at all.
  if ((permissions & PCMR) !== 0 && permissions !== PCMR) fail(Status.UNAUTHORIZED_PERMISSION);
}

function tokenUsingPin(ctx: KeyContext, params: CborMap, withPermissions: boolean): Encodable {
  const protocol = requiredProtocol(ctx, params);
  reqMap(params, P.keyAgreement);
  const pinHashEnc = reqBytes(params, P.pinHashEnc);
  let permissions = Permission.mc | Permission.ga;
  let rpId: string | undefined;
  if (withPermissions) {
    permissions = reqUint(params, P.permissions);
    rpId = optText(params, P.rpId);
    checkPermissions(ctx, permissions);
  } else if (ctx.profile.ctap21 && (params.has(P.permissions) || params.has(P.rpId))) {
    // getPinToken takes neither; its token is always mc+ga (§6.5.5.7.1).
    fail(Status.INVALID_PARAMETER);
  }
  pinUsable(ctx);
  const secret = decapsulate(ctx, protocol, params);
  checkPin(ctx, protocol, secret, pinHashEnc);
  // CTAP 2.1 §6.5.5.7.1 (getPinToken) and §6.5.5.7.2 (…WithPermissions) differ here: the PIN was
  // right (retries are back at the maximum), yet no token; the legacy subcommand says PIN_INVALID,
  // the permissions one PIN_POLICY_VIOLATION so the platform knows to ask for a new PIN.
  if (ctx.state.forcePinChange) fail(withPermissions ? Status.PIN_POLICY_VIOLATION : Status.PIN_INVALID);
  const token = permissions === PCMR ? grantPersistentToken(ctx) : issueToken(ctx, protocol, permissions, rpId);
  return new Map([[R.pinUvAuthToken, encrypt(protocol, secret, token)]]);
}

/**
 * CTAP 2.3 §6.5.5.7.2 step 12: pcmr goes to the persistent token, which is handed out as it is;
 * the ordinary pinUvAuthToken is left alone.
 */
function grantPersistentToken(ctx: KeyContext): Uint8Array {
  ctx.state.persistentPermissions = PCMR;
  ctx.persist();
  return ctx.state.persistentToken;
}

async function tokenUsingUv(ctx: KeyContext, params: CborMap): Promise<Encodable> {
  const protocol = requiredProtocol(ctx, params);
  reqMap(params, P.keyAgreement);
  const permissions = reqUint(params, P.permissions);
  const rpId = optText(params, P.rpId);
  checkPermissions(ctx, permissions);
  if (ctx.state.uvRetries === 0) fail(Status.UV_BLOCKED);
  const secret = decapsulate(ctx, protocol, params);
  await builtInUserVerification(ctx);
  // The finger on the sensor is evidence of user interaction: beginUsingPinUvAuthToken(userIsPresent: true).
  const token = permissions === PCMR ? grantPersistentToken(ctx) : issueToken(ctx, protocol, permissions, rpId, true);
  return new Map([[R.pinUvAuthToken, encrypt(protocol, secret, token)]]);
}

/**
 * One built-in UV attempt with its retry counter (§6.5.5.8): a miss costs
 * a retry and is CTAP2_ERR_UV_INVALID, the last one CTAP2_ERR_UV_BLOCKED.
 */
export async function builtInUserVerification(ctx: KeyContext): Promise<void> {
  if (ctx.state.uvRetries === 0) fail(Status.UV_BLOCKED);
  const matched = await ctx.io.builtInUv();
  if (!matched) {
    ctx.state.uvRetries -= 1;
    ctx.volatile.consecutiveUvFailures += 1;
    ctx.persist();
    fail(ctx.state.uvRetries === 0 ? Status.UV_BLOCKED : Status.UV_INVALID);
  }
  ctx.state.uvRetries = MAX_UV_RETRIES;
  ctx.volatile.consecutiveUvFailures = 0;
  ctx.persist();
}
