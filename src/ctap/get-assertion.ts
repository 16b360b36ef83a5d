/**
 * authenticatorGetAssertion (0x02), CTAP 2.1 §6.2: a typed request builder,
 * the typed reply decoder and one call that sends it. As for makeCredential,
 * user verification comes from a pinUvAuthParam (token with the `ga`
 * permission) or the `uv` option, never both (§6.2.2 step 4). `up: false`
 * asks for a silent assertion: the key must not wait for a touch and answers
 * with the UP flag clear (§6.2.2 steps 4 and 9).
 */
import { Fido2Error } from '../errors.js';
import type { CborMap, CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type CborRequestOptions, type Ctap2 } from './ctap2.js';
import { malformed } from './errors.js';
import { parseAuthenticatorData, type AuthenticatorData } from './auth-data.js';
import { checkClientDataHash, descriptorToCbor, pinUvAuthMembers, type CredentialDescriptor } from './make-credential.js';
import type { UserEntity } from './credential-management-messages.js';

/** Request member keys (§6.2). */
export const GetAssertionParam = {
  rpId: 0x01,
  clientDataHash: 0x02,
  allowList: 0x03,
  extensions: 0x04,
  options: 0x05,
  pinUvAuthParam: 0x06,
  pinUvAuthProtocol: 0x07,
} as const;

/** Reply member keys (§6.2). */
export const GetAssertionReply = {
  credential: 0x01,
  authData: 0x02,
  signature: 0x03,
  user: 0x04,
  numberOfCredentials: 0x05,
  userSelected: 0x06,
  largeBlobKey: 0x07,
} as const;

export interface GetAssertionRequest {
  rpId: string;
  clientDataHash: Uint8Array;
  /** Non-discoverable credentials must be named here; empty or absent asks for discoverable ones. */
  allowList?: readonly CredentialDescriptor[];
  extensions?: ReadonlyMap<string, CborValue>;
  options?: { up?: boolean; uv?: boolean };
  /** A token with the `ga` permission (scoped to `rpId` on CTAP 2.1). */
  token?: PinUvAuthToken;
}

export interface GetAssertionResult {
  credential?: CredentialDescriptor;
  authData: AuthenticatorData;
  signature: Uint8Array;
  user?: UserEntity;
  numberOfCredentials?: number;
  userSelected?: boolean;
  largeBlobKey?: Uint8Array;
}

export function buildGetAssertionParams(req: GetAssertionRequest): Map<number, CborValue> {
  checkClientDataHash(req.clientDataHash);
  if (typeof req.rpId !== 'string' || req.rpId.length === 0) throw new Fido2Error('usage', 'rpId must be a non-empty RP ID');
  if (req.token !== undefined && req.options?.uv === true) throw new Fido2Error('usage', 'give either a pinUvAuthToken or the uv option, not both');
  const p = new Map<number, CborValue>([
    [GetAssertionParam.rpId, req.rpId],
    [GetAssertionParam.clientDataHash, req.clientDataHash],
  ]);
  if (req.allowList !== undefined && req.allowList.length > 0) p.set(GetAssertionParam.allowList, req.allowList.map(descriptorToCbor));
  if (req.extensions !== undefined && req.extensions.size > 0) p.set(GetAssertionParam.extensions, new Map<CborValue, CborValue>(req.extensions));
  const options = new Map<CborValue, CborValue>();
  if (req.options?.up !== undefined) options.set('up', req.options.up);
  if (req.options?.uv !== undefined) options.set('uv', req.options.uv);
  if (options.size > 0) p.set(GetAssertionParam.options, options);
  if (req.token !== undefined) {
    const { pinUvAuthParam, pinUvAuthProtocol } = pinUvAuthMembers(req.token, req.clientDataHash);
    p.set(GetAssertionParam.pinUvAuthParam, pinUvAuthParam);
    p.set(GetAssertionParam.pinUvAuthProtocol, pinUvAuthProtocol);
  }
  return p;
}

function parseDescriptor(v: CborValue): CredentialDescriptor {
  if (!(v instanceof Map)) throw malformed('credential is not a map');
  const id = v.get('id');
  const type = v.get('type');
  if (!(id instanceof Uint8Array)) throw malformed('credential has no id');
  if (type !== undefined && type !== 'public-key') return { id };
  return { id, type: 'public-key' };
}

function parseUser(v: CborValue): UserEntity {
  if (!(v instanceof Map)) throw malformed('user is not a map');
  const id = v.get('id');
  if (!(id instanceof Uint8Array)) throw malformed('user has no id');
  const name = v.get('name');
  const displayName = v.get('displayName');
  return { id, ...(typeof name === 'string' ? { name } : {}), ...(typeof displayName === 'string' ? { displayName } : {}) };
}

export function parseGetAssertionReply(reply: CborMap | undefined): GetAssertionResult {
  if (reply === undefined) throw malformed('getAssertion reply is empty');
  const authData = reply.get(GetAssertionReply.authData);
  const signature = reply.get(GetAssertionReply.signature);
  if (!(authData instanceof Uint8Array)) throw malformed('getAssertion reply has no authData');
  if (!(signature instanceof Uint8Array)) throw malformed('getAssertion reply has no signature');
  const credential = reply.get(GetAssertionReply.credential);
  const user = reply.get(GetAssertionReply.user);
  const n = reply.get(GetAssertionReply.numberOfCredentials);
  const userSelected = reply.get(GetAssertionReply.userSelected);
  const largeBlobKey = reply.get(GetAssertionReply.largeBlobKey);
  return {
    ...(credential === undefined ? {} : { credential: parseDescriptor(credential) }),
    authData: parseAuthenticatorData(authData),
    signature,
    ...(user === undefined ? {} : { user: parseUser(user) }),
    ...(typeof n === 'number' ? { numberOfCredentials: n } : {}),
    ...(typeof userSelected === 'boolean' ? { userSelected } : {}),
    ...(largeBlobKey instanceof Uint8Array ? { largeBlobKey } : {}),
  };
}

/** Sends authenticatorGetAssertion; a refusal is a CtapError carrying the status name. */
export async function getAssertion(ctap: Ctap2, req: GetAssertionRequest, opts?: CborRequestOptions): Promise<GetAssertionResult> {
  return parseGetAssertionReply(await ctap.send(Command.getAssertion, buildGetAssertionParams(req), opts));
}

/**
 * authenticatorGetNextAssertion (0x08, §6.3): the next of `numberOfCredentials`
 * discoverable credentials after a getAssertion without allowList.
 */
export async function getNextAssertion(ctap: Ctap2, opts?: CborRequestOptions): Promise<GetAssertionResult> {
  return parseGetAssertionReply(await ctap.send(Command.getNextAssertion, undefined, opts));
}
