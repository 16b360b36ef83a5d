/**
 * The virtual key over TCP, framed as the pico-keys emulation does: every
 * 64-byte report travels as a 2-byte big-endian length and the report, in
 * both directions. Each connection is one host; all share the key.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { REPORT_SIZE } from './ctaphid-frames.js';
import type { VirtualKey } from './virtual-key.js';

export interface SimServer {
  readonly host: string;
  readonly port: number;
  unplug(): Promise<void>;
  plugIn(): Promise<void>;
  close(): Promise<void>;
}

function serve(key: VirtualKey, socket: Socket): void {
  socket.setNoDelay(true);
  const link = key.connect((report) => {
    const frame = Buffer.alloc(2 + REPORT_SIZE);
    frame.writeUInt16BE(REPORT_SIZE, 0);
    frame.set(report.subarray(0, REPORT_SIZE), 2);
    socket.write(frame);
  });
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 2) {
      const n = pending.readUInt16BE(0);
      if (n === 0 || n > REPORT_SIZE) {
        // Not this framing: nothing sensible can follow on this connection.
        socket.destroy();
        return;
      }
      if (pending.length < 2 + n) break;
      const report = new Uint8Array(REPORT_SIZE);
      report.set(pending.subarray(2, 2 + n));
      pending = pending.subarray(2 + n);
      link.write(report);
    }
  });
  socket.on('error', () => socket.destroy());
  socket.on('close', () => link.close());
}

function listen(key: VirtualKey, sockets: Set<Socket>, host: string, port: number): Promise<Server> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(key, socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function stop(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise<void>((done) => {
    for (const s of sockets) s.destroy();
    server.close(() => done());
  });
}

/**
 * Listens on host:port (port 0 picks a free one) and resolves once listening.
 * unplug() and plugIn() stand in for pulling the key out of its USB port and
 * putting it back: connections drop, nobody can connect in between, and the
 * key powers up afresh (what a reset window counts from).
 */
export async function startSimServer(key: VirtualKey, where: { host: string; port: number }): Promise<SimServer> {
  const sockets = new Set<Socket>();
  let server: Server | undefined = await listen(key, sockets, where.host, where.port);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : where.port;
  return {
    host: where.host,
    port,
    async unplug() {
      if (!server) return;
      const s = server;
      server = undefined;
      await stop(s, sockets);
    },
    async plugIn() {
      if (server) return;
      key.powerCycle();
      server = await listen(key, sockets, where.host, port);
    },
    async close() {
      if (server) await stop(server, sockets);
      server = undefined;
    },
  };
}
