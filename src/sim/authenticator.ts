/**
 * The CTAP2 command dispatcher (CTAP 2.1 §6): one request in (command byte
 * + CBOR parameters), one response out (status byte + CBOR). Every failure
 * becomes a status byte; nothing a host sends can throw out of here.
 */
import { decodeRequest, encodeCbor, type Encodable } from './cbor.js';
import { clientPin } from './client-pin.js';
import { authenticatorConfig } from './config.js';
import { bioEnrollment } from './bio-enrollment.js';
import { credentialManagement } from './credential-management.js';
import type { KeyContext } from './context.js';
import { getAssertion, getNextAssertion } from './get-assertion.js';
import { MAX_MSG_SIZE, getInfo, infoOptions } from './get-info.js';
import { makeCredential } from './make-credential.js';
import { largeBlobs } from './large-blobs.js';
import { CtapStatusError, Status, fail, type StatusCode } from './status.js';
import { loadP256 } from '../p256.js';

export const Command = {
  makeCredential: 0x01,
  getAssertion: 0x02,
  getInfo: 0x04,
  clientPin: 0x06,
  reset: 0x07,
  getNextAssertion: 0x08,
  credentialManagement: 0x0a,
  selection: 0x0b,
  config: 0x0d,
  largeBlobs: 0x0c,
  bioEnrollment: 0x09,
  /** The CTAP 2.1 draft's prototype bio enrollment (getInfo "userVerificationMgmtPreview"). */
  bioEnrollmentPreview: 0x40,
  /** The CTAP 2.1 draft's prototype credential management (getInfo "credentialMgmtPreview"). */
  credentialManagementPreview: 0x41,
} as const;

const CURVE_COMMANDS: ReadonlySet<number> = new Set([
  Command.makeCredential,
  Command.getAssertion,
  Command.getNextAssertion,
  Command.credentialManagement,
  Command.credentialManagementPreview,
]);

async function dispatch(ctx: KeyContext, command: number, body: Uint8Array): Promise<Encodable | undefined> {
  const v21 = ctx.profile.ctap21;
  switch (command) {
    case Command.getInfo:
      return getInfo(ctx);
    case Command.makeCredential:
      return makeCredential(ctx, decodeRequest(body).map);
    case Command.getAssertion:
      return getAssertion(ctx, decodeRequest(body).map);
    case Command.getNextAssertion:
      return getNextAssertion(ctx);
    case Command.clientPin:
      return clientPin(ctx, decodeRequest(body).map);
    case Command.reset:
      await reset(ctx);
      return undefined;
    case Command.selection:
      if (!ctx.profile.selection) fail(Status.INVALID_COMMAND);
      await ctx.io.userPresence();
      return undefined;
    case Command.credentialManagement:
      if (!v21) fail(Status.INVALID_COMMAND);
      return credentialManagement(ctx, decodeRequest(body), false);
    case Command.credentialManagementPreview:
      if (!infoOptions(ctx).has('credentialMgmtPreview')) fail(Status.INVALID_COMMAND);
      return credentialManagement(ctx, decodeRequest(body), true);
    case Command.bioEnrollment:
      if (!infoOptions(ctx).has('bioEnroll')) fail(Status.INVALID_COMMAND);
      return bioEnrollment(ctx, decodeRequest(body), false);
    case Command.bioEnrollmentPreview:
      if (!infoOptions(ctx).has('userVerificationMgmtPreview')) fail(Status.INVALID_COMMAND);
      return bioEnrollment(ctx, decodeRequest(body), true);
    case Command.config:
      if (!v21) fail(Status.INVALID_COMMAND);
      return authenticatorConfig(ctx, decodeRequest(body));
    case Command.largeBlobs:
      if (ctx.largeBlobMax === undefined) fail(Status.INVALID_COMMAND);
      return largeBlobs(ctx, decodeRequest(body).map);
    default:
      return fail(Status.INVALID_COMMAND);
  }
}

/** §6.6: user presence is required, and optionally only shortly after power-up. */
async function reset(ctx: KeyContext): Promise<void> {
  if (ctx.resetWindowMs !== undefined && ctx.now() - ctx.volatile.poweredUpAt > ctx.resetWindowMs) {
    fail(Status.NOT_ALLOWED);
  }
  await ctx.io.userPresence();
  ctx.factoryReset();
}

function statusOnly(status: StatusCode): Uint8Array {
  return Uint8Array.of(status);
}

/** Runs one CTAP2 request; resolves with the response bytes, status first. */
export async function handleCtapRequest(ctx: KeyContext, request: Uint8Array): Promise<Uint8Array> {
  if (request.length === 0) return statusOnly(Status.INVALID_LENGTH);
  if (request.length > MAX_MSG_SIZE) return statusOnly(Status.REQUEST_TOO_LARGE);
  const command = request[0]!;
  // getNextAssertion only continues the immediately preceding getAssertion (§6.3).
  if (command !== Command.getNextAssertion) ctx.volatile.assertions = undefined;
  // Credential enumerations likewise end with any other command (§6.8); the handler checks subcommands.
  if (command !== Command.credentialManagement && command !== Command.credentialManagementPreview) {
    ctx.volatile.credentialEnumeration = undefined;
  }
  try {
    // Credentials are P-256 keys; clientPIN loads the curve itself, only when it needs ECDH.
    if (CURVE_COMMANDS.has(command)) await loadP256();
    const result = await dispatch(ctx, command, request.subarray(1));
    if (result === undefined) return statusOnly(Status.OK);
    const cbor = encodeCbor(result);
    const out = new Uint8Array(1 + cbor.length);
    out.set(cbor, 1);
    return out;
  } catch (e) {
    if (e instanceof CtapStatusError) return statusOnly(e.status);
    // A bug in the simulator must not take the key down: answer like a confused key would.
    return statusOnly(Status.OTHER);
  }
}
