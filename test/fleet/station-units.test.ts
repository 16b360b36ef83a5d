import { describe, expect, it } from 'vitest';
import { canonicalJson, parseJournal, policyDigest, type JournalEntry } from '../../src/fleet/journal.js';
import { generatedLength, generatePin, parseAlphabet, splitCsv } from '../../src/fleet/handoff.js';
import { mergeJournals, reportCsv } from '../../src/fleet/journal-report.js';
import { validatePolicy } from '../../src/fleet/policy.js';
import { parsePinTable, pinFor } from '../../src/fleet/pins-file.js';
import { keyStateFromInfo, planPolicy } from '../../src/operations/settings-plan.js';
import { modelName } from '../../src/devices/aaguid-models.js';
import { journalKey } from '../../src/fleet/provision.js';
import type { AuthenticatorInfo } from '../../src/ctap/get-info.js';

const entry = (id: string, time: string, outcome: JournalEntry['outcome'], station = 'a'): JournalEntry => ({
  time, station, key: { id, device: id, transport: 'tcp' }, policyDigest: 'sha256:x', steps: [], outcome,
});

describe('policy digest', () => {
  it('is the same for the same policy spelled in another key order, and differs for another policy', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: true } })).toBe('{"a":{"c":true,"d":[1,{"y":2,"z":1}]},"b":1}');
    expect(policyDigest({ pin: true, alwaysUv: true })).toBe(policyDigest({ alwaysUv: true, pin: true }));
    expect(policyDigest({ pin: true, alwaysUv: true })).not.toBe(policyDigest({ pin: true, alwaysUv: false }));
    expect(policyDigest({})).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('journal lines', () => {
  it('keeps whole lines and counts a torn last line instead of failing', () => {
    const whole = `${JSON.stringify(entry('k1', '2026-01-01T00:00:00Z', 'changed'))}\n`;
    const torn = JSON.stringify(entry('k2', '2026-01-01T00:00:01Z', 'changed')).slice(0, 40);
    expect(parseJournal(whole + torn)).toEqual({ entries: [entry('k1', '2026-01-01T00:00:00Z', 'changed')], skipped: 1 });
    expect(parseJournal(`${whole}not json\n\n`).skipped).toBe(1);
    expect(parseJournal('').entries).toEqual([]);
  });

  it('merges journals of several stations: per key the last outcome by time, and where', () => {
    const rows = mergeJournals([
      entry('k1', '2026-01-01T00:00:05Z', 'failed', 'desk-1'),
      entry('k2', '2026-01-01T00:00:01Z', 'changed', 'desk-1'),
      entry('k1', '2026-01-01T00:00:09Z', 'changed', 'desk-2'),
      entry('k1', '2026-01-01T00:00:02Z', 'changed', 'desk-1'),
    ]);
    expect(rows.map((r) => [r.key, r.outcome, r.station, r.entries])).toEqual([
      ['k2', 'changed', 'desk-1', 1],
      ['k1', 'changed', 'desk-2', 3],
    ]);
    expect(reportCsv(rows)[0]).toBe('key,serial,model,aaguid,outcome,error,time,station,policyDigest,entries');
  });
});

