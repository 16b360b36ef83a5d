import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canRemember, decryptInfoMember, keyIdOf, openKey, TokenStore } from '../../src/index.js';
import { startKey } from '../commands/harness.js';

describe('library: persistent-token helpers', () => {
  it('exports the one-way keyId and the decryption, and tells which keys can remember a token', async () => {
    const id = new Uint8Array(16).fill(1);
    expect(keyIdOf(id)).toBe(createHash('sha256').update('fido2-manage key id v1\0').update(id).digest('hex').slice(0, 16));
    expect(decryptInfoMember(new Uint8Array(32), 'encIdentifier', new Uint8Array(5))).toBeUndefined();
    expect(new TokenStore('/nonexistent/x').file).toBe('/nonexistent/x/persistent-tokens.json');
    for (const [profile, can] of [['fido-2.3', true], ['fido-2.1', false]] as const) {
      const k = await startKey({ profile });
      const key = await openKey(k.device);
      try {
        expect(canRemember(await key.info())).toBe(can);
      } finally {
        await key.close();
        await k.close();
      }
    }
  });
});
