/**
 * The FIDO applet of the virtual key as a contactless card (CTAP 2.1
 * §11.3): SELECT by AID, NFCCTAP_MSG / NFCCTAP_GETRESPONSE for CTAP2,
 * U2F APDUs for a U2F key, command chaining and 61XX response chaining.
 * Everything a host sends gets a status word; nothing throws out.
 */
import { CLA_CHAINING, type CommandApdu, Sw, parseCommandApdu, responseApdu, responseBudget, takeChunk } from './apdu.js';
import type { TransactionControl } from './ctaphid-device.js';

/** The FIDO applet's AID (CTAP 2.1 §11.3.2). */
export const FIDO_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x06, 0x47, 0x2f, 0x00, 0x01);

export const Ins = {
  SELECT: 0xa4,
  GET_RESPONSE: 0xc0,
  NFCCTAP_MSG: 0x10,
  NFCCTAP_GETRESPONSE: 0x11,
  U2F_REGISTER: 0x01,
  U2F_AUTHENTICATE: 0x02,
  U2F_VERSION: 0x03,
} as const;

/** NFCCTAP_MSG P1 bit: the host polls with NFCCTAP_GETRESPONSE, so the card may answer 9100 (§11.3.3). */
const P1_GETRESPONSE_SUPPORTED = 0x80;
/** CTAPHID keepalive status values, reused as the 9100 payload (§11.3.3). */
const STATUS_PROCESSING = 0x01;
const STATUS_UPNEEDED = 0x02;
/** Bounds what a command chain may pile up: more than any CTAP message (getInfo maxMsgSize is far below). */
export const MAX_CHAINED_DATA = 65536;

/** What the applet needs of the key behind it. */
export interface CardBackend {
  /** CTAP2 commands are served (else NFCCTAP_MSG is an unknown instruction). */
  readonly cbor: boolean;
  /** U2F APDUs are served (the SELECT answer is then "U2F_V2", §11.3.2). */
  readonly u2f: boolean;
  runCbor(request: Uint8Array, tx: TransactionControl): Promise<Uint8Array>;
  u2fMessage(apdu: Uint8Array): Uint8Array;
}

interface Operation {
  readonly abort: AbortController;
  waitingForUser: boolean;
  result: { data: Uint8Array; sw: number } | undefined;
  /** Resolves at the next change (finished, or started waiting for the user). */
  changed: Promise<void>;
  notify: () => void;
}

interface Chain {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly parts: Uint8Array[];
  length: number;
}

