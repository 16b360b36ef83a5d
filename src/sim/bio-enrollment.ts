/**
 * authenticatorBioEnrollment (0x09), CTAP 2.1 §6.7: the fingerprint sensor's
 * templates. A fido-2.1-pre key answers the same requests on the prototype
 * command 0x40 (getInfo "userVerificationMgmtPreview"), whose tokens carry
 * no permissions.
 */
import { randomBytes } from 'node:crypto';
import type { Encodable } from './cbor.js';
import { Permission, type Enrollment, type KeyContext, type Request } from './context.js';
import { bytesEqual } from './make-credential.js';
import type { StoredFingerprint } from './state.js';
import { optBool, optBytes, optMap, optUint, reqBytes, reqText, reqUint } from './params.js';
import { requirePermission, subCommandMessage, verifyRequestParam } from './pin-uv-auth.js';
import { Status, fail } from './status.js';

const BioSub = {
  enrollBegin: 0x01,
  enrollCaptureNextSample: 0x02,
  cancelCurrentEnrollment: 0x03,
  enumerateEnrollments: 0x04,
  setFriendlyName: 0x05,
  removeEnrollment: 0x06,
  getFingerprintSensorInfo: 0x07,
} as const;

const MODALITY_FINGERPRINT = 0x01;
/** fingerprintKind 1: a touch sensor (2 would be a swipe sensor). */
const FINGERPRINT_KIND_TOUCH = 1;
const SAMPLES_PER_ENROLLMENT = 4;
/** maxTemplateFriendlyName, in bytes of UTF-8. */
const MAX_FRIENDLY_NAME_BYTES = 32;
const MAX_TEMPLATES = 5;

const P = { modality: 1, subCommand: 2, subCommandParams: 3, protocol: 4, pinUvAuthParam: 5, getModality: 6 };
const SP = { templateId: 1, templateFriendlyName: 2, timeoutMilliseconds: 3 };
const R = {
  modality: 1,
  fingerprintKind: 2,
  maxCaptureSamplesRequiredForEnroll: 3,
  templateId: 4,
  lastEnrollSampleStatus: 5,
  remainingSamples: 6,
  templateInfos: 7,
  maxTemplateFriendlyName: 8,
};

export async function bioEnrollment(ctx: KeyContext, req: Request, preview: boolean): Promise<Encodable | undefined> {
  const { map } = req;
  if (optBool(map, P.getModality) === true) return new Map([[R.modality, MODALITY_FINGERPRINT]]);
  const modality = reqUint(map, P.modality);
  if (modality !== MODALITY_FINGERPRINT) fail(Status.INVALID_PARAMETER);
  const sub = reqUint(map, P.subCommand);
  if (!(Object.values(BioSub) as number[]).includes(sub)) fail(Status.INVALID_SUBCOMMAND);

  if (sub === BioSub.getFingerprintSensorInfo) {
    return new Map<number, Encodable>([
      [R.fingerprintKind, FINGERPRINT_KIND_TOUCH],
      [R.maxCaptureSamplesRequiredForEnroll, SAMPLES_PER_ENROLLMENT],
      [R.maxTemplateFriendlyName, MAX_FRIENDLY_NAME_BYTES],
    ]);
  }
  if (sub === BioSub.cancelCurrentEnrollment) {
    ctx.volatile.enrollment = undefined;
    return undefined;
  }

  authorise(ctx, req, modality, sub, preview);
  const params = optMap(map, P.subCommandParams) ?? new Map();
  switch (sub) {
    case BioSub.enrollBegin: {
      if (ctx.state.fingerprints.length >= MAX_TEMPLATES) fail(Status.FP_DATABASE_FULL);
      const enrollment = { templateId: newTemplateId(ctx), remaining: SAMPLES_PER_ENROLLMENT };
      ctx.volatile.enrollment = enrollment;
      return capture(ctx, enrollment, true);
    }
    case BioSub.enrollCaptureNextSample: {
      const enrollment = ctx.volatile.enrollment;
      if (!enrollment) fail(Status.NOT_ALLOWED);
      if (!bytesEqual(reqBytes(params, SP.templateId), enrollment.templateId)) fail(Status.INVALID_PARAMETER);
      return capture(ctx, enrollment, false);
    }
    case BioSub.enumerateEnrollments: {
      // §6.7.5: no template at all is CTAP2_ERR_INVALID_OPTION.
      if (ctx.state.fingerprints.length === 0) fail(Status.INVALID_OPTION);
      // The name is optional in templateInfo, but hosts such as python-fido2 0.9 index it
      // unconditionally; an unnamed template reports "" as real sensors do.
      const infos = ctx.state.fingerprints.map(
        (f) => new Map<number, Encodable>([[SP.templateId, f.id], [SP.templateFriendlyName, f.name ?? '']]),
      );
      return new Map<number, Encodable>([[R.templateInfos, infos]]);
    }
    case BioSub.setFriendlyName: {
      const template = findTemplate(ctx, reqBytes(params, SP.templateId));
      const name = reqText(params, SP.templateFriendlyName);
      if (Buffer.byteLength(name, 'utf8') > MAX_FRIENDLY_NAME_BYTES) fail(Status.INVALID_PARAMETER);
      template.name = name === '' ? undefined : name;
      ctx.persist();
      return undefined;
    }
    default: {
      const template = findTemplate(ctx, reqBytes(params, SP.templateId));
      ctx.state.fingerprints.splice(ctx.state.fingerprints.indexOf(template), 1);
      ctx.persist();
      return undefined;
    }
  }
}

/**
 * §6.7 steps common to the authenticated subcommands: a pinUvAuthParam over
 * modality || subCommand || subCommandParams (as encoded on the wire) from a
 * token with the `be` permission; the prototype's tokens have no permissions.
 */
function authorise(ctx: KeyContext, req: Request, modality: number, sub: number, preview: boolean): void {
  const message = subCommandMessage(req, P.subCommandParams, Uint8Array.of(modality, sub));
  const token = verifyRequestParam(ctx, optBytes(req.map, P.pinUvAuthParam), optUint(req.map, P.protocol), message);
  if (!preview) requirePermission(token, Permission.be);
}

function newTemplateId(ctx: KeyContext): Uint8Array {
  for (;;) {
    const id = new Uint8Array(randomBytes(2));
    if (!ctx.state.fingerprints.some((f) => bytesEqual(f.id, id))) return id;
  }
}

function findTemplate(ctx: KeyContext, id: Uint8Array): StoredFingerprint {
  const t = ctx.state.fingerprints.find((f) => bytesEqual(f.id, id));
  return t ?? fail(Status.INVALID_PARAMETER);
}

/** One touch of the sensor: a good sample counts down; the last one stores the template. */
async function capture(
  ctx: KeyContext,
  enrollment: Enrollment,
  first: boolean,
): Promise<Encodable> {
  let status: number;
  try {
    status = await ctx.io.captureSample();
  } catch (e) {
    ctx.volatile.enrollment = undefined;
    throw e;
  }
  if (status === 0) enrollment.remaining -= 1;
  if (enrollment.remaining === 0) {
    ctx.volatile.enrollment = undefined;
    ctx.state.fingerprints.push({ id: enrollment.templateId, name: undefined });
    ctx.persist();
  }
  const response = new Map<number, Encodable>();
  if (first) response.set(R.templateId, enrollment.templateId);
  response.set(R.lastEnrollSampleStatus, status);
  response.set(R.remainingSamples, enrollment.remaining);
  return response;
}
