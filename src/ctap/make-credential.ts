/**
 * authenticatorMakeCredential (0x01), CTAP 2.1 §6.1: a typed request builder,
 * the typed reply decoder and one call that sends it. User verification is
 * asked one of two ways (§6.1.2 steps 5 and 11): a pinUvAuthParam computed
 * from a pinUvAuthToken with the `mc` permission, or the `uv` option for keys
 * with built-in UV that predate pinUvAuthToken (CTAP 2.0 style). The two are
 * exclusive: a pinUvAuthParam makes the key ignore `uv` (§6.1.2 step 5).
 */
import { Fido2Error } from '../errors.js';
import type { CborMap, CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type CborRequestOptions, type Ctap2 } from './ctap2.js';
import { malformed } from './errors.js';
import { parseAuthenticatorData, type AuthenticatorData } from './auth-data.js';
import type { UserEntity } from './credential-management-messages.js';

/** Request member keys (§6.1). */
export const MakeCredentialParam = {
  clientDataHash: 0x01,
  rp: 0x02,
  user: 0x03,
  pubKeyCredParams: 0x04,
  excludeList: 0x05,
  extensions: 0x06,
  options: 0x07,
  pinUvAuthParam: 0x08,
  pinUvAuthProtocol: 0x09,
  enterpriseAttestation: 0x0a,
} as const;

/** Reply member keys (§6.1). */
export const MakeCredentialReply = {
  fmt: 0x01,
  authData: 0x02,
  attStmt: 0x03,
  epAtt: 0x04,
  largeBlobKey: 0x05,
} as const;

export interface RpEntity {
  id: string;
  name?: string;
}

/** The user handle `id` is 1 to 64 bytes (WebAuthn L2 §5.4.3); the same shape credential management reports. */
export type { UserEntity };

export interface CredentialDescriptor {
  id: Uint8Array;
  type?: 'public-key';
  transports?: string[];
}

export interface CredentialParameters {
  alg: number;
  type?: 'public-key';
}

/** ES256, which every FIDO2 key supports. */
export const ES256_PARAMS: readonly CredentialParameters[] = [{ alg: -7, type: 'public-key' }];

export interface MakeCredentialRequest {
  /** SHA-256 of the client data, 32 bytes. */
  clientDataHash: Uint8Array;
  rp: RpEntity;
  user: UserEntity;
  pubKeyCredParams?: readonly CredentialParameters[];
  excludeList?: readonly CredentialDescriptor[];
  /** Extension inputs by identifier, passed through as given. */
  extensions?: ReadonlyMap<string, CborValue>;
  /** rk: a discoverable credential (passkey); uv: built-in UV without a token; up is always true here (§6.1.2 step 5). */
  options?: { rk?: boolean; uv?: boolean; up?: boolean };
  /** A token with the `mc` permission (and, on CTAP 2.1, scoped to `rp.id`); the pinUvAuthParam is computed from it. */
  token?: PinUvAuthToken;
  enterpriseAttestation?: 1 | 2;
}

export interface MakeCredentialResult {
  fmt: string;
  authData: AuthenticatorData;
  attStmt: CborMap;
  epAtt?: boolean;
  largeBlobKey?: Uint8Array;
}

export function descriptorToCbor(d: CredentialDescriptor): CborValue {
  const m = new Map<CborValue, CborValue>([
    ['id', d.id],
    ['type', d.type ?? 'public-key'],
  ]);
  if (d.transports !== undefined) m.set('transports', d.transports);
  return m;
}

function optionsToCbor(options: Record<string, boolean | undefined> | undefined): CborValue | undefined {
  if (options === undefined) return undefined;
  const m = new Map<CborValue, CborValue>();
  for (const [k, v] of Object.entries(options)) if (v !== undefined) m.set(k, v);
  return m.size === 0 ? undefined : m;
}

export function checkClientDataHash(hash: Uint8Array): void {
  if (!(hash instanceof Uint8Array) || hash.length !== 32) throw new Fido2Error('usage', 'clientDataHash must be 32 bytes (SHA-256 of the client data)');
}

/** pinUvAuthParam = authenticate(pinUvAuthToken, clientDataHash) (§6.1.1, §6.2.1), with its protocol. */
export function pinUvAuthMembers(token: PinUvAuthToken, clientDataHash: Uint8Array): { pinUvAuthParam: Uint8Array; pinUvAuthProtocol: number } {
  return { pinUvAuthParam: token.authenticate(clientDataHash), pinUvAuthProtocol: token.protocol.version };
}

