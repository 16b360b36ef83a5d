/**
 * authenticatorAPI commands over any channel that carries CTAPHID_CBOR
 * (CTAP 2.1 §6: command byte || canonical CBOR map; reply: status || CBOR map).
 */
import { decodeCborMap, encodeCbor, type CborMap, type CborValue } from './cbor.js';
import { CtapError, malformed } from './errors.js';
import { parseGetInfo, type AuthenticatorInfo } from './get-info.js';
import { mayAskForTouch, subCommandOf } from './touch-requests.js';

export type KeepaliveStatus = 'processing' | 'upneeded';

export interface CborRequestOptions {
  onKeepalive?: (status: KeepaliveStatus) => void;
  signal?: AbortSignal;
  /** Whether the request may wait for a touch; send() fills it in from touch-requests.ts. */
  mayTouch?: boolean;
}

export interface CborChannel {
  /** Send one CTAPHID_CBOR request; resolves to the reply, status byte first. */
  cbor(request: Uint8Array, opts?: CborRequestOptions): Promise<Uint8Array>;
}

/** authenticatorAPI command bytes (§6). */
export const Command = {
  makeCredential: 0x01,
  getAssertion: 0x02,
  getInfo: 0x04,
  clientPIN: 0x06,
  reset: 0x07,
  getNextAssertion: 0x08,
  bioEnrollment: 0x09,
  credentialManagement: 0x0a,
  selection: 0x0b,
  largeBlobs: 0x0c,
  config: 0x0d,
  /** FIDO_2_1_PRE vendor-range aliases. */
  bioEnrollmentPreview: 0x40,
  credentialManagementPreview: 0x41,
} as const;

export const CMD_GET_INFO = Command.getInfo;
export const CMD_CLIENT_PIN = Command.clientPIN;
export const CMD_RESET = Command.reset;
export const CMD_SELECTION = Command.selection;
export const CMD_CONFIG = Command.config;

export type CtapParams = ReadonlyMap<number, CborValue>;

/** The request bytes: command || CBOR(params), or just the command when there are none. */
export function encodeRequest(command: number, params?: CtapParams): Uint8Array {
  if (!Number.isInteger(command) || command < 0 || command > 0xff) throw new RangeError('command must be a byte');
  if (params === undefined) return Uint8Array.of(command);
  const body = encodeCbor(params);
  const out = new Uint8Array(1 + body.length);
  out[0] = command;
  out.set(body, 1);
  return out;
}

/**
 * Interpret a reply: non-zero status -> CtapError; success with no body ->
 * undefined; otherwise the body must be exactly one CBOR map.
 */
export function parseResponse(reply: Uint8Array): CborMap | undefined {
  if (reply.length === 0) throw malformed('empty reply, no status byte');
  const status = reply[0]!;
  if (status !== 0) throw new CtapError(status);
  if (reply.length === 1) return undefined;
  return decodeCborMap(reply.subarray(1));
}

export class Ctap2 {
  constructor(
    readonly channel: CborChannel,
    private readonly opts: CborRequestOptions = {},
  ) {}

  /** Send a command; throws CtapError on a non-zero status. */
  async send(command: number, params?: CtapParams, opts?: CborRequestOptions): Promise<CborMap | undefined> {
    const request = encodeRequest(command, params);
    const merged: CborRequestOptions = { ...this.opts, ...opts, mayTouch: mayAskForTouch(command, subCommandOf(command, params)) };
    const reply = await this.channel.cbor(request, merged);
    return parseResponse(reply);
  }

  async getInfo(): Promise<AuthenticatorInfo> {
    const body = await this.send(Command.getInfo);
    if (body === undefined) throw malformed('getInfo reply is empty');
    return parseGetInfo(body);
  }

  /** authenticatorReset (§6.6); the key asks for a touch, keepalives report 'upneeded'. */
  async reset(opts?: CborRequestOptions): Promise<void> {
    await this.send(Command.reset, undefined, opts);
  }

  /** authenticatorSelection (§6.9): waits for a touch. */
  async selection(opts?: CborRequestOptions): Promise<void> {
    await this.send(Command.selection, undefined, opts);
  }
}
