import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PinIo, pinFromSources, readPin } from '../../src/commands/pin-input.js';
import { Fido2Error } from '../../src/errors.js';

function fakeIo(over: Partial<PinIo> & { stdin?: string; answers?: string[] } = {}): PinIo & { warnings: string[]; prompts: string[] } {
  const warnings: string[] = [];
  const prompts: string[] = [];
  const answers = [...(over.answers ?? [])];
  return {
    env: over.env ?? {},
    isTty: over.isTty ?? false,
    ...(over.stdinIsTty === undefined ? {} : { stdinIsTty: over.stdinIsTty }),
    readStdin: async () => over.stdin ?? '',
    prompt: async (q) => {
      prompts.push(q);
      const a = answers.shift();
      if (a === undefined) throw new Error('unexpected prompt');
      return a;
    },
    warn: (l) => warnings.push(l),
    warnings,
    prompts,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'pin-input-'));
const file = join(dir, 'pin.txt');
writeFileSync(file, 'from-file\nsecond line\n');

describe('PIN sources: one per PIN; an explicit option always wins over FIDO2_PIN', () => {
  it('two explicit sources for the same PIN are a usage error naming both', async () => {
    const io = fakeIo({ stdin: 'from-stdin\n', env: { MY: 'from-my' } });
    for (const o of [{ pinFile: file, pin: 'arg' }, { pinEnv: 'MY', pinStdin: true }, { pinFile: file, pinEnv: 'MY', pinStdin: true, pin: 'arg' }]) {
      const e = await pinFromSources('current', o, io).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Fido2Error);
      expect((e as Fido2Error).kind).toBe('usage');
      expect((e as Fido2Error).message).toMatch(/both give the PIN; pass only one/);
    }
    const n = await pinFromSources('new', { newPin: 'a', newPinFile: file }, io).catch((x: unknown) => x);
    expect((n as Fido2Error).message).toMatch(/--new-pin-file and --new-pin both give the new PIN/);
  });

  it('reads each source alone; every explicit option, --pin-stdin and --pin too, comes before FIDO2_PIN', async () => {
    const io = fakeIo({ env: { FIDO2_PIN: 'from-env', MY: 'from-my' }, stdin: 'from-stdin\n' });
    expect(await pinFromSources('current', { pinFile: file }, io)).toBe('from-file');
    expect(await pinFromSources('current', { pinEnv: 'MY' }, io)).toBe('from-my');
    expect(await pinFromSources('current', { pinStdin: true }, io)).toBe('from-stdin');
    expect(await pinFromSources('current', { pin: 'from-arg' }, io)).toBe('from-arg');
    expect(await pinFromSources('current', {}, io)).toBe('from-env');
    expect(io.warnings.join()).not.toMatch(/precedence/);
    const noEnv = fakeIo({ stdin: 'from-stdin\r\nnext\n' });
    expect(await pinFromSources('current', { pinStdin: true }, noEnv)).toBe('from-stdin');
    expect(await pinFromSources('current', { pin: 'arg' }, noEnv)).toBe('arg');
    expect(noEnv.warnings.join()).toMatch(/visible to other users of this machine; prefer FIDO2_PIN, --pin-file or --pin-stdin/);
    expect(noEnv.warnings.join()).not.toContain('arg');
    await pinFromSources('new', { newPin: 'secret-new' }, noEnv);
    expect(noEnv.warnings.at(-1)).toMatch(/--new-pin makes .* prefer FIDO2_NEW_PIN, --new-pin-file or --new-pin-stdin/);
  });

  it('an empty FIDO2_PIN is an error, like an empty --pin-env variable', async () => {
    const e = await pinFromSources('current', {}, fakeIo({ env: { FIDO2_PIN: '' } })).catch((x: unknown) => x);
    expect((e as Fido2Error).message).toMatch(/The PIN from the variable FIDO2_PIN is empty/);
  });

  it('reads only the start of a huge PIN file', async () => {
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'y'.repeat(3_000_000));
    const pin = await pinFromSources('current', { pinFile: big }, fakeIo());
    expect(pin!.length).toBe(4096);
  });

  it('reads the new PIN from the second stdin line when both come on stdin', async () => {
    const io = fakeIo({ stdin: 'old-pin\nnew-pin\n' });
    const o = { pinStdin: true, newPinStdin: true };
    expect(await pinFromSources('current', o, io)).toBe('old-pin');
    expect(await pinFromSources('new', o, io)).toBe('new-pin');
    expect(await pinFromSources('new', { newPinStdin: true }, io)).toBe('old-pin');
  });

  it('uses FIDO2_NEW_PIN and --new-pin-env for the new PIN, not FIDO2_PIN', async () => {
    const io = fakeIo({ env: { FIDO2_PIN: 'cur', FIDO2_NEW_PIN: 'next', OTHER: 'other' } });
    expect(await pinFromSources('new', {}, io)).toBe('next');
    expect(await pinFromSources('new', { newPinEnv: 'OTHER' }, io)).toBe('other');
    expect(await pinFromSources('new', {}, fakeIo({ env: { FIDO2_PIN: 'cur' } }))).toBeUndefined();
  });

  it('names a missing variable, an unreadable file and an empty stdin without echoing any PIN', async () => {
    await expect(pinFromSources('current', { pinEnv: 'NOPE' }, fakeIo())).rejects.toThrow(/NOPE is not set/);
    await expect(pinFromSources('current', { pinFile: join(dir, 'missing') }, fakeIo())).rejects.toMatchObject({ kind: 'usage' });
    await expect(pinFromSources('current', { pinStdin: true }, fakeIo({ stdin: '' }))).rejects.toThrow(/line 1/);
    await expect(pinFromSources('new', { pinStdin: true, newPinStdin: true }, fakeIo({ stdin: 'only-one\n' }))).rejects.toThrow(/line 2/);
  });
});

