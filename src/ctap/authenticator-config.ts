/**
 * authenticatorConfig (CTAP 2.1 §6.11, with CTAP 2.2's enableLongTouchForReset
 * and pinComplexityPolicy): enterprise attestation, always-UV, minimum PIN
 * length, PIN complexity, long touch for reset. The pinUvAuthParam covers
 * 32 x 0xff || 0x0d || subCommand || CBOR(subCommandParams) (§6.11.1).
 */
import { concatBytes } from './bytes.js';
import { encodeCbor, type CborValue } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type Ctap2 } from './ctap2.js';

export const ConfigSubCommand = {
  enableEnterpriseAttestation: 0x01,
  toggleAlwaysUv: 0x02,
  setMinPINLength: 0x03,
  /** CTAP 2.2: a reset then needs a long touch. */
  enableLongTouchForReset: 0x04,
  vendorPrototype: 0xff,
} as const;

const CONFIG_COMMAND_NAMES = new Map<number, string>(Object.entries(ConfigSubCommand).map(([name, id]) => [id, name]));

/** "setMinPINLength (0x03)", or the number alone for a subcommand this client does not know. */
export function configCommandName(id: number): string {
  const hex = `0x${id.toString(16).padStart(2, '0')}`;
  const name = CONFIG_COMMAND_NAMES.get(id);
  return name === undefined ? hex : `${name} (${hex})`;
}

/** Request member keys (§6.11). */
export const ConfigParam = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

/** setMinPINLength subCommandParams keys (§6.11.4). */
export const SetMinPinLengthParam = {
  newMinPINLength: 0x01,
  minPinLengthRPIDs: 0x02,
  forceChangePin: 0x03,
  /** CTAP 2.2: turn on the key's PIN complexity policy. */
  pinComplexityPolicy: 0x04,
} as const;

export interface SetMinPinLengthOptions {
  newMinPinLength?: number;
  minPinLengthRpIds?: string[];
  forceChangePin?: boolean;
  pinComplexityPolicy?: boolean;
}

export type SubCommandParams = Map<number, CborValue>;

export function buildSetMinPinLengthParams(p: SetMinPinLengthOptions): SubCommandParams | undefined {
  const m: SubCommandParams = new Map();
  if (p.newMinPinLength !== undefined) {
    if (!Number.isSafeInteger(p.newMinPinLength) || p.newMinPinLength < 0) {
      throw new RangeError('newMinPinLength must be a non-negative integer');
    }
    m.set(SetMinPinLengthParam.newMinPINLength, p.newMinPinLength);
  }
  if (p.minPinLengthRpIds !== undefined) m.set(SetMinPinLengthParam.minPinLengthRPIDs, [...p.minPinLengthRpIds]);
  if (p.forceChangePin !== undefined) m.set(SetMinPinLengthParam.forceChangePin, p.forceChangePin);
  if (p.pinComplexityPolicy !== undefined) m.set(SetMinPinLengthParam.pinComplexityPolicy, p.pinComplexityPolicy);
  // No members at all is sent as no subCommandParams, which §6.11.4 allows.
  return m.size === 0 ? undefined : m;
}

/** The bytes the pinUvAuthParam authenticates (§6.11.1). */
export function configMessage(subCommand: number, params?: SubCommandParams): Uint8Array {
  const prefix = new Uint8Array(34).fill(0xff);
  prefix[32] = Command.config;
  prefix[33] = subCommand;
  return params === undefined ? prefix : concatBytes(prefix, encodeCbor(params));
}

/**
 * The authenticatorConfig request parameters. Without a token no auth members
 * are sent, which the key accepts only while no PIN is set and alwaysUv is off.
 */
export function buildConfigRequest(subCommand: number, params?: SubCommandParams, token?: PinUvAuthToken): Map<number, CborValue> {
  const request = new Map<number, CborValue>([[ConfigParam.subCommand, subCommand]]);
  if (params !== undefined) request.set(ConfigParam.subCommandParams, params);
  if (token !== undefined) {
    request.set(ConfigParam.pinUvAuthProtocol, token.protocol.version);
    request.set(ConfigParam.pinUvAuthParam, token.protocol.authenticate(token.token, configMessage(subCommand, params)));
  }
  return request;
}

export class AuthenticatorConfig {
  constructor(
    private readonly ctap: Ctap2,
    private readonly token?: PinUvAuthToken,
  ) {}

  async enableEnterpriseAttestation(): Promise<void> {
    await this.run(ConfigSubCommand.enableEnterpriseAttestation);
  }

  async toggleAlwaysUv(): Promise<void> {
    await this.run(ConfigSubCommand.toggleAlwaysUv);
  }

  async setMinPinLength(p: SetMinPinLengthOptions): Promise<void> {
    await this.run(ConfigSubCommand.setMinPINLength, buildSetMinPinLengthParams(p));
  }

  async enableLongTouchForReset(): Promise<void> {
    await this.run(ConfigSubCommand.enableLongTouchForReset);
  }

  /** authenticatorConfig has no reply members (§6.11); anything sent back is ignored. */
  private async run(subCommand: number, params?: SubCommandParams): Promise<void> {
    await this.ctap.send(Command.config, buildConfigRequest(subCommand, params, this.token));
  }
}
