/** authenticatorMakeCredential (0x01), CTAP 2.1 §6.1: ES256 credentials, discoverable or not. */
import { encodeCbor, type CborMap, type CborValue, type Encodable } from './cbor.js';
import { Permission, type KeyContext } from './context.js';
import {
  ES256,
  coseEs256PublicKey,
  newCredentialPrivateKey,
  unwrapCredentialId,
  wrapCredentialId,
} from './credentials.js';
import { batchAttestationIdentity, packedWithCertificate } from './attestation.js';
import { Flag, authenticatorData, concatBytes, rpIdHash } from './auth-data.js';
import { MAX_CREDENTIALS_IN_LIST, MAX_DISCOVERABLE_CREDENTIALS } from './get-info.js';
import { asMap, optArray, optBool, optBytes, optInt, optMap, optText, optUint, reqArray, reqBytes, reqMap, reqText } from './params.js';
import { credentialStoreChanged, type CredProtect } from './state.js';
import { Status, fail } from './status.js';
import { newLargeBlobKey, wantsLargeBlobKeyOnCreate } from './large-blob-key.js';
import { answerZeroLengthParam, checkProtocolPresent, establishUserVerification } from './user-verification.js';

const P = {
  clientDataHash: 1,
  rp: 2,
  user: 3,
  pubKeyCredParams: 4,
  excludeList: 5,
  extensions: 6,
  options: 7,
  pinUvAuthParam: 8,
  protocol: 9,
  enterpriseAttestation: 10,
};

/** Longest user handle WebAuthn allows. */
const MAX_USER_ID_LENGTH = 64;

/** Reads a list of PublicKeyCredentialDescriptors, keeping the IDs of "public-key" ones. */
export function credentialIds(list: CborValue[] | undefined): Uint8Array[] {
  if (!list) return [];
  if (list.length > MAX_CREDENTIALS_IN_LIST) fail(Status.LIMIT_EXCEEDED);
  return list.flatMap((d) => {
    const m = asMap(d);
    const type = reqText(m, 'type');
    const id = reqBytes(m, 'id');
    return type === 'public-key' ? [id] : [];
  });
}

function supportsEs256(params: CborValue[]): boolean {
  let found = false;
  for (const p of params) {
    const m = asMap(p);
    const type = reqText(m, 'type');
    const alg = optInt(m, 'alg');
    if (alg === undefined) fail(Status.MISSING_PARAMETER);
    if (type === 'public-key' && alg === ES256) found = true;
  }
  return found;
}

function credProtectLevel(extensions: CborMap | undefined): CredProtect | undefined {
  const v = extensions ? optUint(extensions, 'credProtect') : undefined;
  if (v === undefined) return undefined;
  if (v !== 1 && v !== 2 && v !== 3) fail(Status.INVALID_PARAMETER);
  return v;
}

