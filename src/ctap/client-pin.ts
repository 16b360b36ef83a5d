/**
 * authenticatorClientPIN (CTAP 2.1 §6.5.5): retries, setPIN, changePIN and
 * pinUvAuthToken acquisition. ClientPin sequences the pure builders and
 * parsers of client-pin-messages.ts (re-exported here) against a key.
 */
import { Fido2Error } from '../errors.js';
import type { CborMap } from './cbor.js';
import { Command, type Ctap2, type CtapParams } from './ctap2.js';
import { CtapError } from './errors.js';
import { preferredPinProtocol, supportsPinProtocol, type AuthenticatorInfo } from './get-info.js';
import { pinProtocol, type Encapsulation, type PinProtocol, type PinProtocolVersion } from './pin-protocol.js';
import { checkNewPin } from './pin-policy.js';
import { loadP256 } from '../p256.js';

import {
  buildChangePinParams,
  buildGetKeyAgreementParams,
  buildGetPinRetriesParams,
  buildGetPinTokenParams,
  buildGetUvRetriesParams,
  buildGetUvTokenParams,
  buildSetPinParams,
  defaultRandom,
  parseKeyAgreementReply,
  parsePinRetriesReply,
  parseTokenReply,
  parseUvRetriesReply,
} from './client-pin-messages.js';

export * from './client-pin-messages.js';

export interface PinUvAuthToken {
  readonly protocol: PinProtocol;
  readonly token: Uint8Array;
  readonly permissions: number;
  readonly rpId?: string;
  /** pinUvAuthParam for `message`, i.e. authenticate(token, message). */
  authenticate(message: Uint8Array): Uint8Array;
}

export function makePinUvAuthToken(protocol: PinProtocol, token: Uint8Array, permissions: number, rpId?: string): PinUvAuthToken {
  return {
    protocol,
    token,
    permissions,
    ...(rpId === undefined ? {} : { rpId }),
    authenticate: (message: Uint8Array) => protocol.authenticate(token, message),
  };
}

export function authenticateWithToken(token: PinUvAuthToken, message: Uint8Array): Uint8Array {
  return token.protocol.authenticate(token.token, message);
}

export interface ClientPinOptions {
  /** Force a protocol; 'unsupported' when the key does not list it. */
  protocol?: PinProtocolVersion;
  /** IV source (tests pin it). */
  random?: (n: number) => Uint8Array;
  /** Platform ECDH private key (tests pin it). */
  platformPrivateKey?: Uint8Array;
}

export class ClientPin {
  readonly protocol: PinProtocol;
  private readonly random: (n: number) => Uint8Array;
  private readonly platformPrivateKey: Uint8Array | undefined;
  private encapsulation: Encapsulation | undefined;

  constructor(
    private readonly ctap: Ctap2,
    private readonly info: AuthenticatorInfo,
    opts: ClientPinOptions = {},
  ) {
    let version: PinProtocolVersion | undefined;
    if (opts.protocol !== undefined) {
      if (!supportsPinProtocol(info, opts.protocol)) {
        throw new Fido2Error(
          'unsupported',
          `The security key does not support PIN/UV auth protocol ${opts.protocol} (it lists ${info.pinUvAuthProtocols?.join(', ') || 'none'})`,
        );
      }
      version = opts.protocol;
    } else {
      version = preferredPinProtocol(info);
      if (version === undefined) {
        throw new Fido2Error(
          'unsupported',
          `The security key offers no PIN/UV auth protocol this tool knows (it lists ${info.pinUvAuthProtocols?.join(', ') || 'none'})`,
        );
      }
    }
    this.protocol = pinProtocol(version);
    this.random = opts.random ?? defaultRandom;
    this.platformPrivateKey = opts.platformPrivateKey;
  }

  async getPinRetries(): Promise<{ retries: number; powerCycleState?: boolean }> {
    return parsePinRetriesReply(await this.clientPin(buildGetPinRetriesParams(this.protocol)));
  }

