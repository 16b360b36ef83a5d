import { describe, expect, it } from 'vitest';
import { lockIdFor } from '../../src/fleet/key-lock.js';
import { dedupeByKeyId, resolveTargets } from '../../src/fleet/selection.js';
import { type KeyFacts, keyIdentity, preferredAddress, resolveTcpAddress } from '../../src/devices/key-identity.js';
import { record } from '../helpers/hid-records.js';

describe('keyIdentity: what counts as the same key', () => {
  it.each<[string, KeyFacts, string]>([
    ['tcp IPv4', { kind: 'tcp', address: '127.0.0.1', port: 8080 }, 'tcp:127.0.0.1:8080'],
    ['tcp IPv6 is bracketed', { kind: 'tcp', address: '::1', port: 8080 }, 'tcp:[::1]:8080'],
    ['HID with a serial: the serial, whatever the path', { kind: 'hid', path: '/dev/hidraw3', serial: 'ABC' }, 'serial:ABC'],
    ['HID without a serial: the path', { kind: 'hid', path: '/dev/hidraw3' }, 'hid:/dev/hidraw3'],
    ['virtual key with a state file', { kind: 'sim', stateFile: '/tmp/k.json' }, 'sim:/tmp/k.json'],
    ['in-process virtual key', { kind: 'sim' }, `sim:pid-${process.pid}`],
    ['a CTAP 2.3 identity wins over the serial', { kind: 'hid', path: '/dev/hidraw3', serial: 'ABC', keyId: '0123456789abcdef' }, 'key:0123456789abcdef'],
    ['a CTAP 2.3 identity wins over the address', { kind: 'tcp', address: '127.0.0.1', port: 8080, keyId: '0123456789abcdef' }, 'key:0123456789abcdef'],
  ])('%s', (_name, facts, id) => {
    expect(keyIdentity(facts)).toBe(id);
  });

  it.each([
    ['IPv4 first', [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }], '127.0.0.1'],
    ['else the first', [{ address: '::1', family: 6 }, { address: 'fe80::1', family: 6 }], '::1'],
    ['nothing', [], undefined],
  ] as const)('preferredAddress: %s', (_name, addresses, expected) => {
    expect(preferredAddress(addresses)).toBe(expected);
  });

  const lookup = async (host: string) => {
    if (host === 'localhost') return [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }];
    if (host === 'key.example') return [{ address: '10.0.0.7', family: 4 }];
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };

  it.each([
    ['localhost', '127.0.0.1'],
    ['KEY.example', '10.0.0.7'],
    ['127.0.0.1', '127.0.0.1'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['No-Such.Host', 'no-such.host'],
  ])('resolveTcpAddress(%s) is %s', async (host, address) => {
    expect(await resolveTcpAddress(host, async (h) => lookup(h.toLowerCase()))).toBe(address);
  });

  it('the lock takes the same identity for a resolved tcp: label and for HID facts', () => {
    expect(lockIdFor({ label: 'tcp:127.0.0.1:9' })).toBe(keyIdentity({ kind: 'tcp', address: '127.0.0.1', port: 9 }));
    expect(lockIdFor({ label: 'tcp:[::1]:9' })).toBe(keyIdentity({ kind: 'tcp', address: '::1', port: 9 }));
    expect(lockIdFor({ label: '/dev/hidraw1', path: '/dev/hidraw1', serial: 'S' })).toBe(keyIdentity({ kind: 'hid', path: '/dev/hidraw2', serial: 'S' }));
  });
});

describe('fleet de-duplication by key identity', () => {
  it('tcp:127.0.0.1:P and tcp:localhost:P are one key: one target, under the first spelling', async () => {
    const targets = await resolveTargets(['tcp:127.0.0.1:4000', 'tcp:localhost:4000', 'tcp:LOCALHOST:4000', 'tcp:localhost:4001']);
    expect(targets.map((t) => t.label)).toEqual(['tcp:127.0.0.1:4000', 'tcp:localhost:4001']);
    expect(targets[0]!.id).toBe(lockIdFor({ label: 'tcp:127.0.0.1:4000' }));
  });

  it('a HID key named by index, path and serial is one target', async () => {
    const lister = async () => [record('/dev/hidraw0', 'S1'), record('/dev/hidraw1', undefined)];
    const targets = await resolveTargets(['1', '/dev/hidraw0', 'serial:S1', '2', '/dev/hidraw1'], { lister, listPcsc: async () => [] });
    expect(targets.map((t) => t.id)).toEqual(['serial:S1', 'hid:/dev/hidraw1']);
  });
});

describe('dedupeByKeyId: targets that are one key once opened', () => {
  it.each<[string, (string | undefined)[], number[], [number, number][]]>([
    ['distinct ids', ['a', 'b'], [0, 1], []],
    ['the same key twice: the first is kept', ['a', 'b', 'a'], [0, 1], [[2, 0]]],
    ['keys without an id are all kept', [undefined, undefined, 'a'], [0, 1, 2], []],
  ])('%s', (_name, ids, kept, dups) => {
    const targets = ids.map((_, i) => i);
    const r = dedupeByKeyId(targets, (t) => ids[t]);
    expect(r.kept).toEqual(kept);
    expect(r.duplicates.map((d) => [d.target, d.sameAs])).toEqual(dups);
  });
});
