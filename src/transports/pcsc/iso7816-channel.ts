/**
 * A key reached through ISO 7816 APDUs (a PC/SC reader: NFC, or a CCID key),
 * as a KeyChannel: the sibling of CtapHidDevice for the CTAP2 client. The
 * applet is selected once on open; CTAP2 messages go as NFCCTAP_MSG.
 */
import type { CborRequestOptions } from '../../ctap/ctap2.js';
import type { ChannelCapabilities, KeyChannel } from '../../ctap/channel.js';
import { Fido2Error } from '../../errors.js';
import { type AppletVersion, parseResponse, swHex } from './apdu.js';
import { announcesExtendedLength } from './atr.js';
import { type ApduPipe, nfcctapMsg, selectApplet } from './exchange.js';

/** An open connection to the card in one reader. */
export interface CardLink extends ApduPipe {
  /** `pcsc:<reader name>`. */
  readonly label: string;
  /** The card's ATR, when the reader reports it: it says whether the card takes extended APDUs. */
  readonly atr?: Uint8Array;
  close(): Promise<void>;
}

export interface Iso7816Options {
  /** One line per APDU: header, lengths and status word only (no data: it may carry PIN material). */
  log?: (line: string) => void;
  pollMs?: number;
  /** Extended APDUs: forced on or off; by default on when the ATR announces them (atr.ts). */
  extended?: boolean;
  /** Bound on each APDU's answer (--timeout); a touch wait is many short polls, each bounded. Default 5000 ms. */
  timeoutMs?: number;
}

export interface ApduStats {
  apdusSent: number;
}

/** Extended APDUs for this card: the caller's choice, else what the ATR announces. */
export const useExtended = (opts: Iso7816Options, atr: Uint8Array | undefined): boolean => opts.extended ?? announcesExtendedLength(atr);

export class Iso7816Channel implements KeyChannel {
  /** Extended APDUs in use; turned off for good when the card refuses one. */
  private extended: boolean;

  private constructor(
    private readonly link: CardLink,
    private readonly pipe: ApduPipe,
    /** What the SELECT answer named: FIDO_2_0, U2F_V2, or unknown for a bare 9000. */
    readonly applet: AppletVersion,
    private readonly caps: ChannelCapabilities,
    private readonly opts: Iso7816Options,
    /** APDUs sent since open, SELECT included (for the benchmarks). */
    readonly stats: ApduStats,
  ) {
    this.extended = useExtended(opts, link.atr);
  }

  /** Whether commands go as one extended APDU (true) or chained short ones. */
  get extendedApdus(): boolean {
    return this.extended;
  }

  /** Selects the FIDO applet; a card that names no protocol or U2F_V2 is probed with getInfo, as a CTAP2 key also answers U2F_V2. */
  static async open(link: CardLink, opts: Iso7816Options = {}): Promise<Iso7816Channel> {
    const stats: ApduStats = { apdusSent: 0 };
    const pipe = countingPipe(link, stats, opts.log, opts.timeoutMs ?? 5000);
    const applet = await selectApplet(pipe);
    let cbor = applet === 'FIDO_2_0';
    if (!cbor) cbor = await answersCtap2(pipe, opts);
    if (!cbor && applet === 'unknown') {
      throw new Fido2Error('unsupported', `The card in ${link.label} has a FIDO applet that answers neither CTAP2 nor names U2F; use it over USB`);
    }
    return new Iso7816Channel(link, pipe, applet, { wink: false, cbor, nmsg: applet === 'U2F_V2' }, opts, stats);
  }

  get label(): string {
    return this.link.label;
  }

  get capabilities(): ChannelCapabilities {
    return this.caps;
  }

  async cbor(request: Uint8Array, opts: CborRequestOptions = {}): Promise<Uint8Array> {
    try {
      try {
        return await nfcctapMsg(this.pipe, request, { ...opts, ...this.msgOptions() });
      } catch (error) {
        // 6985 before the command ran: the applet is not selected any more, because the card was powered up again
        // (the reader, or another PC/SC client, reset it: a card comes back from every power-up deselected, CTAP 2.1
        // §11.3). Nothing was done on the key, so select it again and send the command once more.
        if (!(error instanceof Fido2Error && error.reason === 'sw-6985')) throw error;
        await selectApplet(this.pipe);
        return await nfcctapMsg(this.pipe, request, { ...opts, ...this.msgOptions() });
      }
    } catch (error) {
      // A new SELECT ends whatever the applet was doing (it resets its state), so the card stops waiting for a touch.
      if (error instanceof Fido2Error && error.kind === 'cancelled') await selectApplet(this.pipe).catch(() => undefined);
      throw error;
    }
  }

  /** Cards have no wink (CTAP 2.1 §11.3 defines none). */
  async wink(): Promise<void> {}

  close(): Promise<void> {
    return this.link.close();
  }

  private msgOptions(): { pollMs?: number; extended?: boolean; onShortOnly?: () => void } {
    return {
      ...(this.opts.pollMs === undefined ? {} : { pollMs: this.opts.pollMs }),
      ...(this.extended
        ? {
            extended: true,
            onShortOnly: () => {
              this.extended = false;
              this.opts.log?.(`${this.link.label}: the card refused an extended APDU; using short APDUs`);
            },
          }
        : {}),
    };
  }
}

/** getInfo as a probe: status byte 0x00 means CTAP2; a status word or CTAP1_ERR_INVALID_COMMAND means U2F only. */
async function answersCtap2(pipe: ApduPipe, opts: Iso7816Options): Promise<boolean> {
  try {
    const reply = await nfcctapMsg(pipe, Uint8Array.of(0x04), opts.pollMs === undefined ? {} : { pollMs: opts.pollMs });
    return reply[0] === 0x00;
  } catch (error) {
    if (error instanceof Fido2Error && (error.kind === 'unsupported' || error.kind === 'key-error')) return false;
    throw error;
  }
}

function countingPipe(link: CardLink, stats: ApduStats, log: ((line: string) => void) | undefined, timeoutMs: number): ApduPipe {
  return {
    async transmit(apdu: Uint8Array): Promise<Uint8Array> {
      stats.apdusSent++;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Fido2Error('transport', `No answer from the card at ${link.label} within ${timeoutMs / 1000} s; hold it still on the reader (or replug it) and retry`, { reason: 'timeout' })),
          timeoutMs,
        );
      });
      const reply = await Promise.race([link.transmit(apdu), late]).finally(() => clearTimeout(timer));
      if (log) {
        const h = (b: number | undefined): string => (b ?? 0).toString(16).padStart(2, '0');
        const sw = reply.length >= 2 ? swHex(parseResponse(reply).sw) : '----';
        log(`APDU ${h(apdu[0])} ${h(apdu[1])} ${h(apdu[2])} ${h(apdu[3])} (${apdu.length} bytes) -> ${reply.length - 2} bytes SW ${sw}`);
      }
      return reply;
    },
  };
}
