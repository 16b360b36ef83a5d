/**
 * authenticatorCredentialManagement (0x0A), CTAP 2.1 §6.8: count, list,
 * delete and rename the discoverable credentials. A fido-2.1-pre key answers
 * the same requests on the prototype command 0x41, where tokens carry no
 * permissions (the 2.1 draft's "credentialMgmtPreview").
 */
import type { CborMap, Encodable } from './cbor.js';
import { Permission, type KeyContext, type PinUvAuthTokenState, type Request } from './context.js';
import { coseEs256PublicKeyMap } from './credentials.js';
import { rpIdHash } from './auth-data.js';
import { MAX_DISCOVERABLE_CREDENTIALS } from './get-info.js';
import { bytesEqual } from './make-credential.js';
import { optBytes, optMap, optText, optUint, reqBytes, reqMap, reqUint } from './params.js';
import { persistentTokenMatches, subCommandMessage, supportedProtocol, verifyRequestParam } from './pin-uv-auth.js';
import { credentialStoreChanged, type StoredCredential } from './state.js';
import { Status, fail } from './status.js';

export const CredMgmtSub = {
  getCredsMetadata: 0x01,
  enumerateRPsBegin: 0x02,
  enumerateRPsGetNextRP: 0x03,
  enumerateCredentialsBegin: 0x04,
  enumerateCredentialsGetNextCredential: 0x05,
  deleteCredential: 0x06,
  updateUserInformation: 0x07,
} as const;

/** What a pcmr token may do (CTAP 2.3 §6.8.2–§6.8.4); the GetNext subcommands need no token. */
const PCMR_SUBCOMMANDS: readonly number[] = [CredMgmtSub.getCredsMetadata, CredMgmtSub.enumerateRPsBegin, CredMgmtSub.enumerateCredentialsBegin];

const P = { subCommand: 1, subCommandParams: 2, protocol: 3, pinUvAuthParam: 4 };
const SP = { rpIDHash: 1, credentialID: 2, user: 3 };
const R = {
  existingResidentCredentialsCount: 1,
  maxPossibleRemainingResidentCredentialsCount: 2,
  rp: 3,
  rpIDHash: 4,
  totalRPs: 5,
  user: 6,
  credentialID: 7,
  publicKey: 8,
  totalCredentials: 9,
  credProtect: 10,
  largeBlobKey: 11,
};

export function credentialManagement(ctx: KeyContext, req: Request, preview: boolean): Encodable | undefined {
  const { map } = req;
  const enumeration = ctx.volatile.credentialEnumeration;
  // Only the matching GetNext continues an enumeration; anything else ends it (§6.8.3, §6.8.4).
  ctx.volatile.credentialEnumeration = undefined;
  const sub = reqUint(map, P.subCommand);
  if (!(Object.values(CredMgmtSub) as number[]).includes(sub)) fail(Status.INVALID_SUBCOMMAND);
  if (preview && sub === CredMgmtSub.updateUserInformation) fail(Status.INVALID_SUBCOMMAND); // not in the prototype

  if (sub === CredMgmtSub.enumerateRPsGetNextRP) {
    if (enumeration?.kind !== 'rps' || enumeration.remaining.length === 0) fail(Status.NOT_ALLOWED);
    const rp = enumeration.remaining.shift()!;
    ctx.volatile.credentialEnumeration = enumeration;
    return rpResponse(rp);
  }
  if (sub === CredMgmtSub.enumerateCredentialsGetNextCredential) {
    if (enumeration?.kind !== 'credentials' || enumeration.remaining.length === 0) fail(Status.NOT_ALLOWED);
    const cred = enumeration.remaining.shift()!;
    ctx.volatile.credentialEnumeration = enumeration;
    return credentialResponse(cred);
  }

  const token = authorise(ctx, req, sub, preview);
  const params = optMap(map, P.subCommandParams) ?? new Map();
  switch (sub) {
    case CredMgmtSub.getCredsMetadata:
      noRpBinding(token);
      return new Map<number, Encodable>([
        [R.existingResidentCredentialsCount, ctx.state.credentials.length],
        [R.maxPossibleRemainingResidentCredentialsCount, MAX_DISCOVERABLE_CREDENTIALS - ctx.state.credentials.length],
      ]);
    case CredMgmtSub.enumerateRPsBegin:
      noRpBinding(token);
      return enumerateRps(ctx);
    case CredMgmtSub.enumerateCredentialsBegin:
      return enumerateCredentials(ctx, token, reqBytes(params, SP.rpIDHash));
    case CredMgmtSub.deleteCredential: {
      const cred = findCredential(ctx, token, params);
      ctx.state.credentials.splice(ctx.state.credentials.indexOf(cred), 1);
      credentialStoreChanged(ctx.state);
      ctx.persist();
      return undefined;
    }
    default: {
      updateUser(ctx, findCredential(ctx, token, params), reqMap(params, SP.user));
      return undefined;
    }
  }
}

/**
 * §6.8 steps common to the authenticated subcommands: a pinUvAuthParam over
 * subCommand || subCommandParams (as encoded on the wire) from a token with
 * the `cm` permission. The prototype's tokens have no permissions to check.
 */
