import { describe, expect, it } from 'vitest';
import { Command } from '../../src/ctap/ctap2.js';
import { mayAskForTouch, subCommandOf } from '../../src/ctap/touch-requests.js';

describe('which requests may wait for a touch (CTAP 2.1 §6)', () => {
  it.each([
    ['makeCredential', Command.makeCredential, undefined, true],
    ['getAssertion', Command.getAssertion, undefined, true],
    ['reset', Command.reset, undefined, true],
    ['selection', Command.selection, undefined, true],
    ['getInfo', Command.getInfo, undefined, false],
    ['getNextAssertion', Command.getNextAssertion, undefined, false],
    ['clientPIN getPinRetries', Command.clientPIN, 0x01, false],
    ['clientPIN getKeyAgreement', Command.clientPIN, 0x02, false],
    ['clientPIN setPIN', Command.clientPIN, 0x03, false],
    ['clientPIN changePIN', Command.clientPIN, 0x04, false],
    ['clientPIN getPinToken', Command.clientPIN, 0x05, false],
    ['clientPIN getPinUvAuthTokenUsingUvWithPermissions', Command.clientPIN, 0x06, true],
    ['clientPIN getUVRetries', Command.clientPIN, 0x07, false],
    ['clientPIN getPinUvAuthTokenUsingPinWithPermissions', Command.clientPIN, 0x09, false],
    ['credentialManagement', Command.credentialManagement, 0x02, false],
    ['credentialManagement (preview)', Command.credentialManagementPreview, 0x04, false],
    ['largeBlobs', Command.largeBlobs, undefined, false],
    ['config enableEnterpriseAttestation', Command.config, 0x01, false],
    ['config toggleAlwaysUv', Command.config, 0x02, false],
    ['config setMinPINLength', Command.config, 0x03, false],
    ['config vendorPrototype', Command.config, 0xff, true],
    ['bio getModality', Command.bioEnrollment, undefined, false],
    ['bio enrollBegin', Command.bioEnrollment, 0x01, true],
    ['bio enrollCaptureNextSample', Command.bioEnrollment, 0x02, true],
    ['bio cancelCurrentEnrollment', Command.bioEnrollment, 0x03, false],
    ['bio enumerateEnrollments', Command.bioEnrollment, 0x04, false],
    ['bio setFriendlyName', Command.bioEnrollment, 0x05, false],
    ['bio removeEnrollment', Command.bioEnrollment, 0x06, false],
    ['bio getFingerprintSensorInfo', Command.bioEnrollment, 0x07, false],
    ['bio enrollBegin (preview)', Command.bioEnrollmentPreview, 0x01, true],
    ['a vendor command', 0x50, undefined, true],
  ] as const)('%s: %s', (_name, command, sub, expected) => {
    expect(mayAskForTouch(command, sub)).toBe(expected);
  });

  it.each([
    ['clientPIN', Command.clientPIN, new Map([[1, 2], [2, 6]]), 6],
    ['bio', Command.bioEnrollment, new Map([[1, 1], [2, 2]]), 2],
    ['credMgmt', Command.credentialManagement, new Map([[1, 4]]), 4],
    ['config', Command.config, new Map([[1, 2]]), 2],
    ['makeCredential has none', Command.makeCredential, new Map([[1, 2]]), undefined],
    ['no params', Command.config, undefined, undefined],
  ] as const)('subCommandOf %s', (_name, command, params, expected) => {
    expect(subCommandOf(command, params)).toBe(expected);
  });
});
