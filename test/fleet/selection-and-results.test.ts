import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePinTable, pinFor, readPinTable, readableByOthers } from '../../src/fleet/pins-file.js';
import { fleetOutcome, type KeyResult, summaryLine } from '../../src/fleet/results.js';
import { isMany, resolveTargets, splitDeviceValues, type Target } from '../../src/fleet/selection.js';
import type { HidDeviceRecord } from '../../src/transports/node-hid/node-hid-transport.js';

const hid = (path: string, serialNumber?: string): HidDeviceRecord => ({ path, vendorId: 0x1050, productId: 0x407, serialNumber, release: 0, interface: 0 }) as HidDeviceRecord;
const lister = async () => [hid('/dev/hidraw3', 'A1'), hid('/dev/hidraw1', 'B2'), hid('/dev/hidraw9')];
// No PC/SC readers: the machine's own (a vpcd card, say) must not leak into the key list under test.
const noReaders = async () => [];

describe('key selection', () => {
  it('splits repeated and comma-separated --device values', () => {
    expect(splitDeviceValues(['1,2', ' sim ', 'tcp:h:1,'])).toEqual(['1', '2', 'sim', 'tcp:h:1']);
    expect(isMany(['1'])).toBe(false);
    expect(isMany(['all'])).toBe(true);
    expect(isMany(['1', '2'])).toBe(true);
  });

  const cases: Array<[string, string[], string[]]> = [
    ['all keys in path order', ['all'], ['/dev/hidraw1', '/dev/hidraw3', '/dev/hidraw9']],
    ['an index and its path are one key', ['1', '/dev/hidraw1'], ['/dev/hidraw1']],
    ['a serial and its index are one key', ['serial:A1', '2'], ['/dev/hidraw3']],
    ['all plus a named key: each once', ['3', 'all'], ['/dev/hidraw9', '/dev/hidraw1', '/dev/hidraw3']],
    ['tcp and sim mix with HID; tcp host case folded', ['tcp:LOCALHOST:5', 'sim', '1', 'tcp:localhost:5', 'SIM'], ['tcp:localhost:5', 'sim', '/dev/hidraw1']],
  ];
  it.each(cases)('%s', async (_n, values, selectors) => {
    const targets = await resolveTargets(values, { lister, listPcsc: noReaders });
    expect(targets.map((t) => t.selector)).toEqual(selectors);
    expect(targets.map((t) => t.number)).toEqual(selectors.map((_s, i) => i + 1));
  });

  it('refuses an empty selection and an unknown key', async () => {
    await expect(resolveTargets([], { lister, listPcsc: noReaders })).rejects.toMatchObject({ kind: 'usage' });
    await expect(resolveTargets(['7'], { lister, listPcsc: noReaders })).rejects.toMatchObject({ kind: 'no-device' });
    await expect(resolveTargets(['all'], { lister: async () => [], listPcsc: noReaders })).rejects.toMatchObject({ kind: 'no-device' });
  });
});

describe('--pins file', () => {
  const t = (selector: string, serial?: string): Target => ({ selector, label: selector, number: 1, ...(serial ? { serial, path: selector } : {}) });
  it('maps selectors and serials to PINs; the PIN may hold commas', () => {
    const table = parsePinTable('selector,pin\n# comment\nserial:A1,1234,5\nTCP:Host:7,99999999\n/dev/hidraw9,4444\n');
    expect(pinFor(table, t('/dev/hidraw3', 'A1'))).toBe('1234,5');
    expect(pinFor(table, t('tcp:host:7'))).toBe('99999999');
    expect(pinFor(table, t('/dev/hidraw9'))).toBe('4444');
    expect(pinFor(table, t('sim'))).toBeUndefined();
  });
  it.each([
    ['no comma', 'sim'],
    ['empty PIN', 'sim,'],
    ['twice', 'sim,1234\nSIM,5678'],
  ])('refuses a line with %s, without echoing a PIN', (_n, text) => {
    let message = '';
    try {
      parsePinTable(text);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/line \d|twice/i);
    expect(message).not.toMatch(/1234|5678/);
  });
  it.each([
    ['a space after the comma', 'selector,pin\nsim, 12345678\n', /Line 2 .* has a space after the comma/],
    ['a tab after the comma', 'sim,\t12345678', /Line 1 .* has a space after the comma/],
    ['a trailing space', 'sim,12345678 \n', /Line 1 .* ends with a space after the PIN/],
    ['a tab inside the PIN', '# keys\nsim,1234\t5678\n', /Line 2 .* control character \(a tab, U\+0009\)/],
    ['a PIN no key accepts (under 4 characters)', 'sim,123\n', /Line 1 .* shorter than 4 characters/],
    ['a PIN no key accepts (over 63 bytes)', `sim,${'9'.repeat(64)}\n`, /Line 1 .* longer than 63 bytes/],
    ['a serial: without its serial', 'selector,pin\nserial:,12345678\n', /Line 2 of pins.csv: .*the serial is missing/],
    ['a selector that names no key', 'all,12345678\n', /Line 1 of pins.csv: .*not a device number/],
    ['touch, which names no key in a file', 'touch,12345678\n', /Line 1 of pins.csv: "touch" does not name one key/],
  ])('refuses %s before any key is touched (a PIN that would fail on every key), naming the line only', (_n, text, message) => {
    let error: unknown;
    try {
      parsePinTable(text, 'pins.csv');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ kind: 'usage' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toMatch(/1234|5678/);
  });
  it('keeps a CRLF file working: the CR is not part of the PIN', () => {
    expect(pinFor(parsePinTable('selector,pin\r\nsim,12345678\r\n'), t('sim'))).toBe('12345678');
  });
  it('warns when group or others can read the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pins-'));
    const file = join(dir, 'pins.csv');
    writeFileSync(file, 'sim,1234\n');
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    await readPinTable(file, (l) => warnings.push(l));
    expect(warnings.join()).toContain('chmod 600');
    chmodSync(file, 0o600);
    warnings.length = 0;
    await readPinTable(file, (l) => warnings.push(l));
    expect(warnings).toEqual([]);
    expect([readableByOthers(0o600), readableByOthers(0o640), readableByOthers(0o604)]).toEqual([false, true, true]);
  });
});

describe('fleet outcome', () => {
  const r = (ok: boolean, kind?: 'pin-invalid' | 'transport', n = 1): KeyResult<unknown> => ({ target: { selector: `k${n}`, label: `k${n}`, number: n }, ok, ...(kind ? { error: { kind, message: kind } } : {}) });
  it.each<[string, KeyResult<unknown>[], string]>([
    ['all ok', [r(true), r(true, undefined, 2)], 'ok'],
    ['some failed', [r(true), r(false, 'transport', 2)], 'partial'],
    ['all failed the same way', [r(false, 'pin-invalid'), r(false, 'pin-invalid', 2)], 'pin-invalid'],
    ['all failed in different ways', [r(false, 'pin-invalid'), r(false, 'transport', 2)], 'partial'],
  ])('%s', (_n, results, outcome) => {
    expect(fleetOutcome(results)).toBe(outcome);
  });
  it('summarises done and failed keys', () => {
    expect(summaryLine([r(true), r(false, 'transport', 2)])).toBe('1 key done, 1 failed: key 2 (transport).');
  });
});
