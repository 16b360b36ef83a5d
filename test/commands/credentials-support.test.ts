import { describe, expect, it } from 'vitest';
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
