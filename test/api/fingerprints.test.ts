/** The library's fingerprint methods against served virtual keys with a sensor: the same operations as `fingerprints ...`. */
import { afterEach, describe, expect, it } from 'vitest';
import { type CaptureEvent, type Fido2Key, openKey, type SampleEvent } from '../../src/index.js';
import type { VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { CTAP, type KeyUnderTest, startKey } from '../commands/harness.js';

const PIN = '24682468';
const BIO = 0x09;
const opened: { k: KeyUnderTest; key: Fido2Key }[] = [];

afterEach(async () => {
  for (const { k, key } of opened.splice(0)) {
    await key.close();
    await k.close();
  }
});

async function sensorKey(o: VirtualKeyOptions = {}): Promise<{ k: KeyUnderTest; key: Fido2Key }> {
  const k = await startKey({ uv: true, fingers: 0, ...o });
  const key = await openKey(k.device);
  opened.push({ k, key });
  await key.setPin(PIN);
  k.ctapCommands.length = 0;
  return { k, key };
}

const hexIds = (k: KeyUnderTest): string[] => k.key.snapshot().fingerprints.map((f) => Buffer.from(f.id).toString('hex'));

describe('Fido2Key fingerprints', () => {
  it('lists the sensor and the enrolled fingers', async () => {
    const { key } = await sensorKey({ fingers: 2 });
    const list = await key.listFingerprints(PIN);
    expect(list.sensor).toEqual({ kind: 'touch', samplesRequired: 4, maxFriendlyNameBytes: 32 });
    expect(list.fingerprints.map((t) => [t.idHex, t.name])).toEqual([
      ['0001', undefined],
      ['0002', undefined],
    ]);
    // Verified by a finger instead of the PIN.
    expect((await key.listFingerprints(undefined, { useUv: true })).fingerprints).toHaveLength(2);
    await expect(key.listFingerprints()).rejects.toMatchObject({ kind: 'pin-required' });
  });

  it('enrolls with a callback before each capture and after each sample, bad ones included, and reads the name back', async () => {
    const { k, key } = await sensorKey();
    k.key.scriptSamples([0x05, 0, 0x07, 0]);
    const events: (CaptureEvent | SampleEvent)[] = [];
    const r = await key.enrollFingerprint(PIN, { name: 'left index', onCapture: (e) => events.push(e), onSample: (e) => events.push(e) });
    const s = (status: string, remaining: number): Partial<SampleEvent> => ({ status, remaining });
    expect(events).toMatchObject([
      { sample: 1, total: 4 },
      { ...s('too-fast', 4), statusCode: 0x05, message: 'the finger was lifted too fast; hold it still until asked again' },
      { sample: 1, total: 4 },
      s('good', 3),
      { sample: 2, total: 4 },
      { ...s('poor-quality', 3), message: expect.stringContaining('poor quality') },
      { sample: 2, total: 4 },
      s('good', 2),
      { sample: 3, total: 4 },
      s('good', 1),
      { sample: 4, total: 4 },
      s('good', 0),
    ]);
    expect(r.samples.map((x) => x.status)).toEqual(['too-fast', 'good', 'poor-quality', 'good', 'good', 'good']);
    expect(r.added.name).toBe('left index');
    expect([r.before.length, r.after.length]).toEqual([0, 1]);
    expect(hexIds(k)).toEqual([r.added.idHex]);
    expect(k.key.snapshot().fingerprints[0]!.name).toBe('left index');
  });

  it('refuses a name over the sensor limit before asking for a sample or sending the PIN', async () => {
    const { k, key } = await sensorKey();
    const captures: CaptureEvent[] = [];
    await expect(key.enrollFingerprint(PIN, { name: 'n'.repeat(33), onCapture: (e) => captures.push(e) })).rejects.toMatchObject({ kind: 'usage' });
    expect(captures).toEqual([]);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    expect(k.key.snapshot().fingerprints).toEqual([]);
  });

  it('a signal mid-enrollment cancels it on the key; the key stays usable', async () => {
    const { k, key } = await sensorKey();
    k.key.setPresence({ delayMs: 25_000 });
    const ac = new AbortController();
    const run = key.enrollFingerprint(PIN, { signal: ac.signal, onCapture: () => setTimeout(() => ac.abort(), 300) });
    await expect(run).rejects.toMatchObject({ kind: 'cancelled', message: expect.stringContaining('kept no new fingerprint') });
    // sensor info, enumerate, enrollBegin, then cancelCurrentEnrollment
    expect(k.ctapCommands.filter((c) => c === BIO)).toHaveLength(4);
    expect(k.ctapCommands.at(-1)).toBe(BIO);
    expect(k.key.snapshot().fingerprints).toEqual([]);
    k.key.setPresence('confirm');
    expect((await key.listFingerprints(PIN)).fingerprints).toEqual([]);
  });

  it('renames by hex or by bytes, read back; an unknown id changes nothing', async () => {
    const { k, key } = await sensorKey({ fingers: 1 });
    const r = await key.renameFingerprint(PIN, '0001', 'thumb');
    expect([r.before.name, r.after.name]).toEqual([undefined, 'thumb']);
    const again = await key.renameFingerprint(PIN, Uint8Array.of(0, 1), 'ring');
    expect([again.before.name, again.after.name]).toEqual(['thumb', 'ring']);
    await expect(key.renameFingerprint(PIN, 'beef', 'x')).rejects.toMatchObject({ kind: 'usage', message: expect.stringContaining('No fingerprint with id beef') });
    await expect(key.renameFingerprint(PIN, 'xyz', 'x')).rejects.toMatchObject({ kind: 'usage' });
    expect(k.key.snapshot().fingerprints.map((f) => f.name)).toEqual(['ring']);
  });

  it('deletes only after confirm says yes, and reads back', async () => {
    const { k, key } = await sensorKey({ fingers: 2 });
    const asked: string[] = [];
    await expect(
      key.deleteFingerprint(PIN, '0002', {
        confirm: (t) => {
          asked.push(t.idHex);
          return false;
        },
      }),
    ).rejects.toMatchObject({ kind: 'cancelled' });
    expect(hexIds(k)).toEqual(['0001', '0002']);
    const r = await key.deleteFingerprint(PIN, '0002', { confirm: async (t) => (asked.push(t.idHex), true) });
    expect(asked).toEqual(['0002', '0002']);
    expect(r.deleted.idHex).toBe('0002');
    expect(r.after.map((t) => t.idHex)).toEqual(['0001']);
    expect(hexIds(k)).toEqual(['0001']);
  });

  it('reads the retries before the PIN, and a retries floor refuses before any PIN is sent', async () => {
    const { k, key } = await sensorKey({ fingers: 1 });
    k.clientPinSubCommands.length = 0;
    await key.renameFingerprint(PIN, '0001', 'a');
    // getPINRetries (0x01) before getPinUvAuthTokenUsingPinWithPermissions (0x09)
    expect(k.clientPinSubCommands.filter((c) => c === 0x01 || c === 0x09)).toEqual([0x01, 0x09]);
    const floored = await openKey(k.device, { minRetries: 8 });
    try {
      k.clientPinSubCommands.length = 0;
      await expect(floored.deleteFingerprint(PIN, '0001')).rejects.toMatchObject({ kind: 'pin-blocked', reason: 'retries-guard' });
      expect(k.clientPinSubCommands).toContain(0x01);
      expect(k.clientPinSubCommands).not.toContain(0x09);
      expect(hexIds(k)).toEqual(['0001']);
    } finally {
      await floored.close();
    }
  });

  it('a key without a sensor is unsupported, and nothing is asked of the PIN', async () => {
    const k = await startKey();
    const key = await openKey(k.device);
    opened.push({ k, key });
    await expect(key.listFingerprints(PIN)).rejects.toMatchObject({ kind: 'unsupported' });
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
  });
});
