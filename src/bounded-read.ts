/**
 * Reading a secret or a small input file that may be a pipe, a FIFO or
 * /dev/stdin as well as a regular file, without ever waiting past the deadline
 * or ignoring Ctrl-C. Opening a FIFO for reading blocks in open(2) until a
 * writer appears, holding a libuv thread that no timer or signal can free; so
 * the file is opened non-blocking and polled instead.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { Fido2Error, type ErrorKind } from './errors.js';

export interface BoundedReadOptions {
  /** No source is read beyond this many bytes. */
  maxBytes: number;
  /** Stop once this many complete lines arrived: a writer that keeps the FIFO open still gives them at once. */
  lines?: number;
  /** --timeout: nothing (or no complete input) by then is an error. */
  timeoutMs?: number;
  /** The error for a source that gives nothing in time, e.g. "No PIN arrived from the file x within 10 s; ...". */
  late: (seconds: number) => Fido2Error;
}

const POLL_MS = 25;
const cancelled = (): Fido2Error => new Fido2Error('cancelled', 'Cancelled; nothing was changed.');

/**
 * Runs `work` until it settles, the deadline passes (rejects with `late`), or
 * SIGINT arrives (rejects with a `cancelled` error, exit 130). `work` gets a
 * signal that is aborted in both cases, so a polling loop can stop.
 */
export function bounded<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number | undefined, late: (seconds: number) => Fido2Error): Promise<T> {
  const stop = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onSigint: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => reject(late(timeoutMs / 1000)), timeoutMs);
    }
    // A listener here also keeps Node from dying by the signal before the JSON error document is printed.
    onSigint = () => reject(cancelled());
    process.on('SIGINT', onSigint);
  });
  return Promise.race([work(stop.signal), ended]).finally(() => {
    stop.abort();
    clearTimeout(timer);
    if (onSigint) process.removeListener('SIGINT', onSigint);
  });
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

const countLines = (buf: Buffer, size: number): number => {
  let n = 0;
  for (let i = 0; i < size; i++) if (buf[i] === 0x0a) n++;
  return n;
};

/**
 * The start of `path` (at most `maxBytes`), read up to its end or to the
 * `lines`-th newline. A FIFO with no writer yet is waited for, within the
 * deadline; a failure to open or read is thrown as the Node error (with `code`).
 */
export async function readBounded(path: string, o: BoundedReadOptions): Promise<Buffer> {
  return bounded(
    async (signal) => {
      // O_NONBLOCK: a FIFO opens at once even with no writer; regular files ignore it. Not on Windows.
      const f = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
      try {
        const fifo = (await f.stat()).isFIFO();
        const buf = Buffer.alloc(o.maxBytes);
        let size = 0;
        while (size < o.maxBytes && !signal.aborted) {
          let n: number;
          try {
            // Position null: pipes cannot seek (pread would fail with ESPIPE).
            n = (await f.read(buf, size, o.maxBytes - size, null)).bytesRead;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN' && (e as NodeJS.ErrnoException).code !== 'EWOULDBLOCK') throw e;
            n = -1; // a writer is there but has written nothing yet
          }
          if (n > 0) {
            size += n;
            if (o.lines !== undefined && countLines(buf, size) >= o.lines) break;
            continue;
          }
          // End of input, except on a FIFO no writer has opened yet: read(2) then also says 0.
          if (n === 0 && (!fifo || size > 0)) break;
          await sleep(POLL_MS, signal);
        }
        return buf.subarray(0, size);
      } finally {
        await f.close().catch(() => undefined);
      }
    },
    o.timeoutMs,
    o.late,
  );
}

/** A read failure as one line: the Node error code, never the content. */
export function readFailure(e: unknown, kind: ErrorKind, what: string, advice: string): unknown {
  if (e instanceof Fido2Error) return e;
  return new Fido2Error(kind, `Cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'}); ${advice}`);
}
