/**
 * The native PC/SC binding (pcsc-mini, an optional dependency), loaded only
 * when a command lists or opens PC/SC readers. Without it, or without the
 * PC/SC service (pcscd on Linux), HID keys work unchanged; only a pcsc:
 * selector fails, with one line naming what to install.
 */
import { Fido2Error } from '../../errors.js';
import type { CardLink } from './iso7816-channel.js';

/** A reader as the PC/SC service reports it. */
export interface ReaderState {
  name: string;
  cardPresent: boolean;
}

/** A PC/SC context: the readers it sees and connections to their cards. */
export interface PcscSystem {
  readers(): Promise<ReaderState[]>;
  connect(readerName: string): Promise<CardLink>;
  close(): void;
}

/**
 * What to install, per system, for a pcsc: selector to work. Linux needs the
 * pcscd service and its client library; macOS and Windows have PC/SC built in,
 * so there only the optional npm dependency can be missing.
 */
export function pcscInstallHint(missing: 'binding' | 'service', platform: NodeJS.Platform = process.platform): string {
  const npm = 'the optional dependency pcsc-mini (npm install pcsc-mini where fido2-manage is installed)';
  if (platform === 'linux') {
    return missing === 'service'
      ? 'install and start the PC/SC service (Debian/Ubuntu: apt install pcscd libpcsclite1; systemctl start pcscd.socket)'
      : `install libpcsclite1 and pcscd (Debian/Ubuntu: apt install pcscd libpcsclite1) and ${npm}`;
  }
  if (platform === 'darwin' || platform === 'win32') {
    return missing === 'service' ? 'check that the smart card service is running (Windows: "Smart Card" service)' : `install ${npm}; the system's PC/SC is built in`;
  }
  return `this system needs a PC/SC service and ${npm}`;
}

export function pcscUnavailable(why: string, missing: 'binding' | 'service', cause?: unknown): Fido2Error {
  return new Fido2Error('unsupported', `PC/SC readers cannot be used: ${why}; ${pcscInstallHint(missing)}.`, { cause, reason: 'pcsc-unavailable' });
}

/** pcsc-mini's error codes (PC/SC SCARD_E_* / SCARD_W_* names) that mean the card or reader went away. */
const GONE = new Set(['RemovedCard', 'ResetCard', 'NoSmartcard', 'ReaderUnavailable', 'UnknownReader', 'UnpoweredCard', 'UnresponsiveCard', 'NoReadersAvailable']);

const codeOf = (e: unknown): string => (typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '');

/**
 * A card that leaves the field mid-command reads like an unplugged USB key
 * (node-hid-transport.ts words it the same way), so the advice is the same.
 */
export function cardError(label: string, op: string, error: unknown): Fido2Error {
  const code = codeOf(error) || (error instanceof Error ? error.message : String(error));
  if (GONE.has(codeOf(error))) {
    return new Fido2Error('transport', `The security key at ${label} was disconnected (${op} failed: ${code}); put it back on the reader (or plug it in again) and retry`, { cause: error, reason: 'disconnected' });
  }
  if (codeOf(error) === 'SharingViolation') {
    return new Fido2Error('transport', `The card at ${label} is in use by another program (${code}); close programs using it and retry`, { cause: error });
  }
  if (codeOf(error) === 'NoService') return pcscUnavailable('the PC/SC service is not running', 'service', error);
  return new Fido2Error('transport', `PC/SC ${op} failed at ${label} (${code}); hold the key still on the reader and retry`, { cause: error });
}

interface MiniReader {
  name(): string;
  on(event: 'change', fn: (status: { has(flag: number): boolean }) => void): unknown;
  connect(mode: number): Promise<MiniCard>;
}
interface MiniCard {
  transmit(input: Uint8Array, outputBuffer?: ArrayBuffer): Promise<Uint8Array>;
  state(): Promise<{ atr: Uint8Array }>;
  disconnect(then: number): Promise<void>;
}
interface MiniModule {
  Client: new () => {
    on(event: 'reader', fn: (r: MiniReader) => void): unknown;
    on(event: 'error', fn: (e: unknown) => void): unknown;
    start(): unknown;
    stop(): void;
    reader(name: string): MiniReader | undefined;
  };
  ReaderStatus: { PRESENT: number };
  CardMode: { SHARED: number };
  CardDisposition: { LEAVE: number; RESET: number };
}

async function loadMini(): Promise<MiniModule> {
  try {
    const mod = (await import('pcsc-mini' as string)) as { default?: MiniModule } & MiniModule;
    return mod.default ?? mod;
  } catch (error) {
    throw pcscUnavailable(`the PC/SC binding pcsc-mini did not load (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`, 'binding', error);
  }
}

