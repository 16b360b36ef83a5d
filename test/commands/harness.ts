import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VirtualKey, type VirtualKeyOptions } from '../../src/sim/virtual-key.js';
import { startSimServer } from '../../src/sim/server.js';

const BIN = fileURLToPath(new URL('../../bin/fido2-manage.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as a user would, in its own process, so exit codes,
 * stdout/stderr separation and environment handling are tested for real.
 */
export function runCli(
  args: string[],
  opts: {
    env?: Record<string, string>;
    stdin?: string;
    holdStdin?: boolean;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, FIDO2_PIN: undefined, FIDO2_NEW_PIN: undefined, ...opts.env };
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // holdStdin: written but never ended, like a FIFO whose writer stays open.
    if (opts.holdStdin) child.stdin.write(opts.stdin ?? '');
    else child.stdin.end(opts.stdin ?? '');
  });
}

/** The CTAP command bytes (first byte of each CTAPHID_CBOR message) the key received, in order. */
export interface KeyUnderTest {
  key: VirtualKey;
  device: string;
  ctapCommands: number[];
  /** CTAPHID commands (init packets, bit 7 cleared) the key received, in order. */
  hidCommands: number[];
  /** clientPIN subCommands (CTAP 2.1 §6.5.4: 0x01 getPINRetries, 0x05/0x09 a token by PIN, ...), in order. */
  clientPinSubCommands: number[];
  /** Pulls the served key out of its (virtual) USB port, and puts it back (a power cycle). */
  unplug(): Promise<void>;
  plugIn(): Promise<void>;
  close(): Promise<void>;
}

/** A virtual key served over TCP in this process, with a tap on the CTAP commands it receives. */
export async function startKey(options: VirtualKeyOptions = {}): Promise<KeyUnderTest> {
  const key = new VirtualKey(options);
  const ctapCommands: number[] = [];
  const hidCommands: number[] = [];
  const clientPinSubCommands: number[] = [];
  const connect = key.connect.bind(key);
  key.connect = (onReport) => {
    const link = connect(onReport);
    return {
      write(report: Uint8Array) {
        if (report[4]! & 0x80) hidCommands.push(report[4]! & 0x7f);
        // An initialisation packet of CTAPHID_CBOR (0x90) carries the CTAP command in its first payload byte.
        if (report[4] === 0x90 && ((report[5]! << 8) | report[6]!) > 0) {
          ctapCommands.push(report[7]!);
          const sub = clientPinSubCommand(report.subarray(7));
          if (sub !== undefined) clientPinSubCommands.push(sub);
        }
        link.write(report);
      },
      close: () => link.close(),
    };
  };
  const server = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  return {
    key,
    device: `tcp:127.0.0.1:${server.port}`,
    ctapCommands,
    hidCommands,
    clientPinSubCommands,
    unplug: () => server.unplug(),
    plugIn: () => server.plugIn(),
    close: () => server.close(),
  };
}

/** A served key whose PIN was set through the CLI; the tap starts empty after that. */
export async function startKeyWithPin(pin: string, options: VirtualKeyOptions = {}): Promise<KeyUnderTest> {
  const k = await startKey(options);
  const r = await runCli(['set-pin', '--device', k.device], { env: { FIDO2_NEW_PIN: pin } });
  if (r.code !== 0) throw new Error(`set-pin failed: ${r.stderr}`);
  k.ctapCommands.length = 0;
  k.hidCommands.length = 0;
  k.clientPinSubCommands.length = 0;
  return k;
}

export const CTAP = { makeCredential: 0x01, getInfo: 0x04, clientPin: 0x06, reset: 0x07, config: 0x0d } as const;

/**
 * The subCommand of a clientPIN request from its first bytes: command 0x06, a
 * canonical CBOR map whose keys come sorted, so pinUvAuthProtocol (1, a small
 * uint) if present, then subCommand (2, a small uint).
 */
function clientPinSubCommand(m: Uint8Array): number | undefined {
  if (m[0] !== 0x06 || (m[1]! & 0xe0) !== 0xa0) return undefined;
  let i = 2;
  if (m[i] === 0x01) i += 2;
  return m[i] === 0x02 ? m[i + 1] : undefined;
}