  async getUvRetries(): Promise<number> {
    return parseUvRetriesReply(await this.clientPin(buildGetUvRetriesParams(this.protocol)));
  }

  async setPin(newPin: string): Promise<void> {
    const pin = checkNewPin(newPin, this.info.minPINLength ?? 4, this.info.maxPINLength);
    await this.withKeyAgreement(async (enc) => {
      await this.clientPin(buildSetPinParams(this.protocol, enc, pin, { random: this.random }));
    });
  }

  async changePin(currentPin: string, newPin: string): Promise<void> {
    const pin = checkNewPin(newPin, this.info.minPINLength ?? 4, this.info.maxPINLength);
    await this.withKeyAgreement(async (enc) => {
      await this.clientPin(buildChangePinParams(this.protocol, enc, currentPin, pin, { random: this.random }));
    });
  }

  /**
   * A pinUvAuthToken from the PIN. With options.pinUvAuthToken the token is
   * scoped to exactly `permissions` (and `rpId`); otherwise the legacy
   * getPinToken is used and the key grants its implicit permissions.
   */
  async getPinToken(pin: string, permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    const withPermissions = this.info.options.pinUvAuthToken === true;
    if (withPermissions && (!Number.isInteger(permissions) || permissions <= 0 || permissions > 0xff)) {
      throw new Fido2Error('usage', 'A pinUvAuthToken needs at least one permission');
    }
    return this.withKeyAgreement(async (enc) => {
      const params = withPermissions
        ? buildGetPinTokenParams(this.protocol, enc, pin, permissions, rpId, { random: this.random })
        : buildGetPinTokenParams(this.protocol, enc, pin, undefined, undefined, { random: this.random });
      const reply = await this.clientPin(params);
      const token = parseTokenReply(this.protocol, enc.sharedSecret, reply);
      return makePinUvAuthToken(this.protocol, token, permissions, withPermissions ? rpId : undefined);
    });
  }

  /** A pinUvAuthToken from built-in user verification (§6.5.5.7.3). */
  async getUvToken(permissions: number, rpId?: string): Promise<PinUvAuthToken> {
    if (this.info.options.uv !== true || this.info.options.pinUvAuthToken !== true) {
      throw new Fido2Error(
        'unsupported',
        this.info.options.uv === false
          ? 'The security key has built-in user verification but none is enrolled'
          : 'The security key cannot issue a token from built-in user verification',
      );
    }
    if (!Number.isInteger(permissions) || permissions <= 0 || permissions > 0xff) {
      throw new Fido2Error('usage', 'A pinUvAuthToken needs at least one permission');
    }
    return this.withKeyAgreement(async (enc) => {
      const reply = await this.clientPin(buildGetUvTokenParams(this.protocol, enc, permissions, rpId));
      const token = parseTokenReply(this.protocol, enc.sharedSecret, reply);
      return makePinUvAuthToken(this.protocol, token, permissions, rpId);
    });
  }

  /** Drop the cached key agreement; the next step fetches a fresh one. */
  forgetKeyAgreement(): void {
    this.encapsulation = undefined;
  }

  private async clientPin(params: CtapParams): Promise<CborMap | undefined> {
    return this.ctap.send(Command.clientPIN, params);
  }

  /**
   * One getKeyAgreement serves every step of this instance. A key regenerates
   * its key-agreement key after a wrong PIN (§6.5.5.7.2 step "regenerate") and
   * may do so on other failures, so any error from the key drops the cache.
   */
  private async withKeyAgreement<T>(step: (enc: Encapsulation) => Promise<T>): Promise<T> {
    if (this.encapsulation === undefined) {
      await loadP256();
      const peer = parseKeyAgreementReply(await this.clientPin(buildGetKeyAgreementParams(this.protocol)));
      this.encapsulation = this.protocol.encapsulate(peer, this.platformPrivateKey);
    }
    try {
      return await step(this.encapsulation);
    } catch (e) {
      if (e instanceof CtapError) this.forgetKeyAgreement();
      throw e;
    }
  }
}
