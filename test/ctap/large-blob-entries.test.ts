import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeCbor, encodeCbor } from '../../src/ctap/cbor.js';
import {
  decryptLargeBlob,
  findLargeBlobOwner,
  inflateLargeBlob,
  INITIAL_SERIALIZED_LARGE_BLOB_ARRAY,
  largeBlobAssociatedData,
  largeBlobEntryToCbor,
  LargeBlobError,
  openLargeBlob,
  parseLargeBlobEntry,
  parseSerializedLargeBlobArray,
  sealLargeBlob,
  serializeLargeBlobArray,
} from '../../src/ctap/large-blob-entries.js';
import { bstr, hex, mapHead, uint, unhex } from './helpers.js';

const SCRIPT = fileURLToPath(new URL('../python/large_blobs.py', import.meta.url));
const python = async (...args: string[]): Promise<string> => (await promisify(execFile)('/usr/bin/python3', [SCRIPT, ...args])).stdout.trim();

const KEY = unhex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const OTHER_KEY = new Uint8Array(32).fill(0x42);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Written by python-fido2 0.9.1's _lb_pack(KEY, "fido2-manage large blob known answer"): zlib-wrapped (RFC 1950). */
const PYTHON_ENTRY =
  'a301583a25d9b1734595c2350e0b61fce0ea47e628a9a19336ac2015ee9500511e02276db277058f360947fcc75bba5fb3dcc697eee5abcdcc0f7f689da9024c754d77a66b1ce442b36ba4ad031824';

