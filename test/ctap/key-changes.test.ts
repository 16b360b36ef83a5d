import { describe, expect, it } from 'vitest';
import { encodeRequest } from '../../src/ctap/ctap2.js';
import { requestChange, type ChangeTracking } from '../../src/ctap/key-changes.js';

const req = (cmd: number, entries?: Array<[number, unknown]>): Uint8Array => encodeRequest(cmd, entries && (new Map(entries) as never));

describe('requestChange: which requests change what the key holds', () => {
  it.each([
    ['getInfo', req(0x04), undefined],
    ['reset', req(0x07), 'authenticatorReset'],
    ['clientPIN getRetries', req(0x06, [[1, 2], [2, 1]]), undefined],
    ['clientPIN token', req(0x06, [[1, 2], [2, 9]]), undefined],
    ['clientPIN setPIN', req(0x06, [[1, 2], [2, 3]]), 'clientPIN setPIN'],
    ['clientPIN changePIN', req(0x06, [[1, 2], [2, 4]]), 'clientPIN changePIN'],
    ['config toggleAlwaysUv', req(0x0d, [[1, 2]]), 'authenticatorConfig toggleAlwaysUv'],
    ['config setMinPINLength', req(0x0d, [[1, 3]]), 'authenticatorConfig setMinPINLength'],
    ['credMgmt metadata', req(0x0a, [[1, 1]]), undefined],
    ['credMgmt delete', req(0x0a, [[1, 6]]), 'credentialManagement deleteCredential'],
    ['credMgmt preview delete', req(0x41, [[1, 6]]), 'credentialManagement deleteCredential'],
    ['credMgmt update', req(0x0a, [[1, 7]]), 'credentialManagement updateUserInformation'],
    ['bio enumerate', req(0x09, [[1, 1], [2, 4]]), undefined],
    ['bio enroll sample', req(0x09, [[1, 1], [2, 2]]), undefined],
    ['bio rename', req(0x09, [[1, 1], [2, 5]]), 'bioEnrollment setFriendlyName'],
    ['bio remove', req(0x40, [[1, 1], [2, 6]]), 'bioEnrollment removeEnrollment'],
    ['largeBlobs read', req(0x0c, [[1, 100], [3, 0]]), undefined],
    ['largeBlobs one-fragment write', req(0x0c, [[2, new Uint8Array(20)], [3, 0], [4, 20]]), 'largeBlobs write'],
    ['makeCredential', req(0x01, [[1, new Uint8Array(32)]]), undefined],
  ])('%s', (_name, request, expected) => {
    expect(requestChange(request, {})).toBe(expected);
  });

  it('a large-blob write commits with its last fragment only (§6.10.2)', () => {
    const t: ChangeTracking = {};
    expect(requestChange(req(0x0c, [[2, new Uint8Array(10)], [3, 0], [4, 25]]), t)).toBeUndefined();
    expect(requestChange(req(0x0c, [[2, new Uint8Array(10)], [3, 10]]), t)).toBeUndefined();
    expect(requestChange(req(0x0c, [[2, new Uint8Array(5)], [3, 20]]), t)).toBe('largeBlobs write');
  });
});
