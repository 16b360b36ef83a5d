/**
 * Every source of a secret (variables, options, files, pipes, FIFOs, --pins,
 * the policy file) through the built CLI against a served virtual key: a PIN
 * that cannot be right is never sent (the key's retries are read back), and
 * no source waits past --timeout or ignores Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type CliResult, type KeyUnderTest, CTAP, runCli, startKeyWithPin } from './harness.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));
const PIN = '48213579';
const dir = mkdtempSync(join(tmpdir(), 'secret-sources-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let k: KeyUnderTest | undefined;
afterEach(async () => {
  await k?.close();
  k = undefined;
});

/** The key's PIN retries, read back through the CLI as a user would. */
async function retriesLeft(device: string): Promise<number> {
  return (JSON.parse((await runCli(['retries', '--device', device, '--json'])).stdout) as { pinRetries: number }).pinRetries;
}

let fifos = 0;
function makeFifo(): string {
  const path = join(dir, `fifo-${fifos++}`);
  execFileSync('mkfifo', ['-m', '600', path]);
  return path;
}

/** Resolves once some process has `fifo` open for reading (a non-blocking writer open fails with ENXIO until then). */
async function readerOpened(fifo: string): Promise<void> {
  for (;;) {
    try {
      return closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The CLI as a child we can signal; killed outright if it is still running after 20 s, so a hang fails instead of stalling. */
function startCli(args: string[], env: Record<string, string> = {}, command: string[] = [process.execPath, BIN, ...args]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(command[0]!, command.slice(1), { env: { ...process.env, FIDO2_PIN: undefined, FIDO2_NEW_PIN: undefined, ...env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code: code ?? (signal === 'SIGKILL' ? -9 : -1), stdout, stderr });
    }),
  );
  return { child, done };
}

describe('a current PIN that cannot be right is never sent, whatever its source', () => {
  it.each([
    ['FIDO2_PIN ending in LF', [], { FIDO2_PIN: `${PIN}\n` }],
    ['FIDO2_PIN ending in CRLF', [], { FIDO2_PIN: `${PIN}\r\n` }],
    ['--pin ending in CR', ['--pin', `${PIN}\r`], {}],
    ['--pin-env ending in LF', ['--pin-env', 'MY_PIN'], { MY_PIN: `${PIN}\n` }],
  ])('%s: the line end is dropped, as a file source drops it, and the PIN works', async (_n, args, env) => {
    k = await startKeyWithPin(PIN);
    const r = await runCli(['verify-pin', '--device', k.device, ...args], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await retriesLeft(k.device)).toBe(8);
  });

  it.each([
    ['a tab in FIDO2_PIN', [], { FIDO2_PIN: `${PIN}\t` }, /the variable FIDO2_PIN contains a control character \(a tab, U\+0009\)/],
    ['an escape in --pin', ['--pin', `${PIN.slice(0, 4)}\u001b[D${PIN.slice(4)}`], {}, /--pin contains a control character \(an escape character.*U\+001B\)/],
    ['a newline inside --pin-env', ['--pin-env', 'MY_PIN'], { MY_PIN: `${PIN}\nmore` }, /the variable MY_PIN contains a control character \(a line feed/],
  ])('%s is refused with exit 8 naming the character, and no attempt is spent', async (_n, args, env, message) => {
    k = await startKeyWithPin(PIN);
    const r = await runCli(['verify-pin', '--device', k.device, '--json', ...args], { env });
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/space/);
    expect(r.stdout).not.toContain(PIN);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    expect(await retriesLeft(k.device)).toBe(8);
  });
});

describe('an explicit PIN option wins over a FIDO2_PIN left in the environment', () => {
  it.each([
    ['--pin', ['--pin', PIN], undefined],
    ['--pin-stdin', ['--pin-stdin'], `${PIN}\n`],
  ])('%s is used, not the stale variable; no attempt is spent', async (_n, args, stdin) => {
    k = await startKeyWithPin(PIN);
    const r = await runCli(['verify-pin', '--device', k.device, ...args], { env: { FIDO2_PIN: '11112222' }, ...(stdin === undefined ? {} : { stdin }) });
    expect(r.code, r.stderr).toBe(0);
    expect(await retriesLeft(k.device)).toBe(8);
  });

  it('the same for the new PIN: --new-pin wins over FIDO2_NEW_PIN', async () => {
    k = await startKeyWithPin(PIN);
    const r = await runCli(['change-pin', '--device', k.device, '--new-pin', '97531246'], { env: { FIDO2_PIN: PIN, FIDO2_NEW_PIN: '24682468' } });
    expect(r.code, r.stderr).toBe(0);
    expect((await runCli(['verify-pin', '--device', k.device], { env: { FIDO2_PIN: '97531246' } })).code).toBe(0);
  });
});

describe('an explicit PIN option wins over a --pins line, for ordinary commands and apply alike', () => {
  it('verify-pin and apply use --pin, not the stale line; no attempt is spent', async () => {
    k = await startKeyWithPin(PIN);
    const pins = join(dir, 'stale.csv');
    writeFileSync(pins, `${k.device},11112222\n`);
    chmodSync(pins, 0o600);
    const policy = join(dir, 'uv-policy.json');
    writeFileSync(policy, JSON.stringify({ alwaysUv: true }));
    const verify = await runCli(['verify-pin', '--device', k.device, '--pins', pins, '--pin', PIN, '--json']);
    expect(verify.code, verify.stdout).toBe(0);
    const applied = await runCli(['apply', policy, '--device', k.device, '--pins', pins, '--pin', PIN, '--json']);
    expect(applied.code, applied.stdout).toBe(0);
    expect(await retriesLeft(k.device)).toBe(8);
  });
});

describe('--pin-file reads pipes and FIFOs, within --timeout and Ctrl-C', () => {
  it('--pin-file /dev/stdin reads a piped PIN', async () => {
    k = await startKeyWithPin(PIN);
    const r = await runCli(['verify-pin', '--device', k.device, '--pin-file', '/dev/stdin'], { stdin: `${PIN}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(await retriesLeft(k.device)).toBe(8);
  });

  it('--pin-file /dev/stdin and --pin-file <(...) read a shell pipe', async () => {
    k = await startKeyWithPin(PIN);
    for (const script of [`printf '%s\\n' "$PIN" | "$NODE" "$BIN" verify-pin --device "$DEV" --pin-file /dev/stdin`, `"$NODE" "$BIN" verify-pin --device "$DEV" --pin-file <(printf '%s\\n' "$PIN")`]) {
      const r = await startCli([], { PIN, NODE: process.execPath, BIN, DEV: k.device }, ['/bin/bash', '-c', script]).done;
      expect(r.code, `${script}: ${r.stderr}`).toBe(0);
    }
    expect(await retriesLeft(k.device)).toBe(8);
  });

  it('a FIFO whose writer comes after the command started gives its PIN', async () => {
    k = await startKeyWithPin(PIN);
    const fifo = makeFifo();
    const run = startCli(['verify-pin', '--device', k.device, '--pin-file', fifo]);
    await readerOpened(fifo);
    const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(w, `${PIN}\n`);
    closeSync(w);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
  });

  it('a FIFO with no writer ends at --timeout with exit 9, nothing sent', async () => {
    k = await startKeyWithPin(PIN);
    const r = await startCli(['verify-pin', '--device', k.device, '--pin-file', makeFifo(), '--timeout', '1', '--json']).done;
    expect(r.code, r.stderr).toBe(9);
    expect(JSON.parse(r.stdout).error.message).toMatch(/No PIN arrived from .*fifo-\d+ within 1 s/);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
  });

  it('Ctrl-C while waiting on a FIFO ends the run: exit 130 and a JSON error document', async () => {
    k = await startKeyWithPin(PIN);
    const fifo = makeFifo();
    const run = startCli(['verify-pin', '--device', k.device, '--pin-file', fifo, '--timeout', '60', '--json']);
    await readerOpened(fifo);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'cancelled', exitCode: 130 } });
    expect(await retriesLeft(k.device)).toBe(8);
  });
});

describe('--pins lines that would send a wrong PIN to every key are refused first', () => {
  it('`selector, pin` (a space after the comma) is a usage error naming the line; no key spends an attempt', async () => {
    k = await startKeyWithPin(PIN);
    const pins = join(dir, 'spaced.csv');
    writeFileSync(pins, `selector,pin\n${k.device}, ${PIN}\n`);
    chmodSync(pins, 0o600);
    const r = await runCli(['verify-pin', '--device', k.device, '--pins', pins, '--json']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/Line 2 of .*spaced\.csv has a space after the comma/);
    expect(r.stderr).not.toContain(PIN);
    expect(await retriesLeft(k.device)).toBe(8);
  });
});

describe('apply: the policy and --pins files may be FIFOs, bounded by --timeout and Ctrl-C', () => {
  it('a policy written to a FIFO after the command started is read', async () => {
    k = await startKeyWithPin(PIN);
    const fifo = makeFifo();
    // A dry run makes the real run's local checks, so it takes the key's PIN too (issue 19 §5).
    const run = startCli(['apply', fifo, '--device', k.device, '--dry-run', '--json'], { FIDO2_PIN: PIN });
    await readerOpened(fifo);
    const w = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    writeSync(w, JSON.stringify({ alwaysUv: true }));
    closeSync(w);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ok).toBe(true);
  });

  it('a policy FIFO with no writer ends at --timeout with exit 2', async () => {
    k = await startKeyWithPin(PIN);
    const r = await startCli(['apply', makeFifo(), '--device', k.device, '--timeout', '1']).done;
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/No policy arrived from .* within 1 s/);
  });

  it('a --pins FIFO with no writer ends at --timeout with exit 9, nothing sent', async () => {
    k = await startKeyWithPin(PIN);
    const policy = join(dir, 'policy.json');
    writeFileSync(policy, JSON.stringify({ alwaysUv: true }));
    const r = await startCli(['apply', policy, '--device', k.device, '--pins', makeFifo(), '--timeout', '1']).done;
    expect(r.code, r.stderr).toBe(9);
    expect(k.ctapCommands).not.toContain(CTAP.clientPin);
    expect(k.key.snapshot().alwaysUv).toBeFalsy();
  });

  it('Ctrl-C while apply waits on its policy FIFO: exit 130 and a JSON error document', async () => {
    k = await startKeyWithPin(PIN);
    const fifo = makeFifo();
    const run = startCli(['apply', fifo, '--device', k.device, '--timeout', '60', '--json']);
    await readerOpened(fifo);
    run.child.kill('SIGINT');
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { kind: 'cancelled', exitCode: 130 } });
  });
});