const status = (sw: number): Uint8Array => responseApdu(new Uint8Array(0), sw);

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export class NfcApplet {
  private selected = false;
  private chain: Chain | undefined;
  private leftover: Uint8Array | undefined;
  private op: Operation | undefined;

  /**
   * `pollMs`: how long NFCCTAP_GETRESPONSE waits for the command to finish before answering 9100.
   * `extendedLength`: extended APDUs are taken (ISO/IEC 7816-4 §5.1); false answers them 6700.
   */
  constructor(
    private readonly backend: CardBackend,
    private readonly pollMs = 100,
    private readonly extendedLength = true,
  ) {}

  /** The answer to SELECT: "U2F_V2" for a key that speaks U2F, else "FIDO_2_0" (§11.3.2). */
  get version(): string {
    return this.backend.u2f ? 'U2F_V2' : 'FIDO_2_0';
  }

  /** Power-up or warm reset: nothing is selected, chains and a command in flight are gone. */
  reset(): void {
    this.selected = false;
    this.chain = undefined;
    this.leftover = undefined;
    this.op?.abort.abort();
    this.op = undefined;
  }

  /** One command APDU in, one response APDU out. */
  async process(bytes: Uint8Array): Promise<Uint8Array> {
    const parsed = parseCommandApdu(bytes);
    if (!parsed.ok) return status(parsed.sw);
    const apdu = parsed.apdu;
    // A short-only card cannot read the 3-byte length at all: wrong length, and nothing of the APDU is used.
    if (apdu.extended && !this.extendedLength) return status(Sw.WRONG_LENGTH);
    const cla = apdu.cla & ~CLA_CHAINING;
    if (cla !== 0x00 && cla !== 0x80) return status(Sw.CLA_NOT_SUPPORTED);
    if (apdu.ins !== Ins.GET_RESPONSE) this.leftover = undefined;
    const whole = this.unchain(apdu);
    if (whole instanceof Uint8Array) return whole;
    return this.dispatch({ ...whole, cla });
  }

  /** Collects a command chain: every link but the last is acknowledged with 9000. */
  private unchain(apdu: CommandApdu): CommandApdu | Uint8Array {
    const c = this.chain;
    const sameCommand = c !== undefined && c.ins === apdu.ins && c.p1 === apdu.p1 && c.p2 === apdu.p2 && c.cla === (apdu.cla & ~CLA_CHAINING);
    if (c && !sameCommand) {
      this.chain = undefined;
      return status(Sw.LAST_COMMAND_OF_CHAIN_EXPECTED);
    }
    const more = (apdu.cla & CLA_CHAINING) !== 0;
    if (!more && !c) return apdu;
    const chain = c ?? { cla: apdu.cla & ~CLA_CHAINING, ins: apdu.ins, p1: apdu.p1, p2: apdu.p2, parts: [], length: 0 };
    chain.parts.push(apdu.data);
    chain.length += apdu.data.length;
    if (chain.length > MAX_CHAINED_DATA) {
      this.chain = undefined;
      return status(Sw.WRONG_LENGTH);
    }
    if (more) {
      this.chain = chain;
      return status(Sw.OK);
    }
    this.chain = undefined;
    return { ...apdu, data: concat(chain.parts) };
  }

  private async dispatch(apdu: CommandApdu): Promise<Uint8Array> {
    switch (apdu.ins) {
      case Ins.SELECT:
        return this.select(apdu);
      case Ins.GET_RESPONSE:
        return this.getResponse(apdu);
      case Ins.NFCCTAP_MSG:
      case Ins.NFCCTAP_GETRESPONSE:
        if (!this.backend.cbor) return status(Sw.INS_NOT_SUPPORTED);
        if (apdu.cla !== 0x80) return status(Sw.CLA_NOT_SUPPORTED);
        // CTAP 2.3 §11.3.2: nothing reaches the authenticator until the host has selected the applet.
        if (!this.selected) return status(Sw.CONDITIONS_NOT_SATISFIED);
        return apdu.ins === Ins.NFCCTAP_MSG ? this.ctapMessage(apdu) : this.ctapPoll(apdu);
      case Ins.U2F_REGISTER:
      case Ins.U2F_AUTHENTICATE:
      case Ins.U2F_VERSION:
        if (!this.backend.u2f) return status(Sw.INS_NOT_SUPPORTED);
        if (apdu.cla !== 0x00) return status(Sw.CLA_NOT_SUPPORTED);
        if (!this.selected) return status(Sw.CONDITIONS_NOT_SATISFIED);
        return this.u2f(apdu);
      default:
        return status(Sw.INS_NOT_SUPPORTED);
    }
  }

  private select(apdu: CommandApdu): Uint8Array {
    if (apdu.cla !== 0x00) return status(Sw.CLA_NOT_SUPPORTED);
    // Select by DF name, first or only occurrence (ISO/IEC 7816-4 §7.1.1).
    if (apdu.p1 !== 0x04 || (apdu.p2 & 0x03) !== 0) return status(Sw.INCORRECT_P1P2);
    this.op?.abort.abort();
    this.op = undefined;
    const match = apdu.data.length === FIDO_AID.length && apdu.data.every((b, i) => b === FIDO_AID[i]);
    this.selected = match;
    if (!match) return status(Sw.FILE_NOT_FOUND);
    return responseApdu(new TextEncoder().encode(this.version), Sw.OK);
  }

  private getResponse(apdu: CommandApdu): Uint8Array {
    if (apdu.cla !== 0x00 || apdu.p1 !== 0 || apdu.p2 !== 0) return status(apdu.cla !== 0x00 ? Sw.CLA_NOT_SUPPORTED : Sw.INCORRECT_P1P2);
    const rest = this.leftover;
    if (!rest) return status(Sw.CONDITIONS_NOT_SATISFIED);
    return this.deliver(rest, apdu, Sw.OK);
  }

  /** Sends what fits in this response and keeps the rest for GET RESPONSE. */
  private deliver(data: Uint8Array, apdu: CommandApdu, finalSw: number): Uint8Array {
    const { reply, rest } = takeChunk(data, responseBudget(apdu), finalSw);
    this.leftover = rest.length > 0 ? rest : undefined;
    return reply;
  }

  private async ctapMessage(apdu: CommandApdu): Promise<Uint8Array> {
    if (apdu.data.length === 0) return status(Sw.WRONG_LENGTH);
    if (this.op && !this.op.result) return status(Sw.CONDITIONS_NOT_SATISFIED);
    const op = this.start(apdu.data);
    if ((apdu.p1 & P1_GETRESPONSE_SUPPORTED) === 0) {
      while (!op.result) await op.changed;
    } else {
      // Without a wait for the user the answer comes at once; with one, the host polls (9100).
      while (!op.result && !op.waitingForUser) await op.changed;
    }
    return this.answer(op, apdu);
  }

  private async ctapPoll(apdu: CommandApdu): Promise<Uint8Array> {
    const op = this.op;
    if (!op) return status(Sw.CONDITIONS_NOT_SATISFIED);
    if (!op.result) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([op.changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, this.pollMs)))]);
      clearTimeout(timer);
    }
    return this.answer(op, apdu);
  }

  private answer(op: Operation, apdu: CommandApdu): Uint8Array {
    if (!op.result) return responseApdu(Uint8Array.of(op.waitingForUser ? STATUS_UPNEEDED : STATUS_PROCESSING), Sw.CTAP_UPDATE);
    if (this.op === op) this.op = undefined;
    return this.deliver(op.result.data, apdu, op.result.sw);
  }

  private start(request: Uint8Array): Operation {
    const op = { abort: new AbortController(), waitingForUser: false, result: undefined } as Operation;
    // Every change resolves the current `changed` and arms a fresh one for the next wait.
    const arm = (): void => {
      op.changed = new Promise<void>((resolve) => {
        op.notify = () => {
          arm();
          resolve();
        };
      });
    };
    arm();
    const tx: TransactionControl = {
      signal: op.abort.signal,
      setWaitingForUser: (waiting) => {
        if (waiting === op.waitingForUser) return;
        op.waitingForUser = waiting;
        op.notify();
      },
    };
    this.op = op;
    this.backend.runCbor(request, tx).then(
      (data) => {
        op.result = { data, sw: Sw.OK };
        op.notify();
      },
      () => {
        op.result = { data: new Uint8Array(0), sw: Sw.NO_PRECISE_DIAGNOSIS };
        op.notify();
      },
    );
    return op;
  }

  private u2f(apdu: CommandApdu): Uint8Array {
    // The U2F layer takes the extended-length form (FIDO U2F raw message formats §3.2).
    const n = apdu.data.length;
    const header = [apdu.cla, apdu.ins, apdu.p1, apdu.p2];
    const raw = n === 0 ? Uint8Array.from([...header, 0, 0, 0]) : Uint8Array.from([...header, 0, n >>> 8, n & 0xff, ...apdu.data, 0, 0]);
    const reply = this.backend.u2fMessage(raw);
    const sw = reply.length >= 2 ? (reply[reply.length - 2]! << 8) | reply[reply.length - 1]! : Sw.NO_PRECISE_DIAGNOSIS;
    return this.deliver(reply.subarray(0, Math.max(0, reply.length - 2)), apdu, sw);
  }
}
