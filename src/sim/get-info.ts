/** authenticatorGetInfo (0x04), CTAP 2.1 §6.4: what this key is and how it is set up now. */
import type { Encodable } from './cbor.js';
import { MAX_MIN_PIN_LENGTH_RPIDS, configCommands } from './config.js';
import { ATTESTATION_FORMATS, MAX_PIN_LENGTH, encryptInfoMember } from './ctap23.js';
import type { KeyContext } from './context.js';
import { CREDENTIAL_ID_LENGTH, ES256 } from './credentials.js';
import { LARGE_BLOB_KEY } from './large-blob-key.js';

/** A realistic size (a YubiKey 5 says 1200); CTAPHID itself could carry 7609. */
export const MAX_MSG_SIZE = 1200;
export const MAX_CREDENTIALS_IN_LIST = 8;
export const MAX_DISCOVERABLE_CREDENTIALS = 25;
export const FIRMWARE_VERSION = 0x010000;

/** The option IDs of §6.4 this key reports, for its profile and current state. */
export function infoOptions(ctx: KeyContext): Map<string, boolean> {
  const v21 = ctx.profile.ctap21;
  const o = new Map<string, boolean>([
    ['rk', true],
    ['up', true],
    ['clientPin', ctx.state.pin !== undefined],
  ]);
  // uv: true only while a finger is enrolled; false says "a sensor, not yet set up" (§6.4).
  if (ctx.sensor) o.set('uv', ctx.builtInUv);
  // The 2.1 draft's prototype command 0x41 (CredentialManagementPrototype): every key listing
  // FIDO_2_1_PRE keeps it for older platforms (libfido2 1.12 manages credentials only through it).
  if (ctx.profile.versions.includes('FIDO_2_1_PRE')) o.set('credentialMgmtPreview', true);
  // §6.4 bioEnroll: present with a sensor, true once a finger is enrolled; the prototype 0x40 likewise.
  if (ctx.sensor && v21) o.set('bioEnroll', ctx.builtInUv);
  if (ctx.sensor && !v21 && ctx.profile.versions.includes('FIDO_2_1_PRE')) {
    o.set('userVerificationMgmtPreview', ctx.builtInUv);
  }
  if (v21) {
    o.set('pinUvAuthToken', true);
    o.set('authnrCfg', true);
    o.set('credMgmt', true);
    o.set('alwaysUv', ctx.state.alwaysUv);
    o.set('setMinPINLength', true);
    // §6.4: makeCredUvNotRqd must be false while alwaysUv is on.
    o.set('makeCredUvNotRqd', ctx.makeCredUvNotRqd && !ctx.state.alwaysUv);
    o.set('ep', ctx.state.enterpriseAttestation);
    if (ctx.sensor) o.set('uvAcfg', true);
    if (ctx.largeBlobMax !== undefined) o.set('largeBlobs', true);
  }
  if (ctx.profile.ctap23) o.set('perCredMgmtRO', true);
  return o;
}

export function getInfo(ctx: KeyContext): Encodable {
  const v21 = ctx.profile.ctap21;
  const info = new Map<number, Encodable>([
    [0x01, [...ctx.profile.versions]],
    [0x03, ctx.state.aaguid],
    [0x04, infoOptions(ctx)],
    [0x05, MAX_MSG_SIZE],
    [0x06, [...ctx.profile.pinUvAuthProtocols]],
    [0x07, MAX_CREDENTIALS_IN_LIST],
    [0x08, CREDENTIAL_ID_LENGTH],
    [0x09, [...(ctx.transports ?? ['usb'])]],
    [0x0a, [{ alg: ES256, type: 'public-key' }]],
  ]);
  // A FIDO_2_3-only key still has the 2.1 extensions, though it lists no FIDO_2_1_PRE.
  if (v21 || ctx.profile.versions.includes('FIDO_2_1_PRE')) {
    const extensions = v21 ? ['credProtect', 'minPinLength'] : ['credProtect'];
    if (ctx.largeBlobMax !== undefined) extensions.push(LARGE_BLOB_KEY);
    info.set(0x02, extensions);
  }
  if (v21) {
    info.set(0x0c, ctx.state.forcePinChange);
    info.set(0x0d, ctx.state.minPinLength);
    info.set(0x0e, FIRMWARE_VERSION);
    if (ctx.largeBlobMax !== undefined) info.set(0x0b, ctx.largeBlobMax);
    info.set(0x10, MAX_MIN_PIN_LENGTH_RPIDS);
    info.set(0x14, MAX_DISCOVERABLE_CREDENTIALS - ctx.state.credentials.length);
  }
  if (ctx.profile.ctap23) ctap23Members(ctx, info);
  return info;
}

/** CTAP 2.3 §6.4 members 0x16..0x1F. */
function ctap23Members(ctx: KeyContext, info: Map<number, Encodable>): void {
  const s = ctx.state;
  info.set(0x16, [...ATTESTATION_FORMATS]);
  info.set(0x18, s.longTouchForReset);
  // Encrypted under the persistent token even before pcmr is granted: the members are always
  // there, and readable only by whoever later obtains that token with the PIN.
  info.set(0x19, encryptInfoMember(s.persistentToken, 'encIdentifier', s.identifier));
  info.set(0x1a, [...(ctx.transports ?? ['usb'])]);
  info.set(0x1b, s.pinComplexityPolicy);
  info.set(0x1d, MAX_PIN_LENGTH);
  info.set(0x1e, encryptInfoMember(s.persistentToken, 'encCredStoreState', s.credStoreState));
  info.set(0x1f, configCommands(ctx));
}