function authorise(ctx: KeyContext, req: Request, sub: number, preview: boolean): PinUvAuthTokenState | undefined {
  const message = subCommandMessage(req, P.subCommandParams, Uint8Array.of(sub));
  const param = optBytes(req.map, P.pinUvAuthParam);
  const protocolNumber = optUint(req.map, P.protocol);
  // CTAP 2.3 §6.8: the persistent token (pcmr) reads — metadata, RPs, credentials — and nothing
  // else; it is bound to no RP. Anything it may not do is PIN_AUTH_INVALID, as for a token without cm.
  if (!preview && param !== undefined && protocolNumber !== undefined && persistentTokenMatches(ctx, supportedProtocol(ctx, protocolNumber), message, param)) {
    if (!PCMR_SUBCOMMANDS.includes(sub)) fail(Status.PIN_AUTH_INVALID);
    return undefined;
  }
  const token = verifyRequestParam(ctx, param, protocolNumber, message);
  // A pre key's tokens carry no permissions; a 2.1 key's do, on either command.
  if (preview && !ctx.profile.ctap21) return undefined;
  if ((token.permissions & Permission.cm) === 0) fail(Status.PIN_AUTH_INVALID);
  return token;
}

/** Metadata and the RP list span every RP, so a token bound to one may not see them (§6.8.2, §6.8.3). */
function noRpBinding(token: PinUvAuthTokenState | undefined): void {
  if (token?.rpId !== undefined) fail(Status.PIN_AUTH_INVALID);
}

/** A token bound to an RP manages only that RP's credentials; an unbound cm token stays unbound. */
function requireRp(token: PinUvAuthTokenState | undefined, hash: Uint8Array): void {
  if (token?.rpId !== undefined && !bytesEqual(rpIdHash(token.rpId), hash)) fail(Status.PIN_AUTH_INVALID);
}

function enumerateRps(ctx: KeyContext): Encodable {
  const rps = new Map<string, string | undefined>();
  for (const c of ctx.state.credentials) rps.set(c.rpId, c.rpName ?? rps.get(c.rpId));
  if (rps.size === 0) fail(Status.NO_CREDENTIALS);
  const [first, ...rest] = [...rps].map(([id, name]) => ({ id, name }));
  const response = rpResponse(first!);
  response.set(R.totalRPs, rps.size);
  if (rest.length > 0) ctx.volatile.credentialEnumeration = { kind: 'rps', remaining: rest };
  return response;
}

function rpResponse(rp: { id: string; name: string | undefined }): Map<number, Encodable> {
  const entity = new Map<string, Encodable>([['id', rp.id]]);
  if (rp.name !== undefined) entity.set('name', rp.name);
  return new Map<number, Encodable>([
    [R.rp, entity],
    [R.rpIDHash, rpIdHash(rp.id)],
  ]);
}

function enumerateCredentials(ctx: KeyContext, token: PinUvAuthTokenState | undefined, hash: Uint8Array): Encodable {
  requireRp(token, hash);
  const found = ctx.state.credentials.filter((c) => bytesEqual(rpIdHash(c.rpId), hash)).sort((a, b) => a.serial - b.serial);
  if (found.length === 0) fail(Status.NO_CREDENTIALS);
  const [first, ...rest] = found;
  const response = credentialResponse(first!);
  response.set(R.totalCredentials, found.length);
  if (rest.length > 0) ctx.volatile.credentialEnumeration = { kind: 'credentials', remaining: rest };
  return response;
}

function credentialResponse(c: StoredCredential): Map<number, Encodable> {
  const user = new Map<string, Encodable>([['id', c.userId]]);
  if (c.userName !== undefined) user.set('name', c.userName);
  if (c.userDisplayName !== undefined) user.set('displayName', c.userDisplayName);
  const response = new Map<number, Encodable>([
    [R.user, user],
    [R.credentialID, { id: c.id, type: 'public-key' }],
    [R.publicKey, coseEs256PublicKeyMap(c.privateKey)],
    [R.credProtect, c.credProtect],
  ]);
  // §6.8.4: so that a platform can tell which large-blob entry belongs to which credential.
  if (c.largeBlobKey) response.set(R.largeBlobKey, c.largeBlobKey);
  return response;
}

/** The stored credential a PublicKeyCredentialDescriptor names (§6.8.5, §6.8.6). */
function findCredential(ctx: KeyContext, token: PinUvAuthTokenState | undefined, params: CborMap): StoredCredential {
  const id = reqBytes(reqMap(params, SP.credentialID), 'id');
  const cred = ctx.state.credentials.find((c) => bytesEqual(c.id, id));
  if (!cred) return fail(Status.NO_CREDENTIALS);
  requireRp(token, rpIdHash(cred.rpId));
  return cred;
}

/** §6.8.6: the user handle must match; name and displayName are replaced, absent or empty ones removed. */
function updateUser(ctx: KeyContext, cred: StoredCredential, user: CborMap): void {
  if (!bytesEqual(reqBytes(user, 'id'), cred.userId)) fail(Status.INVALID_PARAMETER);
  const name = optText(user, 'name');
  const displayName = optText(user, 'displayName');
  cred.userName = name === '' ? undefined : name;
  cred.userDisplayName = displayName === '' ? undefined : displayName;
  credentialStoreChanged(ctx.state);
  ctx.persist();
}
