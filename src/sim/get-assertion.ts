/** authenticatorGetAssertion (0x02) and authenticatorGetNextAssertion (0x08), CTAP 2.1 §6.2, §6.3. */
import type { CborMap, Encodable } from './cbor.js';
import { Permission, type AssertionBatch, type KeyContext } from './context.js';
import { signEs256, unwrapCredentialId } from './credentials.js';
import { Flag, authenticatorData, concatBytes, rpIdHash } from './auth-data.js';
import { bytesEqual, credentialIds } from './make-credential.js';
import { optArray, optBool, optBytes, optMap, optUint, reqBytes, reqText } from './params.js';
import type { StoredCredential } from './state.js';
import { Status, fail } from './status.js';
import { wantsLargeBlobKey } from './large-blob-key.js';
import { answerZeroLengthParam, checkProtocolPresent, establishUserVerification } from './user-verification.js';

const P = { rpId: 1, clientDataHash: 2, allowList: 3, extensions: 4, options: 5, pinUvAuthParam: 6, protocol: 7 };

/** getNextAssertion must follow within 30 s (§6.3). */
const NEXT_ASSERTION_WINDOW_MS = 30_000;

export async function getAssertion(ctx: KeyContext, params: CborMap): Promise<Encodable> {
  const rpId = reqText(params, P.rpId);
  const clientDataHash = reqBytes(params, P.clientDataHash);
  const allowList = optArray(params, P.allowList);
  const allowed = credentialIds(allowList);
  const largeBlobKey = wantsLargeBlobKey(ctx, optMap(params, P.extensions));
  const options = optMap(params, P.options) ?? new Map();
  const pinUvAuthParam = optBytes(params, P.pinUvAuthParam);
  const protocol = optUint(params, P.protocol);

  await answerZeroLengthParam(ctx, pinUvAuthParam);
  checkProtocolPresent(ctx, pinUvAuthParam, protocol);
  if (options.has('rk')) fail(Status.UNSUPPORTED_OPTION); // §6.2.2 step 5: rk has no meaning here
  const up = optBool(options, 'up') ?? true;
  const uv = await establishUserVerification(ctx, {
    pinUvAuthParam,
    protocol,
    uvOption: optBool(options, 'uv'),
    clientDataHash,
    permission: Permission.ga,
    rpId,
    uvOptional: true,
    up,
  });

  const rpHash = rpIdHash(rpId);
  const found = allowList
    ? fromAllowList(ctx, rpHash, allowed, uv.userVerified)
    : ctx.state.credentials
        .filter((c) => c.rpId === rpId && (c.credProtect === 1 || uv.userVerified))
        .sort((a, b) => b.serial - a.serial);
  if (found.length === 0) fail(Status.NO_CREDENTIALS);

  if (up && !uv.userPresent) await ctx.io.userPresence();
  let flags = 0;
  if (up) flags |= Flag.UP;
  if (uv.userVerified) flags |= Flag.UV;

  // With an allowList the platform gets one assertion (§6.2.2 step 12).
  const [first, ...rest] = allowList ? found.slice(0, 1) : found;
  const batch: AssertionBatch = {
    rpIdHash: rpHash,
    clientDataHash,
    flags,
    userVerified: uv.userVerified,
    remaining: rest,
    expiresAt: ctx.now() + NEXT_ASSERTION_WINDOW_MS,
    largeBlobKey,
  };
  const response = assertion(ctx, batch, first!, !allowList);
  if (rest.length > 0) {
    response.set(5, rest.length + 1);
    ctx.volatile.assertions = batch;
  }
  return response;
}

export function getNextAssertion(ctx: KeyContext): Encodable {
  const batch = ctx.volatile.assertions;
  if (!batch || batch.remaining.length === 0 || ctx.now() > batch.expiresAt) {
    ctx.volatile.assertions = undefined;
    return fail(Status.NOT_ALLOWED);
  }
  const next = batch.remaining.shift()!;
  return assertion(ctx, batch, next, true);
}

/** Credentials of the allowList this key made for the RP, with stored user data when discoverable. */
function fromAllowList(ctx: KeyContext, rpHash: Uint8Array, ids: Uint8Array[], userVerified: boolean): StoredCredential[] {
  const out: StoredCredential[] = [];
  for (const id of ids) {
    const opened = unwrapCredentialId(ctx.state.credentialSecret, rpHash, id);
    if (!opened || (opened.credProtect === 3 && !userVerified)) continue;
    const stored = ctx.state.credentials.find((c) => bytesEqual(c.id, id));
    if (opened.discoverable && !stored) continue; // deleted or replaced since
    out.push(
      stored ?? {
        id,
        rpId: '',
        userId: new Uint8Array(0),
        privateKey: opened.privateKey,
        credProtect: opened.credProtect,
        serial: 0,
      },
    );
  }
  return out;
}

function assertion(ctx: KeyContext, batch: AssertionBatch, cred: StoredCredential, discoverable: boolean): Map<number, Encodable> {
  ctx.state.signCount += 1;
  ctx.persist();
  const authData = authenticatorData(batch.rpIdHash, batch.flags, ctx.state.signCount);
  const sig = signEs256(cred.privateKey, concatBytes(authData, batch.clientDataHash));
  const response = new Map<number, Encodable>([
    [1, { id: cred.id, type: 'public-key' }],
    [2, authData],
    [3, sig],
  ]);
  if (discoverable && cred.userId.length > 0) {
    // Names only after UV: without it the key must not reveal who the accounts are (§6.2.2 step 12).
    const user = new Map<string, Encodable>([['id', cred.userId]]);
    if (batch.userVerified && cred.userName !== undefined) user.set('name', cred.userName);
    if (batch.userVerified && cred.userDisplayName !== undefined) user.set('displayName', cred.userDisplayName);
    response.set(4, user);
  }
  // §12.3: the key of each credential that has one, for the platform to open its blob.
  if (batch.largeBlobKey && cred.largeBlobKey) response.set(7, cred.largeBlobKey);
  return response;
}
