/**
 * Transport to a software authenticator over TCP, as used by the pico-keys
 * emulation and our `fido2-manage sim`: the authenticator listens, we
 * connect, and each 64-byte report travels as a 2-byte big-endian length
 * followed by the report, in both directions.
 */
import { connect, type Socket } from 'node:net';
import { Fido2Error } from '../../errors.js';
import { ReportQueue } from '../ctaphid/report-queue.js';
import { REPORT_SIZE, type Transport } from '../ctaphid/transport.js';

export interface TcpTransportOptions {
  /** Give up connecting after this long. Default 5000 ms. */
  connectTimeoutMs?: number;
}

/** Formats host:port, bracketing IPv6 literals. */
export function tcpLabel(host: string, port: number): string {
  return `tcp:${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Incremental decoder for length-prefixed frames; copes with partial chunks
 * and several frames per chunk. Throws a Fido2Error on a length other than 64.
 */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly label: string) {}

  /** Bytes of an unfinished frame, so a close mid-frame can be reported. */
  get buffered(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): Uint8Array[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Uint8Array[] = [];
    while (this.pending.length >= 2) {
      const length = this.pending.readUInt16BE(0);
      if (length !== REPORT_SIZE) {
        throw new Fido2Error(
          'transport',
          `Protocol error from ${this.label}: a frame of ${length} bytes where 64-byte reports were expected; is this a FIDO software key?`,
        );
      }
      if (this.pending.length < 2 + length) break;
      frames.push(new Uint8Array(this.pending.subarray(2, 2 + length)));
      this.pending = this.pending.subarray(2 + length);
    }
    return frames;
  }
}

export function encodeFrame(report: Uint8Array): Buffer {
  const frame = Buffer.alloc(2 + report.length);
  frame.writeUInt16BE(report.length, 0);
  frame.set(report, 2);
  return frame;
}

function connectSocket(host: string, port: number, label: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Fido2Error('no-device', `No answer from ${label} within ${timeoutMs} ms; check the address and that the software key is running`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      if (error.code === 'ECONNREFUSED') {
        reject(new Fido2Error('no-device', `Nothing listens at ${label}; start the software key first`, { cause: error }));
      } else {
        reject(new Fido2Error('no-device', `Cannot connect to ${label} (${error.code ?? error.message}); check the address`, { cause: error }));
      }
    });
  });
}

export async function openTcpTransport(host: string, port: number, opts: TcpTransportOptions = {}): Promise<Transport> {
  const label = tcpLabel(host, port);
  const socket = await connectSocket(host, port, label, opts.connectTimeoutMs ?? 5000);
  socket.setNoDelay(true);
  const queue = new ReportQueue();
  const decoder = new FrameDecoder(label);
  let closedByUs = false;
  let corked = false;
  // A software key that serves one client at a time (pico-keys) drops a second one before answering anything.
  let answered = false;
  const busy = (how: string): Fido2Error =>
    new Fido2Error('transport', `The software key at ${label} ${how} before answering; it may be busy with another client (another fido2-manage, a browser); retry when that one has finished`, { reason: 'key-busy' });

  socket.on('data', (chunk: Buffer) => {
    try {
      for (const frame of decoder.push(chunk)) {
        answered = true;
        queue.push(frame);
      }
    } catch (error) {
      queue.fail(error as Fido2Error);
      socket.destroy();
    }
  });
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (!answered && !closedByUs) return queue.fail(busy(`dropped the connection (${error.code ?? error.message})`));
    queue.fail(new Fido2Error('transport', `The software key at ${label} dropped the connection (${error.code ?? error.message}); restart it and retry`, { cause: error }));
  });
  socket.on('close', () => {
    // Already failed (we closed it, or an error came first): the first reason stands, so build no other.
    if (queue.failed) return;
    if (closedByUs) {
      queue.fail(new Fido2Error('transport', `The connection to ${label} is closed; open the device again`));
    } else if (!answered && decoder.buffered === 0) {
      queue.fail(busy('closed the connection'));
    } else if (decoder.buffered > 0) {
      queue.fail(new Fido2Error('transport', `The software key at ${label} closed the connection in the middle of a report; restart it and retry`));
    } else {
      queue.fail(new Fido2Error('transport', `The software key at ${label} closed the connection; restart it and retry`));
    }
  });

  return {
    label,
    async write(report: Uint8Array): Promise<void> {
      if (report.length !== REPORT_SIZE) {
        throw new Fido2Error('transport', `Internal error: tried to send a report of ${report.length} bytes; reports are 64 bytes`);
      }
      if (queue.failed) throw queue.failed;
      // The reports of one message are written one after another within a tick: corked, they leave in
      // one segment and one system call instead of one each (bench "Fleet apply", host CPU per key).
      if (!corked) {
        corked = true;
        socket.cork();
        process.nextTick(() => {
          corked = false;
          socket.uncork();
        });
      }
      // A failed write is reported by the socket's 'error' event, which fails the reads and later writes.
      socket.write(encodeFrame(report));
    },
    read: (timeoutMs: number) => queue.read(timeoutMs),
    async close(): Promise<void> {
      if (closedByUs) return;
      closedByUs = true;
      queue.fail(new Fido2Error('transport', `The connection to ${label} is closed; open the device again`));
      if (socket.destroyed) return;
      // The last reply is in: send our FIN once our writes are flushed and drop the socket, without
      // waiting for the peer's FIN. A software key that never closes its side (the pico-keys
      // emulation) would otherwise add that wait to every command.
      await new Promise<void>((resolve) => {
        socket.end(() => {
          socket.destroy();
          resolve();
        });
      });
    },
  };
}
