import { describe, expect, it } from 'vitest';
import { runCli, startKey } from './harness.js';

// Exit codes per profile for each command, run in this order on one key (README "Exit codes").
const COMMANDS = ['info', 'set-pin', 'verify-pin', 'retries', 'uvs', 'uvd', 'enable-enterprise-attestation', 'min-pin-length', 'force-pin-change', 'change-pin'] as const;
const EXPECTED: Record<string, Record<(typeof COMMANDS)[number], number>> = {
  'fido-2.1': { info: 0, 'set-pin': 0, 'verify-pin': 0, retries: 0, uvs: 0, uvd: 0, 'enable-enterprise-attestation': 0, 'min-pin-length': 0, 'force-pin-change': 0, 'change-pin': 0 },
  'fido-2.1-pre': { info: 0, 'set-pin': 0, 'verify-pin': 0, retries: 0, uvs: 5, uvd: 5, 'enable-enterprise-attestation': 5, 'min-pin-length': 5, 'force-pin-change': 5, 'change-pin': 0 },
  'fido-2.0': { info: 0, 'set-pin': 0, 'verify-pin': 0, retries: 0, uvs: 5, uvd: 5, 'enable-enterprise-attestation': 5, 'min-pin-length': 5, 'force-pin-change': 5, 'change-pin': 0 },
  'u2f-only': { info: 0, 'set-pin': 5, 'verify-pin': 5, retries: 5, uvs: 5, uvd: 5, 'enable-enterprise-attestation': 5, 'min-pin-length': 5, 'force-pin-change': 5, 'change-pin': 5 },
};

describe.each(Object.keys(EXPECTED))('every command against a %s key', (profile) => {
  it.each(['1', '2'])('gives the documented exit codes over PIN protocol %s (or the key\'s only one)', async (protocol) => {
    const k = await startKey({ profile: profile as 'fido-2.1' });
    try {
      const env = { FIDO2_PIN: '24681357', FIDO2_NEW_PIN: '97531246' };
      const proto = profile === 'fido-2.0' || profile === 'u2f-only' ? [] : ['--pin-protocol', protocol];
      const got: Record<string, number> = {};
      for (const c of COMMANDS) {
        const args = c === 'min-pin-length' ? [c, '6', '--yes'] : c === 'enable-enterprise-attestation' ? [c, '--yes'] : [c];
        const r = await runCli([...args, '--device', k.device, ...proto], { env: c === 'set-pin' ? { FIDO2_PIN: env.FIDO2_PIN } : env });
        got[c] = r.code;
        if (r.code !== 0) expect(r.stderr.trim().split('\n'), `${c}: ${r.stderr}`).toHaveLength(1);
        if (r.code === 5) expect(r.stderr, c).toMatch(/not supported|U2F|does not support|no PIN support/i);
      }
      expect(got).toEqual(EXPECTED[profile]);
    } finally {
      await k.close();
    }
  });
});
