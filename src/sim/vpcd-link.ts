/**
 * The virtual key as a card in a vpcd virtual reader (vsmartcard's driver
 * for pcscd). vpcd listens; the card connects to it, and every message in
 * either direction is a 2-byte big-endian length and a payload. A 1-byte
 * payload is a control code (power off / on, reset, get ATR); anything
 * longer is a command APDU, answered with the response APDU. Closing the
 * connection takes the card out of the reader.
 */
import { createConnection, type Socket } from 'node:net';

export const VpcdControl = { POWER_OFF: 0x00, POWER_ON: 0x01, RESET: 0x02, GET_ATR: 0x04 } as const;

/** vpcd's default port for its first reader slot ("Virtual PCD 00 00"). */
export const VPCD_DEFAULT_PORT = 35963;

export type VpcdMessage =
  | { readonly kind: 'power-off' | 'power-on' | 'reset' | 'get-atr' }
  | { readonly kind: 'control'; readonly code: number }
  | { readonly kind: 'apdu'; readonly bytes: Uint8Array };

export function classifyVpcdMessage(payload: Uint8Array): VpcdMessage {
  if (payload.length !== 1) return { kind: 'apdu', bytes: payload };
  switch (payload[0]) {
    case VpcdControl.POWER_OFF:
      return { kind: 'power-off' };
    case VpcdControl.POWER_ON:
      return { kind: 'power-on' };
    case VpcdControl.RESET:
      return { kind: 'reset' };
    case VpcdControl.GET_ATR:
      return { kind: 'get-atr' };
    default:
      return { kind: 'control', code: payload[0]! };
  }
}

export function vpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > 0xffff) throw new RangeError('a vpcd message holds at most 65535 bytes');
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >>> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

/** Splits the byte stream from vpcd into messages, across and within TCP chunks. */
export class VpcdFramer {
  private pending = new Uint8Array(0);

  push(chunk: Uint8Array): Uint8Array[] {
    const buf = new Uint8Array(this.pending.length + chunk.length);
    buf.set(this.pending, 0);
    buf.set(chunk, this.pending.length);
    const out: Uint8Array[] = [];
    let at = 0;
    while (buf.length - at >= 2) {
      const n = (buf[at]! << 8) | buf[at + 1]!;
      if (buf.length - at - 2 < n) break;
      out.push(buf.slice(at + 2, at + 2 + n));
      at += 2 + n;
    }
    this.pending = buf.slice(at);
    return out;
  }
}

/** The card as vpcd sees it. */
export interface VirtualCard {
  readonly atr: Uint8Array;
  /** Power comes on (or a warm reset): the card starts afresh. */
  powerUp(): void;
  /** Power goes away, or the card leaves the reader. */
  powerOff(): void;
  process(apdu: Uint8Array): Promise<Uint8Array>;
}

export type CardEvent = 'inserted' | 'removed' | 'waiting-for-reader';

export interface CardInReader {
  /** Takes the card out of the reader (closes the connection); it stays out until insert(). */
  remove(): void;
  /** Puts it back (connects again; retries each second until vpcd answers). */
  insert(): void;
  close(): void;
}

const RETRY_MS = 1000;

/**
 * Connects `card` to vpcd at host:port and keeps it in the reader: a refused
 * or dropped connection is retried every second until remove() or close().
 * Messages are answered one at a time, in order, as vpcd expects.
 */
export function insertCard(card: VirtualCard, where: { host: string; port: number }, onEvent: (e: CardEvent) => void = () => undefined): CardInReader {
  let wanted = true;
  let socket: Socket | undefined;
  let retry: NodeJS.Timeout | undefined;
  let saidWaiting = false;

  const connect = (): void => {
    retry = undefined;
    if (!wanted || socket) return;
    const s = createConnection({ host: where.host, port: where.port });
    socket = s;
    s.setNoDelay(true);
    const framer = new VpcdFramer();
    let queue: Promise<void> = Promise.resolve();
    let connected = false;
    s.on('connect', () => {
      connected = true;
      saidWaiting = false;
      onEvent('inserted');
    });
    s.on('data', (chunk: Buffer) => {
      for (const payload of framer.push(chunk)) {
        queue = queue.then(async () => {
          const reply = await answer(card, classifyVpcdMessage(payload));
          if (reply && !s.destroyed) s.write(vpcdFrame(reply));
        });
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (socket === s) socket = undefined;
      card.powerOff();
      if (connected) onEvent('removed');
      else if (!saidWaiting && wanted) {
        saidWaiting = true;
        onEvent('waiting-for-reader');
      }
      if (wanted && !retry) retry = setTimeout(connect, RETRY_MS);
    });
  };

  const stop = (): void => {
    wanted = false;
    clearTimeout(retry);
    retry = undefined;
    socket?.destroy();
  };
  connect();
  return {
    remove: stop,
    insert: () => {
      if (wanted) return;
      wanted = true;
      connect();
    },
    close: stop,
  };
}

async function answer(card: VirtualCard, m: VpcdMessage): Promise<Uint8Array | undefined> {
  switch (m.kind) {
    case 'power-on':
    case 'reset':
      card.powerUp();
      return undefined;
    case 'power-off':
      card.powerOff();
      return undefined;
    case 'get-atr':
      return card.atr;
    case 'control':
      return undefined; // unknown control codes carry no reply in vpcd's protocol
    case 'apdu':
      return card.process(m.bytes);
  }
}
