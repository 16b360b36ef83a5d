/**
 * `fido2-manage demo [--port N] [--open]`: serves the "see what your browser
 * does" page on 127.0.0.1 until Ctrl-C (src/demo/). With --device the server
 * reads that key's getInfo before each ceremony for the prediction (getInfo
 * only: nothing is changed on the key); otherwise the page describes the key.
 */
import { spawn } from 'node:child_process';
import { infoOrU2f } from '../operations/key-handle.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { startDemoServer } from '../demo/server.js';
import { Fido2Error } from '../errors.js';
import type { GlobalOptions } from './global-options.js';
import { onInterrupt } from './interrupt.js';
import { notice, printLine } from './output.js';
import { withSession } from './session.js';

export interface DemoOptions {
  port?: string;
  open?: boolean;
}

export function demoPort(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new Fido2Error('usage', `--port takes a port number from 0 to 65535 (0: any free port), not "${value}".`);
  return n;
}

/** getInfo of the --device key, opened for this read only; undefined for a key that speaks no CTAP2 (U2F only). */
function infoReader(g: GlobalOptions): () => Promise<AuthenticatorInfo | undefined> {
  return () => withSession(g, infoOrU2f);
}

function openBrowser(url: string): void {
  const [cmd, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => notice(`Could not open a browser (${cmd}); open ${url} yourself.`));
  child.unref();
}

export async function runDemo(o: DemoOptions, g: GlobalOptions): Promise<void> {
  if (g.json) throw new Fido2Error('usage', 'demo serves a page until Ctrl-C and prints no JSON; run it without --json.');
  const port = demoPort(o.port);
  const server = await startDemoServer({ port, ...(g.device !== undefined ? { readInfo: infoReader(g), keyLabel: g.device } : {}) }).catch((e: unknown) => {
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE' || code === 'EACCES') throw new Fido2Error('usage', `Port ${port} on 127.0.0.1 is taken or not allowed; give another with --port, or --port 0 for any free one.`);
    throw e;
  });
  printLine(`Demo page: ${server.url} (served on 127.0.0.1 only; Ctrl-C to stop)`);
  if (o.open) openBrowser(server.url);
  const interrupt = onInterrupt();
  try {
    await new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    interrupt.dispose();
    await server.close();
  }
  notice('Demo stopped; it kept nothing (its state was in memory only).');
}