describe('PIN hygiene', () => {
  it('drops a UTF-8 byte-order mark from a PIN file and from stdin', async () => {
    const bom = join(dir, 'bom.txt');
    writeFileSync(bom, '\uFEFF1234\r\n');
    expect(await pinFromSources('current', { pinFile: bom }, fakeIo())).toBe('1234');
    expect(await pinFromSources('current', { pinStdin: true }, fakeIo({ stdin: '\uFEFF5678\n' }))).toBe('5678');
  });

  it('an explicit --pin-stdin or --pin is not overridden by a FIDO2_PIN left in the environment', async () => {
    const io = fakeIo({ env: { FIDO2_PIN: 'env-pin', FIDO2_NEW_PIN: 'env-new' }, stdin: 'stdin-pin\n' });
    expect(await pinFromSources('current', { pinStdin: true }, io)).toBe('stdin-pin');
    expect(await pinFromSources('new', { newPin: 'arg-new' }, io)).toBe('arg-new');
  });

  it.each([
    ['FIDO2_PIN', {}, { FIDO2_PIN: '1234\n' }],
    ['FIDO2_PIN with CRLF', {}, { FIDO2_PIN: '1234\r\n' }],
    ['--pin', { pin: '1234\r' }, {}],
    ['--pin-env', { pinEnv: 'MY' }, { MY: '1234\n\n' }],
  ])('drops a trailing line end from %s, as the file source does', async (_n, o, env) => {
    expect(await pinFromSources('current', o, fakeIo({ env }))).toBe('1234');
  });

  it.each([
    ['a tab', { FIDO2_PIN: '1234\t' }, /the variable FIDO2_PIN contains a control character \(a tab, U\+0009\)/],
    ['a newline inside', { FIDO2_PIN: '12\n34' }, /a line feed \(newline\), U\+000A/],
    ['an escape', { FIDO2_PIN: '12\u001b[D34' }, /an escape character .*U\+001B/],
    ['NUL', { FIDO2_PIN: '12\u000034' }, /control character \(U\+0000\)/],
  ])('refuses %s in a PIN (pin-policy), naming the character and never the PIN', async (_n, env, message) => {
    const e = (await pinFromSources('current', {}, fakeIo({ env })).catch((x: unknown) => x)) as Fido2Error;
    expect(e.kind).toBe('pin-policy');
    expect(e.message).toMatch(message);
    expect(e.message).not.toMatch(/12|34/);
  });

  it('--pin-file on a FIFO with no writer gives up at --timeout (pin-required)', async () => {
    const { execFileSync } = await import('node:child_process');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const e = (await pinFromSources('current', { pinFile: fifo, timeout: '0.2' }, fakeIo()).catch((x: unknown) => x)) as Fido2Error;
    expect(e.kind).toBe('pin-required');
    expect(e.message).toMatch(/No PIN arrived from .*fifo within 0.2 s/);
  });
});

describe('readPin', () => {
  it('falls back to the current-PIN sources for set-pin', async () => {
    expect(await readPin('new', {}, fakeIo({ env: { FIDO2_PIN: 'abcd' } }), 'current')).toBe('abcd');
  });

  it('refuses to guess without a terminal and says how to pass the PIN', async () => {
    const err = await readPin('current', {}, fakeIo()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Fido2Error);
    expect((err as Fido2Error).kind).toBe('pin-required');
    expect((err as Fido2Error).message).toMatch(/FIDO2_PIN/);
  });

  it('asks twice for a new PIN on a terminal and refuses a mismatch', async () => {
    const ok = fakeIo({ isTty: true, answers: ['2468', '2468'] });
    expect(await readPin('new', {}, ok)).toBe('2468');
    expect(ok.prompts).toHaveLength(2);
    const bad = fakeIo({ isTty: true, answers: ['2468', '2469'] });
    await expect(readPin('new', {}, bad)).rejects.toMatchObject({ kind: 'usage' });
  });

  it('asks once for the current PIN on a terminal', async () => {
    const io = fakeIo({ isTty: true, answers: ['1357'] });
    expect(await readPin('current', {}, io)).toBe('1357');
    expect(io.prompts).toEqual(['PIN: ']);
  });
});

describe('--pin-stdin on a terminal', () => {
  it('asks without echo instead of reading a visible line', async () => {
    const io = fakeIo({ isTty: true, stdinIsTty: true, stdin: 'never read', answers: ['1357'] });
    expect(await readPin('current', { pinStdin: true }, io)).toBe('1357');
    expect(io.prompts).toEqual(['PIN: ']);
  });

  it('asks twice for a new PIN given by --new-pin-stdin', async () => {
    const io = fakeIo({ isTty: true, stdinIsTty: true, answers: ['24682468', '24682468'] });
    expect(await readPin('new', { newPinStdin: true }, io)).toBe('24682468');
    expect(io.prompts).toEqual(['New PIN: ', 'Repeat the new PIN: ']);
  });
});
