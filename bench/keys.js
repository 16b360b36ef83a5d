// What the benchmarks share: the CLI run as a user runs it, a served key that counts its reports, and
// N fresh keys served by another process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { VirtualKey } from '../dist/sim/virtual-key.js';
import { startSimServer } from '../dist/sim/server.js';

const BIN = fileURLToPath(new URL('../bin/fido2-manage.js', import.meta.url));

/** The built CLI in its own process; rejects with its stderr when it exits non-zero. */
export function runCli(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

/** A key served over TCP here, counting the reports each way and the transactions the host starts. */
export async function countedKey() {
  const key = new VirtualKey();
  const counts = { written: 0, read: 0, transactions: 0 };
  const connect = key.connect.bind(key);
  key.connect = (onReport) => {
    const link = connect((r) => {
      counts.read++;
      onReport(r);
    });
    return {
      write(r) {
        counts.written++;
        if (r[4] & 0x80) counts.transactions++;
        link.write(r);
      },
      close: () => link.close(),
    };
  };
  const server = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  return { device: `tcp:127.0.0.1:${server.port}`, counts, close: () => server.close() };
}

/** N fresh keys served by `serve-keys.js` in their own process, so their work is not the managing process's CPU. */
export async function serveKeys(n, mode) {
  const server = spawn(process.execPath, [fileURLToPath(new URL('./serve-keys.js', import.meta.url)), String(n), String(mode)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise((resolve, reject) => {
    let buf = '';
    server.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf).ports);
    });
    server.on('exit', (c) => reject(new Error(`key server exited ${c}`)));
  });
  return { ports, devices: ports.map((p) => `tcp:127.0.0.1:${p}`), stop: () => server.kill() };
}
