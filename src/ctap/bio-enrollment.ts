/**
 * authenticatorBioEnrollment (CTAP 2.1 §6.7): the fingerprint templates of a
 * key with a sensor. FIDO_2_1_PRE keys offer the same requests on the
 * prototype command 0x40 (getInfo option "userVerificationMgmtPreview").
 * The pinUvAuthParam covers modality || subCommand || CBOR(subCommandParams).
 */
import { toHex } from './bytes.js';
import type { CborMap, CborValue } from './cbor.js';
import { encodeCbor } from './cbor.js';
import type { PinUvAuthToken } from './client-pin.js';
import { Command, type CborRequestOptions, type Ctap2 } from './ctap2.js';
import { CtapError, malformed } from './errors.js';
import type { AuthenticatorInfo } from './get-info.js';

export const BIO_MODALITY_FINGERPRINT = 0x01;

export const BioSubCommand = {
  enrollBegin: 0x01,
  enrollCaptureNextSample: 0x02,
  cancelCurrentEnrollment: 0x03,
  enumerateEnrollments: 0x04,
  setFriendlyName: 0x05,
  removeEnrollment: 0x06,
  getFingerprintSensorInfo: 0x07,
} as const;

/** Request members (§6.7). */
export const BioParam = { modality: 0x01, subCommand: 0x02, subCommandParams: 0x03, pinUvAuthProtocol: 0x04, pinUvAuthParam: 0x05, getModality: 0x06 } as const;
/** subCommandParams members. */
export const BioSubParam = { templateId: 0x01, templateFriendlyName: 0x02, timeoutMilliseconds: 0x03 } as const;
/** Response members. */
export const BioResponse = {
  modality: 0x01,
  fingerprintKind: 0x02,
  maxCaptureSamplesRequiredForEnroll: 0x03,
  templateId: 0x04,
  lastEnrollSampleStatus: 0x05,
  remainingSamples: 0x06,
  templateInfos: 0x07,
  maxTemplateFriendlyName: 0x08,
} as const;

/** lastEnrollSampleStatus values (§6.7.2), named. */
export const SAMPLE_STATUS_NAMES: Readonly<Record<number, string>> = {
  0x00: 'good',
  0x01: 'too-high',
  0x02: 'too-low',
  0x03: 'too-left',
  0x04: 'too-right',
  0x05: 'too-fast',
  0x06: 'too-slow',
  0x07: 'poor-quality',
  0x08: 'too-skewed',
  0x09: 'too-short',
  0x0a: 'merge-failure',
  0x0b: 'already-enrolled',
  0x0d: 'no-user-activity',
  0x0e: 'no-user-presence-transition',
};

export function sampleStatusName(status: number): string {
  return SAMPLE_STATUS_NAMES[status] ?? `unknown-0x${status.toString(16).padStart(2, '0')}`;
}

export interface SensorInfo {
  /** 'touch' or 'swipe' (fingerprintKind 1 or 2). */
  readonly kind: 'touch' | 'swipe' | 'unknown';
  readonly samplesRequired: number | undefined;
  /** The longest templateFriendlyName the key accepts, in UTF-8 bytes, when it says. */
  readonly maxFriendlyNameBytes: number | undefined;
}

export interface Template {
  readonly id: Uint8Array;
  /** The id as lowercase hex: how the CLI names a template. */
  readonly idHex: string;
  readonly name: string | undefined;
}

export interface SampleResult {
  readonly templateId: Uint8Array;
  readonly status: number;
  readonly statusName: string;
  readonly remainingSamples: number;
}

/** The command byte for this key: 0x09, the prototype 0x40, or undefined without a sensor. */
export function bioEnrollmentCommand(info: AuthenticatorInfo): number | undefined {
  if (info.options.bioEnroll !== undefined) return Command.bioEnrollment;
  if (info.options.userVerificationMgmtPreview !== undefined) return Command.bioEnrollmentPreview;
  return undefined;
}

type Params = Map<number, CborValue>;

/** The bytes pinUvAuthParam authenticates: modality || subCommand || subCommandParams. */
export function bioMessage(subCommand: number, params?: Params): Uint8Array {
  const tail = params === undefined ? new Uint8Array(0) : encodeCbor(params);
  const out = new Uint8Array(2 + tail.length);
  out[0] = BIO_MODALITY_FINGERPRINT;
  out[1] = subCommand;
  out.set(tail, 2);
  return out;
}

export function buildBioRequest(subCommand: number, params?: Params, token?: PinUvAuthToken): Map<number, CborValue> {
  const request = new Map<number, CborValue>([
    [BioParam.modality, BIO_MODALITY_FINGERPRINT],
    [BioParam.subCommand, subCommand],
  ]);
  if (params !== undefined) request.set(BioParam.subCommandParams, params);
  if (token !== undefined) {
    request.set(BioParam.pinUvAuthProtocol, token.protocol.version);
    request.set(BioParam.pinUvAuthParam, token.authenticate(bioMessage(subCommand, params)));
  }
  return request;
}