export async function makeCredential(ctx: KeyContext, params: CborMap): Promise<Encodable> {
  const clientDataHash = reqBytes(params, P.clientDataHash);
  const rp = reqMap(params, P.rp);
  const rpId = reqText(rp, 'id');
  const rpName = optText(rp, 'name');
  const user = reqMap(params, P.user);
  const userId = reqBytes(user, 'id');
  const userName = optText(user, 'name');
  const userDisplayName = optText(user, 'displayName');
  const algorithms = reqArray(params, P.pubKeyCredParams);
  const excluded = credentialIds(optArray(params, P.excludeList));
  const extensions = optMap(params, P.extensions);
  const options = optMap(params, P.options) ?? new Map();
  const pinUvAuthParam = optBytes(params, P.pinUvAuthParam);
  const protocol = optUint(params, P.protocol);
  const ep = ctx.profile.ctap21 ? optUint(params, P.enterpriseAttestation) : undefined;
  if (userId.length > MAX_USER_ID_LENGTH) fail(Status.INVALID_LENGTH);

  await answerZeroLengthParam(ctx, pinUvAuthParam);
  checkProtocolPresent(ctx, pinUvAuthParam, protocol);
  if (!supportsEs256(algorithms)) fail(Status.UNSUPPORTED_ALGORITHM);

  const rk = optBool(options, 'rk') ?? false;
  if (optBool(options, 'up') === false) fail(Status.INVALID_OPTION); // creation always needs presence
  const uvOption = optBool(options, 'uv');
  const largeBlobKeyWanted = wantsLargeBlobKeyOnCreate(ctx, extensions, rk);
  if (ep !== undefined) {
    if (!ctx.state.enterpriseAttestation) fail(Status.INVALID_PARAMETER);
    if (ep !== 1 && ep !== 2) fail(Status.INVALID_OPTION);
  }

  // makeCredUvNotRqd (§6.1.2 steps 7, 8, 10): a non-discoverable credential needs no UV while the
  // feature is on; off (or on keys without it), a protected key wants UV for every credential.
  const uvOptional = ctx.profile.ctap21 && !rk && ctx.makeCredUvNotRqd;
  const uv = await establishUserVerification(ctx, {
    pinUvAuthParam,
    protocol,
    uvOption,
    clientDataHash,
    permission: Permission.mc,
    rpId,
    uvOptional,
  });

  const rpHash = rpIdHash(rpId);
  for (const id of excluded) {
    const found = unwrapCredentialId(ctx.state.credentialSecret, rpHash, id);
    // A discoverable credential counts only while stored (deleted ones are gone, §6.8.5).
    const live = found && (!found.discoverable || ctx.state.credentials.some((c) => bytesEqual(c.id, id)));
    // A credProtect level-3 credential stays invisible without UV (§12.1).
    if (found && live && (found.credProtect < 3 || uv.userVerified)) {
      if (!uv.userPresent) await ctx.io.userPresence();
      fail(Status.CREDENTIAL_EXCLUDED);
    }
  }

  const replacing = ctx.state.credentials.findIndex((c) => c.rpId === rpId && bytesEqual(c.userId, userId));
  if (rk && replacing < 0 && ctx.state.credentials.length >= MAX_DISCOVERABLE_CREDENTIALS) fail(Status.KEY_STORE_FULL);

  if (!uv.userPresent) await ctx.io.userPresence();

  const requestedProtect = credProtectLevel(extensions);
  const credProtect: CredProtect = requestedProtect ?? 1;
  const privateKey = newCredentialPrivateKey();
  const credentialId = wrapCredentialId(ctx.state.credentialSecret, rpHash, privateKey, credProtect, rk);
  const largeBlobKey = largeBlobKeyWanted ? newLargeBlobKey() : undefined;
  if (rk) {
    if (replacing >= 0) ctx.state.credentials.splice(replacing, 1);
    ctx.state.credentials.push({
      id: credentialId,
      rpId,
      rpName,
      userId,
      userName,
      userDisplayName,
      privateKey,
      credProtect,
      serial: ctx.state.nextSerial++,
      ...(largeBlobKey ? { largeBlobKey } : {}),
    });
    credentialStoreChanged(ctx.state);
  }
  ctx.state.signCount += 1;
  ctx.persist();

  const extOut = new Map<string, Encodable>();
  if (requestedProtect !== undefined) extOut.set('credProtect', credProtect);
  if (ctx.profile.ctap21 && extensions && optBool(extensions, 'minPinLength') === true && ctx.state.minPinLengthRpIds.includes(rpId)) {
    extOut.set('minPinLength', ctx.state.minPinLength);
  }
  let flags = Flag.UP | Flag.AT;
  if (uv.userVerified) flags |= Flag.UV;
  if (extOut.size > 0) flags |= Flag.ED;
  const authData = authenticatorData(
    rpHash,
    flags,
    ctx.state.signCount,
    { aaguid: ctx.state.aaguid, credentialId, cosePublicKey: coseEs256PublicKey(privateKey) },
    extOut.size > 0 ? encodeCbor(extOut) : undefined,
  );
  const signed = concatBytes(authData, clientDataHash);
  // Enterprise attestation asked for and enabled (checked above): this key's own certificate (§7.1).
  // Otherwise basic attestation with the model's batch certificate, as production keys do.
  const attStmt = packedWithCertificate(ep !== undefined ? ctx.attestation() : batchAttestationIdentity(ctx.state.aaguid), signed);
  const response = new Map<number, Encodable>([
    [1, 'packed'],
    [2, authData],
    [3, attStmt],
  ]);
  if (ep !== undefined) response.set(4, true);
  if (largeBlobKey) response.set(5, largeBlobKey);
  return response;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