describe('generated PINs', () => {
  const info = (minPINLength?: number, maxPINLength?: number): Pick<AuthenticatorInfo, 'minPINLength' | 'maxPINLength'> => ({
    ...(minPINLength === undefined ? {} : { minPINLength }),
    ...(maxPINLength === undefined ? {} : { maxPINLength }),
  });
  it.each([
    { name: 'no rules: 8 digits', min: undefined, max: undefined, policy: 0, length: 8 },
    { name: "the key's minimum above 8", min: 12, max: undefined, policy: 0, length: 12 },
    { name: "the policy's minimum above the key's", min: 6, max: undefined, policy: 10, length: 10 },
    { name: "the key's maxPINLength below 8", min: 4, max: 6, policy: 0, length: 6 },
    { name: 'a minimum of 63', min: 63, max: undefined, policy: 0, length: 63 },
  ])('length: $name', ({ min, max, policy, length }) => {
    expect(generatedLength(info(min, max), policy, parseAlphabet('0123456789'))).toBe(length);
  });

  it('refuses a key whose minimum is above its maximum, and caps multi-byte alphabets at 63 bytes', () => {
    expect(() => generatedLength(info(10, 8), 0, ['0', '1'])).toThrow(/at least 10 .* at most 8/);
    expect(generatedLength(info(4), 0, ['é', 'ü'])).toBe(8);
    expect(() => generatedLength(info(40), 0, ['é', 'ü'])).toThrow(/at most 31/);
  });

  it('makes PINs of the alphabet only, of the length asked, not all alike', () => {
    const pins = Array.from({ length: 50 }, () => generatePin(10, parseAlphabet('ab')));
    for (const p of pins) expect(p).toMatch(/^[ab]{10}$/);
    expect(new Set(pins).size).toBeGreaterThan(1);
  });

  it.each(['', 'a', 'aaaa', 'ab ', 'a,b', 'a"b', 'a\u0007b'])('refuses the alphabet %j', (a) => {
    expect(() => parseAlphabet(a)).toThrow(/--pin-alphabet/);
  });

  it('a hand-off file serves as a --pins file: the identity names the key, the last cell is its PIN', () => {
    const table = parsePinTable('identity,serial,model,pin\nserial:A1,A1,"Key, Model X",12345678\ntcp:127.0.0.1:7,,,87654321\nhid:/dev/hidraw4,,,11223344\n');
    expect(pinFor(table, { selector: '/dev/hidraw3', label: '/dev/hidraw3', number: 1, serial: 'A1' })).toBe('12345678');
    expect(pinFor(table, { selector: 'tcp:127.0.0.1:7', label: 'tcp:127.0.0.1:7', number: 2 })).toBe('87654321');
    expect(pinFor(table, { selector: '/dev/hidraw4', label: '/dev/hidraw4', number: 3, id: 'hid:/dev/hidraw4' })).toBe('11223344');
    expect(() => parsePinTable('identity,serial,model,pin\nserial:A1,A1\n')).toThrow(/Line 2/);
  });

  it('reads quoted CSV cells back', () => {
    expect(splitCsv('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });
});

describe('allowedAaguids', () => {
  const A = 'f1d0f1d0-5a11-4e21-9a0b-000000000021';
  it('is validated as a list of AAGUIDs', () => {
    expect(validatePolicy({ allowedAaguids: [A.toUpperCase()] }).allowedAaguids).toEqual([A]);
    for (const bad of [[], ['not-a-uuid'], 'x', [1]]) expect(() => validatePolicy({ allowedAaguids: bad })).toThrow(/allowedAaguids/);
  });

  it('refuses a key whose AAGUID is not on the list, before planning any step', () => {
    const info = { versions: ['FIDO_2_1'], aaguid: A, options: {}, extensions: [], pinUvAuthProtocols: [2] } as unknown as AuthenticatorInfo;
    const state = keyStateFromInfo(info);
    expect(planPolicy({ pin: true, allowedAaguids: ['00000000-0000-0000-0000-000000000000'] }, state)).toMatchObject({ ok: false, kind: 'wrong-key', reason: 'aaguid-not-allowed' });
    expect(planPolicy({ allowedAaguids: [A] }, state)).toMatchObject({ ok: true, steps: [] });
  });
});

describe('model names', () => {
  it('names models from the AAGUID table and the virtual keys, and nothing for an unknown AAGUID', () => {
    expect(modelName('F1D0F1D0-5A11-4E21-9A0B-000000000021')).toBe('fido2-manage virtual key (fido-2.1)');
    expect(modelName('cb69481e-8ff7-4039-93ec-0a2729a154a8')).toMatch(/YubiKey/);
    expect(modelName('00000000-0000-0000-0000-000000000001')).toBeUndefined();
  });
});

describe('journalKey', () => {
  it('names the key: identity, transport, model (the table first, else the MDS description) and the MDS certification', () => {
    const t = { selector: '/dev/hidraw3', label: '/dev/hidraw3', number: 1, serial: 'S1', id: 'serial:S1' };
    const unknown = '00000000-0000-0000-0000-0000000000aa';
    const mds = { entries: new Map([[unknown, { aaguid: unknown, description: 'From MDS', status: 'FIDO_CERTIFIED_L1' }]]) };
    expect(journalKey(t, { aaguid: unknown.toUpperCase(), firmwareVersion: 7 }, mds)).toEqual({
      id: 'serial:S1', device: '/dev/hidraw3', transport: 'hid', serial: 'S1', aaguid: unknown.toUpperCase(), model: 'From MDS', firmwareVersion: 7, certification: 'FIDO_CERTIFIED_L1',
    });
    expect(journalKey({ selector: 'tcp:127.0.0.1:9', label: 'tcp:127.0.0.1:9', number: 2 })).toEqual({ id: 'tcp:127.0.0.1:9', device: 'tcp:127.0.0.1:9', transport: 'tcp' });
  });
});