/**
 * The service reports the readers it has right after start, one event each;
 * the listing is what arrived once no new report came for a short while.
 */
const SETTLE_MS = 150;
const LIST_LIMIT_MS = 2000;

export async function openPcsc(): Promise<PcscSystem> {
  // FIDO2_MANAGE_PCSC=off: readers are never looked at, as on a machine without PC/SC (HID keys unaffected).
  if (process.env.FIDO2_MANAGE_PCSC === 'off') {
    throw new Fido2Error('unsupported', 'PC/SC readers cannot be used: FIDO2_MANAGE_PCSC=off turns them off; unset it to use readers.', { reason: 'pcsc-unavailable' });
  }
  const mini = await loadMini();
  const client = new mini.Client();
  const states = new Map<string, ReaderState>();
  let lastEvent = Date.now();
  client.on('error', () => undefined);
  client.on('reader', (r) => {
    lastEvent = Date.now();
    r.on('change', (status) => {
      lastEvent = Date.now();
      states.set(r.name(), { name: r.name(), cardPresent: status.has(mini.ReaderStatus.PRESENT) });
    });
  });
  try {
    client.start();
  } catch (error) {
    if (codeOf(error) === 'NoReadersAvailable') return emptySystem(client);
    if (codeOf(error) === 'NoService') throw pcscUnavailable('the PC/SC service is not running', 'service', error);
    throw pcscUnavailable(`the PC/SC service did not answer (${codeOf(error) || String(error)})`, 'service', error);
  }
  const started = Date.now();
  let settled: Promise<void> | undefined;
  const settle = (): Promise<void> =>
    (settled ??= (async () => {
      while (Date.now() - lastEvent < SETTLE_MS && Date.now() - started < LIST_LIMIT_MS) {
        await new Promise((res) => setTimeout(res, SETTLE_MS / 3));
      }
    })());
  return {
    async readers() {
      await settle();
      return [...states.values()].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    },
    async connect(name) {
      await settle();
      const reader = client.reader(name);
      const label = `pcsc:${name}`;
      if (!reader) throw new Fido2Error('no-device', `The PC/SC reader "${name}" is gone; check \`fido2-manage list\``);
      let card: MiniCard;
      try {
        card = await reader.connect(mini.CardMode.SHARED);
      } catch (error) {
        throw cardError(label, 'connect', error);
      }
      // Without an ATR the card is taken for short APDUs only, which every card understands.
      const atr = await card.state().then((st) => Uint8Array.from(st.atr), () => undefined);
      return {
        label,
        ...(atr ? { atr } : {}),
        async transmit(apdu) {
          try {
            // pcsc-mini sizes its default answer buffer for short APDUs (264 bytes): an extended one needs room for 64 KiB.
            return await (isExtendedApdu(apdu) ? card.transmit(apdu, new ArrayBuffer(EXTENDED_ANSWER_MAX)) : card.transmit(apdu));
          } catch (error) {
            throw cardError(label, 'transmit', error);
          }
        },
        // LEAVE: a reset would power-cycle the card, and a reset window or PIN-retries counter must not move under us.
        // Bounded: a disconnect pcscd never answers must not hold the command past its result (every wait is bounded).
        close: () => boundedClose(card.disconnect(mini.CardDisposition.LEAVE)),
      };
    },
    close: () => client.stop(),
  };
}

/** pcsc-lite's MAX_BUFFER_SIZE_EXTENDED: header, 3-byte Lc, 65536 data bytes, 2-byte Le... and the status word. */
const EXTENDED_ANSWER_MAX = 4 + 3 + 65536 + 2 + 2;

/** A short APDU is at most 5 bytes or has a non-zero Lc in byte 4; an extended one has 00 there and more after it. */
export const isExtendedApdu = (apdu: Uint8Array): boolean => apdu.length > 5 && apdu[4] === 0;

function emptySystem(client: { stop(): void }): PcscSystem {
  return {
    readers: async () => [],
    connect: async (name) => {
      throw new Fido2Error('no-device', `No PC/SC reader named "${name}" is connected`);
    },
    close: () => {
      try {
        client.stop();
      } catch {
        // Never started: nothing to stop.
      }
    },
  };
}

/** How long closing a card may take before the tool goes on without waiting (the card is left as it is either way). */
export const CARD_CLOSE_MS = 2_000;

function boundedClose(closing: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, CARD_CLOSE_MS);
    timer.unref();
  });
  return Promise.race([closing.then(() => undefined, () => undefined), late]).finally(() => clearTimeout(timer));
}
