/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8): discoverable credentials
 * stored on the key — counts, RPs, credentials, delete, rename.
 *
 * FIDO_2_1_PRE keys that only offer the `credentialMgmtPreview` option take the
 * same request under command 0x41 (§6.8 and the 2.1-PRE vendor-range alias).
 * Request builders and reply parsers are pure and exported; the class sequences
 * them against a key with one pinUvAuthToken for everything it does.
 */
import { Fido2Error } from '../errors.js';
import { concatBytes } from './bytes.js';
import { encodeCbor, type CborMap, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { coseAlgorithmName, COSE_ALG } from './cose-key.js';
import { Command, type Ctap2 } from './ctap2.js';
import { isCtapError, malformed } from './errors.js';
import type { AuthenticatorInfo } from './get-info.js';
import { Status } from './status.js';

export const CredMgmtSubCommand = {
  getCredsMetadata: 0x01,
  enumerateRPsBegin: 0x02,
  enumerateRPsGetNextRP: 0x03,
  enumerateCredentialsBegin: 0x04,
  enumerateCredentialsGetNextCredential: 0x05,
  deleteCredential: 0x06,
  updateUserInformation: 0x07,
} as const;

/** Request member keys (§6.8). */
export const CredMgmtParam = { subCommand: 0x01, subCommandParams: 0x02, pinUvAuthProtocol: 0x03, pinUvAuthParam: 0x04 } as const;

/** subCommandParams member keys (§6.8). */
export const CredMgmtSubParam = { rpIDHash: 0x01, credentialID: 0x02, user: 0x03 } as const;

/** Reply member keys (§6.8); thirdPartyPayment (0x0C) is from CTAP 2.2. */
export const CredMgmtReply = {
  existingResidentCredentialsCount: 0x01,
  maxPossibleRemainingResidentCredentialsCount: 0x02,
  rp: 0x03,
  rpIDHash: 0x04,
  totalRPs: 0x05,
  user: 0x06,
  credentialID: 0x07,
  publicKey: 0x08,
  totalCredentials: 0x09,
  credProtect: 0x0a,
  largeBlobKey: 0x0b,
  thirdPartyPayment: 0x0c,
} as const;

export interface CredsMetadata {
  /** Discoverable credentials stored now. */
  existing: number;
  /** How many more the key can store at most (a key may store fewer, e.g. for long ids). */
  remaining: number;
}

export interface RelyingParty {
  id: string;
  name?: string;
  rpIdHash: Uint8Array;
}

export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

export interface CredentialPublicKey {
  /** The COSE_Key as the key sent it. */
  cose: Map<CborValue, CborValue>;
  /** COSE algorithm identifier (e.g. -7) and its name (e.g. ES256). */
  algorithm: number;
  algorithmName: string;
}

export interface StoredCredential {
  user: UserEntity;
  credentialId: Uint8Array;
  publicKey: CredentialPublicKey;
  /** credProtect level 1 to 3 (userVerificationOptional .. Required), when the key reports it. */
  credProtect?: number;
  /** The per-credential largeBlobKey, present when the credential was made with the largeBlobKey extension. */
  largeBlobKey?: Uint8Array;
  thirdPartyPayment?: boolean;
}

export interface RpCredentials {
  rp: RelyingParty;
  credentials: StoredCredential[];
}

export interface CredentialListing {
  metadata: CredsMetadata;
  rps: RpCredentials[];
}

export type CredMgmtSubCommandParams = Map<number, CborValue>;

/**
 * The command code for this key: 0x0A when it lists `credMgmt`, 0x41 when it
 * only lists `credentialMgmtPreview`, undefined when it has neither.
 */
export function credentialManagementCommand(info: AuthenticatorInfo): number | undefined {
  if (info.options.credMgmt === true) return Command.credentialManagement;
  if (info.options.credentialMgmtPreview === true) return Command.credentialManagementPreview;
  return undefined;
}

/** The bytes a pinUvAuthParam authenticates: subCommand || CBOR(subCommandParams) (§6.8). */
export function credMgmtMessage(subCommand: number, params?: CredMgmtSubCommandParams): Uint8Array {
  const head = Uint8Array.of(subCommand);
  return params === undefined ? head : concatBytes(head, encodeCbor(params));
}

/** A request; GetNextRP/GetNextCredential go without a token (§6.8.3, §6.8.4). */
export function buildCredMgmtRequest(subCommand: number, params?: CredMgmtSubCommandParams, token?: PinUvAuthToken): Map<number, CborValue> {
  const request = new Map<number, CborValue>([[CredMgmtParam.subCommand, subCommand]]);
  if (params !== undefined) request.set(CredMgmtParam.subCommandParams, params);
  if (token !== undefined) {
    request.set(CredMgmtParam.pinUvAuthProtocol, token.protocol.version);
    request.set(CredMgmtParam.pinUvAuthParam, token.authenticate(credMgmtMessage(subCommand, params)));
  }
  return request;
}

/** PublicKeyCredentialDescriptor for a credential id (WebAuthn §5.8.3). */
export function credentialDescriptor(credentialId: Uint8Array): Map<string, CborValue> {
  return new Map<string, CborValue>([
    ['id', credentialId],
    ['type', 'public-key'],
  ]);
}

export function userEntityToCbor(user: UserEntity): Map<string, CborValue> {
  const m = new Map<string, CborValue>([['id', user.id]]);
  if (user.name !== undefined) m.set('name', user.name);
  if (user.displayName !== undefined) m.set('displayName', user.displayName);
  return m;
}

// ---------------------------------------------------------------- reply parsers

function body(reply: CborMap | undefined, what: string): CborMap {
  if (reply === undefined) throw malformed(`${what} reply is empty`);
  return reply;
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw malformed(`${what} is not an unsigned integer`);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed(`${what} is not a byte string`);
  return v;
}

function optText(m: CborMap, key: string, what: string): string | undefined {
  const v = m.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw malformed(`${what}.${key} is not a text string`);
  return v;
}

function entity(v: unknown, what: string): CborMap {
  if (!(v instanceof Map)) throw malformed(`${what} is not a map`);
  return v as CborMap;
}

export function parseMetadata(reply: CborMap | undefined): CredsMetadata {
  const m = body(reply, 'getCredsMetadata');
  return {
    existing: uint(m.get(CredMgmtReply.existingResidentCredentialsCount), 'existingResidentCredentialsCount'),
    remaining: uint(m.get(CredMgmtReply.maxPossibleRemainingResidentCredentialsCount), 'maxPossibleRemainingResidentCredentialsCount'),
  };
}

/** An RP from enumerateRPsBegin / GetNextRP; `total` only comes with Begin. */
export function parseRp(reply: CborMap | undefined): { rp: RelyingParty; total?: number } {
  const m = body(reply, 'enumerateRPs');
  const rpMap = entity(m.get(CredMgmtReply.rp), 'rp');
  const id = rpMap.get('id');
  if (typeof id !== 'string') throw malformed('rp.id is not a text string');
  const name = optText(rpMap, 'name', 'rp');
  const rpIdHash = bytes(m.get(CredMgmtReply.rpIDHash), 'rpIDHash');
  if (rpIdHash.length !== 32) throw malformed(`rpIDHash of ${rpIdHash.length} bytes`);
  const totalValue = m.get(CredMgmtReply.totalRPs);
  const rp: RelyingParty = { id, rpIdHash, ...(name === undefined ? {} : { name }) };
  return totalValue === undefined ? { rp } : { rp, total: uint(totalValue, 'totalRPs') };
}

/** A credential from enumerateCredentialsBegin / GetNextCredential; `total` only comes with Begin. */
export function parseCredential(reply: CborMap | undefined): { credential: StoredCredential; total?: number } {
  const m = body(reply, 'enumerateCredentials');
  const u = entity(m.get(CredMgmtReply.user), 'user');
  const name = optText(u, 'name', 'user');
  const displayName = optText(u, 'displayName', 'user');
  const user: UserEntity = {
    id: bytes(u.get('id'), 'user.id'),
    ...(name === undefined ? {} : { name }),
    ...(displayName === undefined ? {} : { displayName }),
  };
  const descriptor = entity(m.get(CredMgmtReply.credentialID), 'credentialID');
  const credentialId = bytes(descriptor.get('id'), 'credentialID.id');
  const cose = entity(m.get(CredMgmtReply.publicKey), 'publicKey');
  const alg = cose.get(COSE_ALG);
  if (typeof alg !== 'number' || !Number.isSafeInteger(alg)) throw malformed('publicKey has no integer alg (3)');
  const credential: StoredCredential = { user, credentialId, publicKey: { cose, algorithm: alg, algorithmName: coseAlgorithmName(alg) } };
  const credProtect = m.get(CredMgmtReply.credProtect);
  if (credProtect !== undefined) credential.credProtect = uint(credProtect, 'credProtect');
  const lbk = m.get(CredMgmtReply.largeBlobKey);
  if (lbk !== undefined) credential.largeBlobKey = bytes(lbk, 'largeBlobKey');
  const tpp = m.get(CredMgmtReply.thirdPartyPayment);
  if (tpp !== undefined) {
    if (typeof tpp !== 'boolean') throw malformed('thirdPartyPayment is not a boolean');
    credential.thirdPartyPayment = tpp;
  }
  const totalValue = m.get(CredMgmtReply.totalCredentials);
  return totalValue === undefined ? { credential } : { credential, total: uint(totalValue, 'totalCredentials') };
}

// ---------------------------------------------------------------- CredentialManagement

/**
 * Credential management on one key with one token. The token needs the `cm`
 * permission (or, on a key without permission tokens, comes from getPinToken
 * 0x05, which carries it implicitly); it is reused for every step, so a whole
 * listing costs one key agreement and one token.
 */
export class CredentialManagement {
  /** 0x0A or 0x41. */
  readonly command: number;

  constructor(
    private readonly ctap: Ctap2,
    info: AuthenticatorInfo,
    private readonly token: PinUvAuthToken,
  ) {
    const command = credentialManagementCommand(info);
    if (command === undefined) {
      throw new Fido2Error('unsupported', 'This key has no credential management (neither credMgmt nor credentialMgmtPreview in getInfo).');
    }
    this.command = command;
  }

  /** updateUserInformation came with CTAP 2.1; the 0x41 preview lacks it. */
  get canUpdateUser(): boolean {
    return this.command === Command.credentialManagement;
  }

  async metadata(): Promise<CredsMetadata> {
    return parseMetadata(await this.send(CredMgmtSubCommand.getCredsMetadata, undefined, true));
  }

  /** Every RP with a discoverable credential; [] when there is none (CTAP2_ERR_NO_CREDENTIALS). */
  async listRps(): Promise<RelyingParty[]> {
    const first = await this.beginOrEmpty(() => this.send(CredMgmtSubCommand.enumerateRPsBegin, undefined, true));
    if (first === undefined) return [];
    const { rp, total } = parseRp(first);
    const rps = [rp];
    for (let i = 1; i < (total ?? 1); i++) rps.push(parseRp(await this.send(CredMgmtSubCommand.enumerateRPsGetNextRP)).rp);
    return rps;
  }

  /** Every credential of one RP; [] when it has none. */
  async listCredentials(rpIdHash: Uint8Array): Promise<StoredCredential[]> {
    const params: CredMgmtSubCommandParams = new Map([[CredMgmtSubParam.rpIDHash, rpIdHash]]);
    const first = await this.beginOrEmpty(() => this.send(CredMgmtSubCommand.enumerateCredentialsBegin, params, true));
    if (first === undefined) return [];
    const { credential, total } = parseCredential(first);
    const credentials = [credential];
    for (let i = 1; i < (total ?? 1); i++) {
      credentials.push(parseCredential(await this.send(CredMgmtSubCommand.enumerateCredentialsGetNextCredential)).credential);
    }
    return credentials;
  }

  /** Counts, then every RP and its credentials. An empty key costs only the metadata step. */
  async listAll(): Promise<CredentialListing> {
    const metadata = await this.metadata();
    if (metadata.existing === 0) return { metadata, rps: [] };
    const rps: RpCredentials[] = [];
    for (const rp of await this.listRps()) rps.push({ rp, credentials: await this.listCredentials(rp.rpIdHash) });
    return { metadata, rps };
  }

  async delete(credentialId: Uint8Array): Promise<void> {
    const params: CredMgmtSubCommandParams = new Map([[CredMgmtSubParam.credentialID, credentialDescriptor(credentialId)]]);
    await this.send(CredMgmtSubCommand.deleteCredential, params, true);
  }

  /**
   * updateUserInformation (§6.8.6): the key replaces name and displayName and
   * drops a member that is absent or empty, so pass the ones to keep. `user.id`
   * must be the credential's own user id. The 2.1-PRE preview (0x41) has no
   * such subcommand, so it is refused here without asking the key.
   */
  async updateUser(credentialId: Uint8Array, user: UserEntity): Promise<void> {
    if (!this.canUpdateUser) {
      throw new Fido2Error('unsupported', 'This key only has the credential management preview (0x41), which cannot rename a passkey (no updateUserInformation).');
    }
    const params: CredMgmtSubCommandParams = new Map<number, CborValue>([
      [CredMgmtSubParam.credentialID, credentialDescriptor(credentialId)],
      [CredMgmtSubParam.user, userEntityToCbor(user)],
    ]);
    await this.send(CredMgmtSubCommand.updateUserInformation, params, true);
  }

  private async send(subCommand: number, params?: CredMgmtSubCommandParams, authenticated = false): Promise<CborMap | undefined> {
    return this.ctap.send(this.command, buildCredMgmtRequest(subCommand, params, authenticated ? this.token : undefined));
  }

  private async beginOrEmpty(begin: () => Promise<CborMap | undefined>): Promise<CborMap | undefined> {
    try {
      const reply = await begin();
      // A key that answers an empty enumeration with an empty map instead of an error.
      return reply === undefined || reply.size === 0 ? undefined : reply;
    } catch (e) {
      if (isCtapError(e, Status.CTAP2_ERR_NO_CREDENTIALS)) return undefined;
      throw e;
    }
  }
}
