/**
 * Which CTAP2 requests change what the key holds (pure). The CLI uses it to
 * tell a Ctrl-C before the point of no return (nothing changed) from one after
 * the key applied a change (the run finishes its read-back and says so).
 */
import { decodeCborMap, type CborMap } from './cbor.js';
import { Command } from './ctap2.js';

/** An unfinished large-blob write: the length announced with its first fragment (§6.10.2). */
export interface ChangeTracking {
  largeBlobLength?: number;
}

/** A request that commits a change on the key, named for messages ("clientPIN setPIN"); undefined for the others. */
export function requestChange(request: Uint8Array, t: ChangeTracking = {}): string | undefined {
  const command = request[0];
  if (command === Command.reset) return 'authenticatorReset';
  const params = paramsOf(request);
  if (params === undefined) return undefined;
  const sub = (key: number): unknown => params.get(key);
  switch (command) {
    case Command.clientPIN:
      return ({ 3: 'clientPIN setPIN', 4: 'clientPIN changePIN' } as Record<number, string>)[Number(sub(0x02))];
    case Command.config:
      // vendorPrototype (0xff) may change anything; counted as a change.
      return ({ 1: 'authenticatorConfig enableEnterpriseAttestation', 2: 'authenticatorConfig toggleAlwaysUv', 3: 'authenticatorConfig setMinPINLength', 255: 'authenticatorConfig vendorPrototype' } as Record<number, string>)[Number(sub(0x01))];
    case Command.credentialManagement:
    case Command.credentialManagementPreview:
      return ({ 6: 'credentialManagement deleteCredential', 7: 'credentialManagement updateUserInformation' } as Record<number, string>)[Number(sub(0x01))];
    case Command.bioEnrollment:
    case Command.bioEnrollmentPreview:
      // Enrollment samples are left out: the template is kept only after the last one, and `fingerprints add` cancels the enrollment itself.
      return ({ 5: 'bioEnrollment setFriendlyName', 6: 'bioEnrollment removeEnrollment' } as Record<number, string>)[Number(sub(0x02))];
    case Command.largeBlobs:
      return largeBlobCommit(params, t);
    default:
      return undefined;
  }
}

/**
 * §6.10.2: the key replaces its array only when the last fragment arrives
 * (offset + fragment = the length sent with offset 0); earlier fragments
 * change nothing the key holds.
 */
function largeBlobCommit(params: CborMap, t: ChangeTracking): string | undefined {
  const set = params.get(0x02);
  const offset = params.get(0x03);
  if (!(set instanceof Uint8Array) || typeof offset !== 'number') return undefined;
  if (offset === 0) {
    const length = params.get(0x04);
    if (typeof length === 'number') t.largeBlobLength = length;
  }
  if (t.largeBlobLength === undefined || offset + set.length !== t.largeBlobLength) return undefined;
  delete t.largeBlobLength;
  return 'largeBlobs write';
}

function paramsOf(request: Uint8Array): CborMap | undefined {
  if (request.length < 2) return undefined;
  try {
    return decodeCborMap(request.subarray(1));
  } catch {
    return undefined;
  }
}
