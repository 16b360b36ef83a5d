// Serves N fresh virtual keys over TCP from this one process, for the fleet benchmark.
// Prints one JSON line with the ports, then serves until killed.
import { VirtualKey } from '../dist/sim/virtual-key.js';
import { startSimServer } from '../dist/sim/server.js';

const n = Number(process.argv[2] ?? 1);
const ports = [];
for (let i = 0; i < n; i++) {
  const server = await startSimServer(new VirtualKey(), { host: '127.0.0.1', port: 0 });
  ports.push(server.port);
}
process.stdout.write(`${JSON.stringify({ ports })}\n`);