/** The request map; refuses locally what no key could accept. */
export function buildMakeCredentialParams(req: MakeCredentialRequest): Map<number, CborValue> {
  checkClientDataHash(req.clientDataHash);
  if (typeof req.rp.id !== 'string' || req.rp.id.length === 0) throw new Fido2Error('usage', 'rp.id must be a non-empty RP ID');
  if (!(req.user.id instanceof Uint8Array) || req.user.id.length === 0 || req.user.id.length > 64) throw new Fido2Error('usage', 'user.id must be 1 to 64 bytes');
  const algs = req.pubKeyCredParams ?? ES256_PARAMS;
  if (algs.length === 0) throw new Fido2Error('usage', 'pubKeyCredParams must name at least one algorithm');
  if (req.token !== undefined && req.options?.uv === true) throw new Fido2Error('usage', 'give either a pinUvAuthToken or the uv option, not both');
  const rp = new Map<CborValue, CborValue>([['id', req.rp.id]]);
  if (req.rp.name !== undefined) rp.set('name', req.rp.name);
  const user = new Map<CborValue, CborValue>([['id', req.user.id]]);
  if (req.user.name !== undefined) user.set('name', req.user.name);
  if (req.user.displayName !== undefined) user.set('displayName', req.user.displayName);
  const p = new Map<number, CborValue>([
    [MakeCredentialParam.clientDataHash, req.clientDataHash],
    [MakeCredentialParam.rp, rp],
    [MakeCredentialParam.user, user],
    [MakeCredentialParam.pubKeyCredParams, algs.map((a) => new Map<CborValue, CborValue>([['alg', a.alg], ['type', a.type ?? 'public-key']]))],
  ]);
  if (req.excludeList !== undefined && req.excludeList.length > 0) p.set(MakeCredentialParam.excludeList, req.excludeList.map(descriptorToCbor));
  if (req.extensions !== undefined && req.extensions.size > 0) p.set(MakeCredentialParam.extensions, new Map<CborValue, CborValue>(req.extensions));
  const options = optionsToCbor(req.options);
  if (options !== undefined) p.set(MakeCredentialParam.options, options);
  if (req.token !== undefined) {
    const { pinUvAuthParam, pinUvAuthProtocol } = pinUvAuthMembers(req.token, req.clientDataHash);
    p.set(MakeCredentialParam.pinUvAuthParam, pinUvAuthParam);
    p.set(MakeCredentialParam.pinUvAuthProtocol, pinUvAuthProtocol);
  }
  if (req.enterpriseAttestation !== undefined) p.set(MakeCredentialParam.enterpriseAttestation, req.enterpriseAttestation);
  return p;
}

export function parseMakeCredentialReply(reply: CborMap | undefined): MakeCredentialResult {
  if (reply === undefined) throw malformed('makeCredential reply is empty');
  const fmt = reply.get(MakeCredentialReply.fmt);
  const authData = reply.get(MakeCredentialReply.authData);
  const attStmt = reply.get(MakeCredentialReply.attStmt);
  if (typeof fmt !== 'string') throw malformed('makeCredential reply has no fmt');
  if (!(authData instanceof Uint8Array)) throw malformed('makeCredential reply has no authData');
  if (!(attStmt instanceof Map)) throw malformed('makeCredential reply has no attStmt map');
  const parsed = parseAuthenticatorData(authData);
  if (parsed.attestedCredentialData === undefined) throw malformed('makeCredential authData has no attested credential data (AT flag clear)');
  const epAtt = reply.get(MakeCredentialReply.epAtt);
  const largeBlobKey = reply.get(MakeCredentialReply.largeBlobKey);
  return {
    fmt,
    authData: parsed,
    attStmt: attStmt as CborMap,
    ...(typeof epAtt === 'boolean' ? { epAtt } : {}),
    ...(largeBlobKey instanceof Uint8Array ? { largeBlobKey } : {}),
  };
}

/** Sends authenticatorMakeCredential; a refusal is a CtapError carrying the status name. */
export async function makeCredential(ctap: Ctap2, req: MakeCredentialRequest, opts?: CborRequestOptions): Promise<MakeCredentialResult> {
  return parseMakeCredentialReply(await ctap.send(Command.makeCredential, buildMakeCredentialParams(req), opts));
}
