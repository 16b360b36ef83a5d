/**
 * Every key operation over the ISO 7816 path (CTAP 2.1 §11.3): the library's
 * Fido2Key on an Iso7816Channel whose APDUs go, in this process, to the
 * virtual key's FIDO applet as a contactless card (src/sim/card.ts), the same
 * card `sim --vpcd` puts in a reader. test/pcsc/pcsc.test.ts runs the CLI
 * through pcscd and vpcd; this covers what that run cannot reach quickly:
 * retries, change-pin, each config command, credentials, large blobs,
 * fingerprints and uv-check, with short and with extended APDUs.
 */
import { describe, expect, it } from 'vitest';
import { Fido2Key } from '../../src/api/key.js';
import { Iso7816Channel } from '../../src/transports/pcsc/iso7816-channel.js';
import { virtualCard } from '../../src/sim/card.js';
import { VirtualKey } from '../../src/sim/virtual-key.js';
import { CtapHost } from '../sim/harness.js';
import { CTAP, makeCredentialParams, parseMakeCredential } from '../sim/platform.js';

const PIN = '123456';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** ISO 7816-4 §5.1: an extended APDU has a zero byte where a short one has Lc or Le. */
const isExtended = (apdu: Uint8Array): boolean => apdu.length > 5 && apdu[4] === 0;

async function overCard(key: VirtualKey, extendedLength: boolean): Promise<{ fido: Fido2Key; apdus: Uint8Array[] }> {
  const card = virtualCard(key, 1, { extendedLength });
  card.powerUp();
  const apdus: Uint8Array[] = [];
  const channel = await Iso7816Channel.open({
    label: 'pcsc:In-process card 00 00',
    atr: card.atr,
    transmit: async (apdu) => {
      apdus.push(apdu);
      return card.process(apdu);
    },
    close: async () => undefined,
  });
  return { fido: new Fido2Key(channel), apdus };
}

/** A passkey with a largeBlobKey, made over CTAPHID on the same key (the card is another way in). */
async function passkey(key: VirtualKey, rpId: string, user: string): Promise<Uint8Array> {
  const host = await CtapHost.open(key);
  const params = makeCredentialParams({ rk: true, rpId, userId: utf8(user), extensions: { largeBlobKey: true } });
  const id = parseMakeCredential(await host.ok(CTAP.makeCredential, params)).credentialId;
  host.close();
  return id;
}

describe.each([
  ['extended APDUs', true],
  ['short APDUs with chaining and GET RESPONSE', false],
])('every operation over ISO 7816 (%s)', (_name, extendedLength) => {
  it('PIN, retries, config, credentials, large blobs, fingerprints and uv-check', async () => {
    const key = new VirtualKey({ uv: true, fingers: 0 });
    const id = await passkey(key, 'a.example', 'alice');
    await passkey(key, 'b.example', 'bob');
    const { fido, apdus } = await overCard(key, extendedLength);
    try {
      expect((await fido.info()).versions).toContain('FIDO_2_1');
      await fido.setPin(PIN);
      expect(await fido.pinRetries()).toBe(8);
      expect(await fido.verifyPin('999999')).toBe(false);
      expect(await fido.pinRetries()).toBe(7);
      await fido.changePin(PIN, '567890');
      await fido.changePin('567890', PIN);
      expect(await fido.pinRetries()).toBe(8);

      expect((await fido.setAlwaysUv(true, PIN)).after).toMatchObject({ alwaysUv: true });
      expect((await fido.setMinPinLength(6, { pin: PIN })).after).toMatchObject({ minPinLength: 6 });
      expect((await fido.enableEnterpriseAttestation(PIN)).after).toMatchObject({ enterpriseAttestation: true });
      const applied = await fido.applyPolicy({ alwaysUv: false }, { pin: PIN });
      expect(applied.after).toMatchObject({ alwaysUv: false });

      const listing = await fido.listCredentials(PIN);
      expect(listing.rps.map((r) => r.rp.id).sort()).toEqual(['a.example', 'b.example']);
      // A blob larger than one short APDU's data: chained (or extended) both ways.
      const blob = new Uint8Array(600).map((_v, i) => i & 0xff);
      await fido.setLargeBlob(PIN, id, blob);
      expect(await fido.getLargeBlob(PIN, id)).toEqual(blob);
      expect((await fido.listLargeBlobs(PIN)).inventory.rows).toHaveLength(1);
      await fido.updateCredentialUser(PIN, id, { name: 'alice@example', displayName: 'Alice' });
      expect((await fido.findCredential(PIN, id)).credential.user.name).toBe('alice@example');
      expect((await fido.deleteCredential(PIN, id)).after.rps.map((r) => r.rp.id)).toEqual(['b.example']);
      expect((await fido.credentialsMetadata(PIN)).existing).toBe(1);

      const enrolled = await fido.enrollFingerprint(PIN, { name: 'right thumb' });
      expect((await fido.listFingerprints(PIN)).fingerprints.map((f) => f.name)).toEqual(['right thumb']);
      await fido.renameFingerprint(PIN, enrolled.added.id, 'left thumb');
      expect((await fido.listFingerprints(PIN)).fingerprints.map((f) => f.name)).toEqual(['left thumb']);
      await fido.deleteFingerprint(PIN, enrolled.added.id);
      expect((await fido.listFingerprints(PIN)).fingerprints).toEqual([]);

      const check = await fido.checkUserVerification({ pin: PIN });
      expect(check.versions).toContain('FIDO_2_1');
      expect(check.prediction).toBeDefined();
      // The card's ATR decided the framing: extended APDUs, or short ones chained (CLA bit 0x10).
      expect(apdus.some(isExtended)).toBe(extendedLength);
      expect(apdus.some((a) => (a[0]! & 0x10) !== 0)).toBe(!extendedLength);
    } finally {
      await fido.close();
    }
  });
});