describe('large-blob entries (CTAP 2.1 §6.10.4)', () => {
  it('associated data is "blob" || uint64LE(origSize)', () => {
    expect(hex(largeBlobAssociatedData(0x24))).toBe('626c6f622400000000000000');
    expect(hex(largeBlobAssociatedData(0x0102030405))).toBe('626c6f620504030201000000');
  });

  it('opens an entry python-fido2 wrote with its zlib wrapper', () => {
    const entry = parseLargeBlobEntry(decodeCbor(unhex(PYTHON_ENTRY)));
    expect(entry).toBeDefined();
    expect(entry!.origSize).toBe(36);
    expect(text(openLargeBlob(KEY, entry!)!)).toBe('fido2-manage large blob known answer');
    expect(openLargeBlob(OTHER_KEY, entry!)).toBeUndefined();
  });

  it('seals with raw DEFLATE under AES-256-GCM: a known answer computed here with node:crypto directly', () => {
    const data = utf8('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    const nonce = unhex('0c0b0a090807060504030201');
    const entry = sealLargeBlob(KEY, data, nonce);
    expect(entry.origSize).toBe(40);
    expect(hex(entry.nonce)).toBe('0c0b0a090807060504030201');
    // Raw DEFLATE has no 0x78 header: decrypting by hand shows the compressed stream itself.
    const compressed = decryptLargeBlob(KEY, entry)!;
    expect(compressed[0]).not.toBe(0x78);
    const cipher = createCipheriv('aes-256-gcm', KEY, nonce);
    cipher.setAAD(Buffer.concat([Buffer.from('blob'), Buffer.from([40, 0, 0, 0, 0, 0, 0, 0])]));
    const expected = Buffer.concat([cipher.update(compressed), cipher.final(), cipher.getAuthTag()]);
    expect(hex(entry.ciphertext)).toBe(expected.toString('hex'));
    expect(text(openLargeBlob(KEY, entry)!)).toBe(text(data));
  });

  it('an entry we wrote is opened by python-fido2 (_lb_unpack, then raw inflate)', async () => {
    const data = utf8('certificate bytes '.repeat(20));
    const entry = sealLargeBlob(KEY, data);
    const out = JSON.parse(await python('unpack', hex(KEY), hex(encodeCbor(largeBlobEntryToCbor(entry)))));
    expect(out).toEqual({ data: hex(data), origSize: data.length });
  });

  it('an entry python-fido2 packs now is opened here', async () => {
    const data = utf8('ssh-ed25519-cert-v01@openssh.com AAAA');
    const entry = parseLargeBlobEntry(decodeCbor(unhex(await python('pack', hex(KEY), hex(data)))));
    expect(text(openLargeBlob(KEY, entry!)!)).toBe(text(data));
  });

  it('inflates raw and zlib-wrapped data and refuses the wrong size or garbage', () => {
    const data = utf8('x'.repeat(300));
    expect(text(inflateLargeBlob(deflateSync(data), 300))).toBe('x'.repeat(300));
    expect(() => inflateLargeBlob(deflateSync(data), 299)).toThrow(LargeBlobError);
    expect(() => inflateLargeBlob(deflateSync(data), 301)).toThrow(/does not inflate to its 301 bytes/);
    expect(() => inflateLargeBlob(unhex('ffffffff'), 4)).toThrow(LargeBlobError);
    expect(() => inflateLargeBlob(unhex('00'), 2 ** 40)).toThrow(/more than any key holds/);
  });

  it('refuses a largeBlobKey that is not 32 bytes', () => {
    expect(() => sealLargeBlob(new Uint8Array(16), utf8('x'))).toThrow(LargeBlobError);
  });

  it.each([
    ['not a map', '8101'],
    ['ciphertext shorter than a tag', mapHead(3) + '01' + bstr('00'.repeat(15)) + '02' + bstr('00'.repeat(12)) + '03' + uint(0)],
    ['nonce of 11 bytes', mapHead(3) + '01' + bstr('00'.repeat(16)) + '02' + bstr('00'.repeat(11)) + '03' + uint(0)],
    ['origSize missing', mapHead(2) + '01' + bstr('00'.repeat(16)) + '02' + bstr('00'.repeat(12))],
    ['origSize a text string', mapHead(3) + '01' + bstr('00'.repeat(16)) + '02' + bstr('00'.repeat(12)) + '03' + '6131'],
  ])('an element with %s is not a large-blob map', (_why, cbor) => {
    expect(parseLargeBlobEntry(decodeCbor(unhex(cbor)))).toBeUndefined();
  });

  it('finds the credential whose key opens an entry', () => {
    const entry = sealLargeBlob(KEY, utf8('mine'));
    expect(findLargeBlobOwner(entry, [OTHER_KEY, new Uint8Array(5), KEY])).toBe(2);
    expect(findLargeBlobOwner(entry, [OTHER_KEY])).toBe(-1);
  });
});

describe('the serialized large-blob array (CTAP 2.1 §6.10.1)', () => {
  it('the initial array is 0x80 and the first 16 bytes of its SHA-256', () => {
    const digest = createHash('sha256').update(Uint8Array.of(0x80)).digest().subarray(0, 16).toString('hex');
    expect(hex(INITIAL_SERIALIZED_LARGE_BLOB_ARRAY)).toBe(`80${digest}`);
    expect(hex(serializeLargeBlobArray([]))).toBe(`80${digest}`);
    expect(parseSerializedLargeBlobArray(INITIAL_SERIALIZED_LARGE_BLOB_ARRAY)).toMatchObject({ items: [] });
    expect(parseSerializedLargeBlobArray(INITIAL_SERIALIZED_LARGE_BLOB_ARRAY).damage).toBeUndefined();
  });

  it('keeps elements it does not understand, in order, next to entries', () => {
    const entry = sealLargeBlob(KEY, utf8('one'));
    const serialized = serializeLargeBlobArray([largeBlobEntryToCbor(entry), 'someone else', new Map([[7, 1]])]);
    const array = parseSerializedLargeBlobArray(serialized);
    expect(array.items).toHaveLength(3);
    expect(array.items[0]!.entry).toEqual(entry);
    expect(array.items[1]).toEqual({ raw: 'someone else' });
    expect(array.items[2]!.entry).toBeUndefined();
    expect(hex(serializeLargeBlobArray(array.items.map((i) => i.raw)))).toBe(hex(serialized));
  });

  it.each([
    ['too-short', '80' + '00'.repeat(15)],
    ['hash-mismatch', '80' + '76be8b528d0075f7aae98d6fa57a6d3d'],
    // 0x10 with its own correct hash: intact bytes, but not an array.
    ['not-an-array', '10' + createHash('sha256').update(Uint8Array.of(0x10)).digest().subarray(0, 16).toString('hex')],
  ])('bytes that fail the check (%s) read as the empty array', (damage, bytes) => {
    expect(parseSerializedLargeBlobArray(unhex(bytes))).toMatchObject({ items: [], damage });
  });

  it('python-fido2 reads an array we serialized, element for element', async () => {
    const entries = [sealLargeBlob(KEY, utf8('a')), sealLargeBlob(OTHER_KEY, utf8('b'.repeat(2000)))].map(largeBlobEntryToCbor);
    const serialized = serializeLargeBlobArray(entries);
    const out = JSON.parse(await python('read', hex(serialized), '1024')) as { items: string[] };
    expect(out.items).toEqual(entries.map((e) => hex(encodeCbor(e))));
  });

  it('reads the array python-fido2 put_blob wrote, and python-fido2 replaces our entry for the same key', async () => {
    const ours = largeBlobEntryToCbor(sealLargeBlob(KEY, utf8('old')));
    const theirs = largeBlobEntryToCbor(sealLargeBlob(OTHER_KEY, utf8('keep me')));
    const before = serializeLargeBlobArray([ours, theirs]);
    const out = JSON.parse(await python('put', hex(KEY), hex(utf8('new from python')), '1024', hex(before))) as { serialized: string };
    const array = parseSerializedLargeBlobArray(unhex(out.serialized));
    expect(array.damage).toBeUndefined();
    expect(array.items.map((i) => (i.entry ? [openLargeBlob(KEY, i.entry), openLargeBlob(OTHER_KEY, i.entry)] : []).map((d) => d && text(d)))).toEqual([
      [undefined, 'keep me'],
      ['new from python', undefined],
    ]);
  });
});
