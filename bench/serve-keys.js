// Serves N fresh virtual keys over TCP from this one process, for the fleet benchmark.
// argv: N [LATENCY_MS | usb]. With LATENCY_MS, every report the key sends is held back that long, as a
// USB key answers only at its polling interval. With `usb`, the keys follow the model of a real USB key
// in src/sim/latency.ts (USB_KEY_LATENCY: 1 ms per 64-byte report each way, 40 ms for the key's own
// ECDH and PIN hashing per clientPIN key agreement / setPIN / token). Without, the key answers at once.
// Prints one JSON line with the ports, then serves until killed.
import { VirtualKey } from '../dist/sim/virtual-key.js';
import { startSimServer } from '../dist/sim/server.js';
import { USB_KEY_LATENCY, withLatency } from '../dist/sim/latency.js';

const n = Number(process.argv[2] ?? 1);
const mode = process.argv[3] ?? '0';
const latencyMs = mode === 'usb' ? 0 : Number(mode);
const ports = [];
for (let i = 0; i < n; i++) {
  const key = new VirtualKey();
  if (mode === 'usb') withLatency(key, USB_KEY_LATENCY);
  else if (latencyMs > 0) {
    const connect = key.connect.bind(key);
    key.connect = (onReport) => connect((r) => setTimeout(onReport, latencyMs, Uint8Array.from(r)));
  }
  const server = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  ports.push(server.port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
