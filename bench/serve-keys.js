// Serves N fresh virtual keys over TCP from this one process, for the fleet benchmark.
// argv: N [LATENCY_MS]. With a latency, every report the key sends is held back that long, as a
// USB key answers only at its polling interval; without, the key answers at once.
// Prints one JSON line with the ports, then serves until killed.
import { VirtualKey } from '../dist/sim/virtual-key.js';
import { startSimServer } from '../dist/sim/server.js';

const n = Number(process.argv[2] ?? 1);
const latencyMs = Number(process.argv[3] ?? 0);
const ports = [];
for (let i = 0; i < n; i++) {
  const key = new VirtualKey();
  if (latencyMs > 0) {
    const connect = key.connect.bind(key);
    key.connect = (onReport) => connect((r) => setTimeout(onReport, latencyMs, Uint8Array.from(r)));
  }
  const server = await startSimServer(key, { host: '127.0.0.1', port: 0 });
  ports.push(server.port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
