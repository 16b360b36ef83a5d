import { describe, expect, it } from 'vitest';
import { rewriteLegacyArgs } from '../../src/commands/compat.js';

describe('legacy fido2-manage arguments', () => {
  it('rewrites the script forms into commands and options', () => {
    expect(rewriteLegacyArgs(['-uvs', '-device', '1', '-pin', '1234'])).toEqual(['uvs', '--device', '1', '--pin', '1234']);
    expect(rewriteLegacyArgs(['-device', '2', '-setMinimumPIN', '8'])).toEqual(['min-pin-length', '--device', '2', '8']);
    expect(rewriteLegacyArgs(['-list'])).toEqual(['list']);
    expect(rewriteLegacyArgs(['-info', '-device', 'sim'])).toEqual(['info', '--device', 'sim']);
    expect(rewriteLegacyArgs(['-setPIN'])).toEqual(['set-pin']);
    expect(rewriteLegacyArgs(['-changePIN'])).toEqual(['change-pin']);
    expect(rewriteLegacyArgs(['-uvd'])).toEqual(['uvd']);
    expect(rewriteLegacyArgs(['-forcePINchange'])).toEqual(['force-pin-change']);
    expect(rewriteLegacyArgs(['-fingerprint', '-fingerprintname', 'ring', '-device', '1'])).toEqual(['fingerprints', 'add', '--name', 'ring', '--device', '1']);
    expect(rewriteLegacyArgs(['-fingerprintlist'])).toEqual(['fingerprints', 'list']);
    expect(rewriteLegacyArgs(['-renamefingerprint', '0a1b', 'thumb'])).toEqual(['fingerprints', 'rename', '0a1b', 'thumb']);
    expect(rewriteLegacyArgs(['-deletefingerprint', '0a1b'])).toEqual(['fingerprints', 'delete', '0a1b']);
  });

  it('leaves modern arguments alone', () => {
    expect(rewriteLegacyArgs(['uvs', '--device', '1', '--json'])).toEqual(['uvs', '--device', '1', '--json']);
  });
});
