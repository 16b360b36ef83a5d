import { describe, expect, it } from 'vitest';
import { listingLines } from '../../src/commands/credentials/format.js';
import { checkIdArgument, resolveCredential, uniquePrefixes, type Located } from '../../src/commands/credentials/credentials-support.js';

const located = (...ids: string[]): Located[] =>
  ids.map((id) => ({
    rp: { id: 'x.example', rpIdHash: new Uint8Array(32) },
    credential: { user: { id: new Uint8Array(1) }, credentialId: new Uint8Array(Buffer.from(id, 'base64url')), publicKey: { cose: new Map(), algorithm: -7, algorithmName: 'ES256' } },
  }));
const idOf = (l: Located): string => Buffer.from(l.credential.credentialId).toString('base64url');

describe('resolveCredential', () => {
  const all = located('AAAAAAAAAAAA', 'AAAAAAAABBBB', 'BBBBBBBBBBBB', 'AAAAAAAABBBBCCCC');
  it.each([
    ['BB', 'BBBBBBBBBBBB'],
    ['AAAAAAAAAAAA', 'AAAAAAAAAAAA'],
    ['AAAAAAAAA', 'AAAAAAAAAAAA'],
    // An exact id wins although it is also the start of a longer one.
    ['AAAAAAAABBBB', 'AAAAAAAABBBB'],
    ['AAAAAAAABBBBC', 'AAAAAAAABBBBCCCC'],
  ])('%s names %s', (arg, want) => {
    expect(idOf(resolveCredential(all, arg))).toBe(want);
  });
  it.each([
    ['A', 'credential-ambiguous'],
    ['AAAAAAAAB', 'credential-ambiguous'],
    ['C', 'credential-unknown'],
    ['BBBBBBBBBBBBB', 'credential-unknown'],
  ])('%s is refused (%s)', (arg, reason) => {
    expect(() => resolveCredential(all, arg)).toThrow(expect.objectContaining({ kind: 'usage', reason }));
  });
});

describe('checkIdArgument', () => {
  it.each([['abc_-9', 'abc_-9'], ['abcd==', 'abcd'], [' ab ', 'ab'], ['a+b/c==', 'a-b_c']])('accepts %j', (arg, want) => expect(checkIdArgument(arg)).toBe(want));
  it.each(['', 'a*b', 'a.b', 'é'])('refuses %j', (arg) => expect(() => checkIdArgument(arg)).toThrow(expect.objectContaining({ reason: 'credential-id-syntax' })));
});

describe('uniquePrefixes', () => {
  it.each([
    [['AAAAAAAAAAAA', 'BBBBBBBBBBBB'], ['AAAAAAAA', 'BBBBBBBB']],
    [['AAAAAAAAXAAA', 'AAAAAAAAYAAA'], ['AAAAAAAAX', 'AAAAAAAAY']],
    [['AAAAAAAAAAAA', 'AAAAAAAAAAAAB'], ['AAAAAAAAAAAA', 'AAAAAAAAAAAAB']],
    [['short'], ['short']],
  ])('%j -> %j', (ids, want) => expect(uniquePrefixes(ids)).toEqual(want));
});

describe('listingLines', () => {
  const credential = (id: number, extra: object = {}) => ({
    user: { id: new Uint8Array([0x75, 0x30 + id]), name: `user${id}`, displayName: `User ${id}` },
    credentialId: new Uint8Array(16).fill(id),
    publicKey: { cose: new Map(), algorithm: -8, algorithmName: 'EdDSA' },
    ...extra,
  });
  it.each([
    [{}, '    EdDSA'],
    [{ credProtect: 2 }, '    EdDSA, credProtect 2 (UV optional with id list)'],
    [{ largeBlobKey: new Uint8Array(32) }, '    EdDSA, large blob'],
    [{ credProtect: 3, largeBlobKey: new Uint8Array(32), thirdPartyPayment: true }, '    EdDSA, credProtect 3 (UV required), large blob, third-party payment'],
  ])('marks %j', (extra, line) => {
    const lines = listingLines({ metadata: { existing: 1, remaining: 0 }, rps: [{ rp: { id: 'x.example', rpIdHash: new Uint8Array(32) }, credentials: [credential(1, extra)] }] });
    expect(lines[0]).toBe('1 passkey stored; room for no more.');
    expect(lines).toContain(line);
    expect(lines).toContain('  user1 (User 1)');
    expect(lines).toContain(`    id AQEBAQEB   user id dTE "u1"`);
  });
  it('an RP filter that matches nothing says so', () => {
    expect(listingLines({ metadata: { existing: 2, remaining: 5 }, rps: [] }, 'none.example')).toEqual(['2 passkeys stored; room for up to 5 more.', 'There are no passkeys for none.example on this key.']);
  });
});
