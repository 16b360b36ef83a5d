import { createServer, type Server, type Socket, connect } from 'node:net';

/** What the proxy does to the frames (2-byte length + 64-byte report) crossing it. */
export interface ProxyFaults {
  /** Close both sides once the host has sent this many reports (the key "vanishes"). */
  vanishAfterHostReports?: number;
  /** Stop forwarding the key's replies once the host has sent this many reports (the key hangs). */
  muteAfterHostReports?: number;
  /** Send every reply from the key twice. */
  duplicateReplies?: boolean;
}

/**
 * A TCP proxy between the CLI and a virtual key that injects faults at
 * frame boundaries, so the real CLI process can be tested against a key that
 * disappears or stops answering in the middle of a command.
 */
export async function startFaultProxy(target: { host: string; port: number }, faults: ProxyFaults): Promise<{ device: string; hostReports(): number; close(): Promise<void> }> {
  let hostReports = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const frame = pending.subarray(0, 2 + pending.readUInt16BE(0));
        pending = pending.subarray(frame.length);
        hostReports++;
        if (faults.vanishAfterHostReports !== undefined && hostReports > faults.vanishAfterHostReports) {
          client.destroy();
          upstream.destroy();
          return;
        }
        upstream.write(frame);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      if (faults.muteAfterHostReports !== undefined && hostReports >= faults.muteAfterHostReports) return;
      client.write(chunk);
      if (faults.duplicateReplies) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    device: `tcp:127.0.0.1:${port}`,
    hostReports: () => hostReports,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * A TCP proxy whose link to the key is a real TCP transport wrapped in the
 * fault injector of test/helpers/fault-transport.ts: the CLI process sees
 * dropped, duplicated, reordered, foreign-channel, keepalive-laden, busy,
 * slow or vanishing reports, exactly as a flaky USB key would produce them.
 */
export async function startFaultyLink(
  target: { host: string; port: number },
  faults: import('../helpers/fault-transport.js').FaultOptions,
): Promise<{ device: string; injected(): Record<string, number>; close(): Promise<void> }> {
  const { withFaults } = await import('../helpers/fault-transport.js');
  const { openTcpTransport } = await import('../../src/transports/tcp/tcp-transport.js');
  const injected: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (client) => {
    sockets.add(client);
    const link = withFaults(await openTcpTransport(target.host, target.port), faults);
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      for (const [k, v] of Object.entries(link.faults)) injected[k] = (injected[k] ?? 0) + v;
      client.destroy();
      void link.close();
    };
    client.on('close', end).on('error', end);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        const report = new Uint8Array(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + report.length);
        link.write(report).catch(end);
      }
    });
    while (open) {
      try {
        const r = await link.read(50);
        if (r && open) client.write(Buffer.concat([Buffer.from([0, r.length]), r]));
      } catch {
        end();
      }
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    device: `tcp:127.0.0.1:${port}`,
    injected: () => injected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