function uint(body: CborMap | undefined, key: number, what: string): number {
  const v = body?.get(key);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw malformed(`bio enrollment reply lacks ${what}`);
  return v;
}

function optUint(body: CborMap | undefined, key: number): number | undefined {
  const v = body?.get(key);
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

export function parseSensorInfo(body: CborMap | undefined): SensorInfo {
  const kind = optUint(body, BioResponse.fingerprintKind);
  return {
    kind: kind === 1 ? 'touch' : kind === 2 ? 'swipe' : 'unknown',
    samplesRequired: optUint(body, BioResponse.maxCaptureSamplesRequiredForEnroll),
    maxFriendlyNameBytes: optUint(body, BioResponse.maxTemplateFriendlyName),
  };
}

export function parseTemplates(body: CborMap | undefined): Template[] {
  const infos = body?.get(BioResponse.templateInfos);
  if (!Array.isArray(infos)) throw malformed('enumerateEnrollments reply lacks templateInfos');
  return infos.map((t) => {
    if (!(t instanceof Map)) throw malformed('a templateInfo is not a map');
    const id = t.get(BioSubParam.templateId);
    const name = t.get(BioSubParam.templateFriendlyName);
    if (!(id instanceof Uint8Array)) throw malformed('a templateInfo lacks its templateId');
    // Keys without a name for a template may send "" or leave it out: both mean none.
    return { id, idHex: toHex(id), name: typeof name === 'string' && name !== '' ? name : undefined };
  });
}

export class BioEnrollment {
  constructor(
    private readonly ctap: Ctap2,
    /** 0x09 or 0x40: see bioEnrollmentCommand. */
    private readonly command: number,
    private readonly token?: PinUvAuthToken,
  ) {}

  async sensorInfo(): Promise<SensorInfo> {
    return parseSensorInfo(await this.send(BioSubCommand.getFingerprintSensorInfo, undefined, false));
  }

  /** Starts an enrollment; the key waits for the first touch (keepalives report 'upneeded'). */
  async enrollBegin(timeoutMs?: number, opts?: CborRequestOptions): Promise<SampleResult> {
    const params = timeoutMs === undefined ? undefined : new Map<number, CborValue>([[BioSubParam.timeoutMilliseconds, timeoutMs]]);
    const body = await this.send(BioSubCommand.enrollBegin, params, true, opts);
    const id = body?.get(BioResponse.templateId);
    if (!(id instanceof Uint8Array)) throw malformed('enrollBegin reply lacks templateId');
    return sample(id, body);
  }

  async enrollCaptureNextSample(templateId: Uint8Array, timeoutMs?: number, opts?: CborRequestOptions): Promise<SampleResult> {
    const params = new Map<number, CborValue>([[BioSubParam.templateId, templateId]]);
    if (timeoutMs !== undefined) params.set(BioSubParam.timeoutMilliseconds, timeoutMs);
    return sample(templateId, await this.send(BioSubCommand.enrollCaptureNextSample, params, true, opts));
  }

  /** Needs no token (§6.7.4): it only ends what is in progress. */
  async cancelCurrentEnrollment(opts?: CborRequestOptions): Promise<void> {
    await this.send(BioSubCommand.cancelCurrentEnrollment, undefined, false, opts);
  }

  /** The enrolled templates; none is CTAP2_ERR_INVALID_OPTION on the wire (§6.7.5), an empty list here. */
  async enumerateEnrollments(): Promise<Template[]> {
    try {
      return parseTemplates(await this.send(BioSubCommand.enumerateEnrollments, undefined, true));
    } catch (e) {
      if (e instanceof CtapError && e.status === 0x2c) return [];
      throw e;
    }
  }

  async setFriendlyName(templateId: Uint8Array, name: string): Promise<void> {
    const params = new Map<number, CborValue>([
      [BioSubParam.templateId, templateId],
      [BioSubParam.templateFriendlyName, name],
    ]);
    await this.send(BioSubCommand.setFriendlyName, params, true);
  }

  async removeEnrollment(templateId: Uint8Array): Promise<void> {
    await this.send(BioSubCommand.removeEnrollment, new Map<number, CborValue>([[BioSubParam.templateId, templateId]]), true);
  }

  private async send(sub: number, params: Params | undefined, auth: boolean, opts?: CborRequestOptions): Promise<CborMap | undefined> {
    if (auth && this.token === undefined) throw new RangeError('this bio enrollment subcommand needs a pinUvAuthToken with the be permission');
    return this.ctap.send(this.command, buildBioRequest(sub, params, auth ? this.token : undefined), opts);
  }
}

function sample(templateId: Uint8Array, body: CborMap | undefined): SampleResult {
  const status = uint(body, BioResponse.lastEnrollSampleStatus, 'lastEnrollSampleStatus');
  return { templateId, status, statusName: sampleStatusName(status), remainingSamples: uint(body, BioResponse.remainingSamples, 'remainingSamples') };
}
