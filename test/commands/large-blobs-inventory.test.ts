import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inventoryLines, inventoryToJson, orphanedRows, rowsOf, takeInventory } from '../../src/commands/large-blobs/inventory.js';
import { keepAllBut } from '../../src/commands/large-blobs/support.js';
import type { Located } from '../../src/commands/credentials/credentials-support.js';
import { runCli } from './harness.js';
import { explain } from '../../src/operations/explain.js';
import { exitCodeFor } from '../../src/exit-codes.js';
import { CtapError } from '../../src/ctap/errors.js';
import type { Fido2Error } from '../../src/errors.js';
import { largeBlobEntryToCbor, parseSerializedLargeBlobArray, sealLargeBlob, serializeLargeBlobArray } from '../../src/ctap/large-blob-entries.js';
import type { CborValue } from '../../src/ctap/cbor.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const key = (n: number): Uint8Array => new Uint8Array(32).fill(n);

function passkey(id: string, name: string, rp: string, largeBlobKey?: Uint8Array): Located {
  return {
    rp: { id: rp, rpIdHash: new Uint8Array(32) },
    credential: {
      user: { id: utf8(name), name },
      credentialId: new Uint8Array(Buffer.from(id, 'base64url')),
      publicKey: { cose: new Map(), algorithm: -7, algorithmName: 'ES256' },
      ...(largeBlobKey === undefined ? {} : { largeBlobKey }),
    },
  };
}

const alice = passkey('AAAAAAAAAAAA', 'alice', 'a.example', key(1));
const bob = passkey('AAAAAAAABBBB', 'bob', 'b.example', key(2));
const carol = passkey('CCCCCCCCCCCC', 'carol', 'c.example');

/** An array: alice's entry, an entry of a deleted passkey (key 9), an element of another format, bob's entry. */
function array(): ReturnType<typeof parseSerializedLargeBlobArray> {
  const items: CborValue[] = [
    largeBlobEntryToCbor(sealLargeBlob(key(1), utf8('alice data'))),
    largeBlobEntryToCbor(sealLargeBlob(key(9), utf8('gone'))),
    'not an entry',
    largeBlobEntryToCbor(sealLargeBlob(key(2), utf8('bob'))),
  ];
  return parseSerializedLargeBlobArray(serializeLargeBlobArray(items));
}

describe('takeInventory: whose is each entry', () => {
  it('names owners by the key that opens the entry; no opener means orphaned', () => {
    const inv = takeInventory(array(), [alice, bob, carol], 4096);
    expect(inv.rows.map((r) => [r.index, r.status, r.owner?.credential.user.name])).toEqual([
      [0, 'owned', 'alice'],
      [1, 'orphaned', undefined],
      [2, 'other', undefined],
      [3, 'owned', 'bob'],
    ]);
    expect(orphanedRows(inv).map((r) => r.index)).toEqual([1]);
    expect(rowsOf(inv, bob.credential.credentialId).map((r) => r.index)).toEqual([3]);
    expect(rowsOf(inv, carol.credential.credentialId)).toEqual([]);
  });

  it('with the owner of an entry gone, that entry becomes orphaned', () => {
    const inv = takeInventory(array(), [bob], 4096);
    expect(inv.rows.map((r) => r.status)).toEqual(['orphaned', 'orphaned', 'other', 'owned']);
  });

  it('keeps every element but the dropped ones, in order and as read', () => {
    const a = array();
    const inv = takeInventory(a, [alice, bob], 4096);
    expect(keepAllBut(inv, new Set([1]))).toEqual([a.items[0]!.raw, a.items[2]!.raw, a.items[3]!.raw]);
  });

  it('JSON: sizes for every element, data size and passkey only for owned ones', () => {
    const a = array();
    const json = inventoryToJson(takeInventory(a, [alice, bob], 4096)) as { usedBytes: number; maxSerializedLargeBlobArray: number; entries: Record<string, unknown>[] };
    expect(json.usedBytes).toBe(a.serialized.length);
    expect(json.maxSerializedLargeBlobArray).toBe(4096);
    expect(json.entries[0]).toMatchObject({ index: 0, status: 'owned', dataBytes: 10, credential: { credentialId: 'AAAAAAAAAAAA', rp: 'a.example', user: { name: 'alice' } } });
    expect(json.entries[1]).toEqual({ index: 1, status: 'orphaned', storedBytes: expect.any(Number) });
    expect(json.entries[2]).toEqual({ index: 2, status: 'other', storedBytes: 13 });
  });

  it('text: one line per element, ids shortened as `credentials list` does', () => {
    const lines = inventoryLines(takeInventory(array(), [alice, bob], 4096), [alice, bob]);
    expect(lines[0]).toMatch(/^4 large blobs stored, \d+ of 4096 bytes used\.$/);
    expect(lines[2]).toMatch(/^1\. +10 bytes for alice at a\.example, passkey AAAAAAAAA \(\d+ stored\)$/);
    expect(lines[3]).toMatch(/^2\. +orphaned: /);
    expect(lines[5]).toMatch(/^4\. +3 bytes for bob at b\.example, passkey AAAAAAAAB /);
    expect(lines.at(-1)).toBe('1 orphaned entry: its passkey is gone.');
  });

  it('an element CTAP never writes (a float) is reported, not rewritten', () => {
    const array = Buffer.from('81f93e00', 'hex');
    const serialized = Buffer.concat([array, createHash('sha256').update(array).digest().subarray(0, 16)]);
    expect(() => takeInventory(parseSerializedLargeBlobArray(new Uint8Array(serialized)), [], 1024)).toThrow(expect.objectContaining({ kind: 'key-error', reason: 'large-blob-element' }));
  });

  it('an empty array and a damaged one', () => {
    const empty = takeInventory(parseSerializedLargeBlobArray(serializeLargeBlobArray([])), [alice], 1024);
    expect(inventoryLines(empty, [alice])).toEqual(['No large blobs stored (17 of 1024 bytes used).']);
    const damaged = takeInventory(parseSerializedLargeBlobArray(new Uint8Array(20)), [alice], 1024);
    expect(inventoryToJson(damaged)).toMatchObject({ damage: 'hash-mismatch', entries: [] });
  });
});

describe('the command line of large-blobs', () => {
  it('a credential id that starts with a dash stays the value of --credential (not a Token2 word)', async () => {
    const r = await runCli(['large-blobs', 'get', '--credential', '-AbCdEf', '--device', 'sim', '--json']);
    expect(r.stderr).not.toMatch(/Unknown option/);
    expect(r.code).not.toBe(2);
  });

  it('without --credential: exit 2 naming the option, before the key is opened', async () => {
    const r = await runCli(['large-blobs', 'get', '--device', 'tcp:127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--credential ID/);
  });
});

describe('the key refusing a large-blob write, in words', () => {
  it.each([
    [0x18, 'storage-full', 20, 'large-blob-storage-full'],
    [0x3d, 'key-error', 12, 'large-blob-integrity'],
  ])('status 0x%s', (status, kind, code, reason) => {
    const e = explain(new CtapError(status)) as Fido2Error;
    expect(e).toMatchObject({ kind, reason });
    expect(exitCodeFor(e.kind)).toBe(code);
    expect(e.message.split('\n')).toHaveLength(1);
  });
});
