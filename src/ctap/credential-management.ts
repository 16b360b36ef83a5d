/**
 * authenticatorCredentialManagement (CTAP 2.1 §6.8): discoverable credentials
 * stored on the key — counts, RPs, credentials, delete, rename.
 *
 * FIDO_2_1_PRE keys that only offer the `credentialMgmtPreview` option take the
 * same request under command 0x41 (§6.8 and the 2.1-PRE vendor-range alias).
 * Messages (builders, parsers, types) are in credential-management-messages.ts
 * and re-exported here; this class sequences them against a key with one
 * pinUvAuthToken for everything it does.
 */
import { Fido2Error } from '../errors.js';
import type { CborMap, CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type Ctap2 } from './ctap2.js';
import { isCtapError } from './errors.js';
import type { AuthenticatorInfo } from './get-info.js';
import { Status } from './status.js';
import {
  buildCredMgmtRequest,
  credentialDescriptor,
  credentialManagementCommand,
  CredMgmtSubCommand,
  CredMgmtSubParam,
  parseCredential,
  parseMetadata,
  parseRp,
  userEntityToCbor,
  type CredentialListing,
  type CredMgmtSubCommandParams,
  type CredsMetadata,
  type RelyingParty,
  type RpCredentials,
  type StoredCredential,
  type UserEntity,
} from './credential-management-messages.js';

export * from './credential-management-messages.js';

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

  /**
   * Counts, then every RP (or only `rpId`) and its credentials. An empty key
   * costs only the metadata step.
   */
  async listAll(rpId?: string): Promise<CredentialListing> {
    const metadata = await this.metadata();
    if (metadata.existing === 0) return { metadata, rps: [] };
    const rps: RpCredentials[] = [];
    for (const rp of await this.listRps()) {
      if (rpId === undefined || rp.id === rpId) rps.push({ rp, credentials: await this.listCredentials(rp.rpIdHash) });
    }
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
