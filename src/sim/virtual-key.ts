/**
 * A FIDO2 security key in software: CTAPHID on the outside, a CTAP 2.x
 * authenticator inside. Hosts attach with connect(); several links share
 * one key the way several programs share one USB device.
 */
import { newAttestationIdentity, type AttestationIdentity } from './attestation.js';
import { handleCtapRequest } from './authenticator.js';
import { type KeyContext, freshVolatileState, type UserIo, type VolatileState } from './context.js';
import { Capability } from './ctaphid-frames.js';
import { CtapHidDevice, DEFAULT_TIMINGS, type HidBackend, type HidPort, type HidTimings, type TransactionControl } from './ctaphid-device.js';
import { awaitUserPresence, type PresenceMode } from './presence.js';
import { aaguidBytes, profile as profileOf, type Profile, type ProfileName } from './profiles.js';
import { freshState, replaceState, type PersistentState } from './state.js';
import { fail, Status } from './status.js';
import { u2fMessage } from './u2f.js';
import { DEFAULT_LARGE_BLOB_MAX, MAX_LARGE_BLOB_MAX, MIN_LARGE_BLOB_MAX } from './large-blobs.js';

export type { PresenceMode } from './presence.js';
export type { ProfileName } from './profiles.js';
export type { PersistentState } from './state.js';

export interface VirtualKeyOptions {
  /** Which CTAP version the key speaks; default 'fido-2.1'. */
  readonly profile?: ProfileName;
  /** A built-in fingerprint sensor (getInfo options uv, bioEnroll). */
  readonly uv?: boolean;
  /**
   * How many fingers a factory-new key with a sensor starts with; default 1
   * (getInfo uv true), 0 for a sensor with none. A given `state` brings its own.
   */
  readonly fingers?: number;
  /** How the simulated user answers requests for presence; default 'confirm'. */
  readonly presence?: PresenceMode;
  /** Accept authenticatorReset only this long after power-up; default: any time. */
  readonly resetWindowSeconds?: number;
  /**
   * The fido-2.1 profile's large-blob storage (getInfo maxSerializedLargeBlobArray),
   * default 4096 bytes; 0 makes a 2.1 key without authenticatorLargeBlobs.
   */
  readonly largeBlobMax?: number;
  readonly quirks?: { readonly toggleAlwaysUvIgnored?: boolean };
  /**
   * getInfo makeCredUvNotRqd (CTAP 2.1 keys only): true (the default) lets a protected key make
   * non-discoverable credentials without UV; false asks for UV on every registration once protected.
   */
  readonly makeCredUvNotRqd?: boolean;
  /** What the key remembers (e.g. loaded from a --state file); default: factory-new. */
  readonly state?: PersistentState;
  /** Called after every change to the persistent state. */
  readonly onStateChange?: (state: PersistentState) => void;
  /** How long the key waits for a touch before USER_ACTION_TIMEOUT; default 30 s, tests may shorten it. */
  readonly userActionTimeoutMs?: number;
  /** getInfo transports; default ['usb'] (`sim --vpcd` says ['nfc']). */
  readonly transports?: readonly string[];
  /** CTAPHID timings; tests may shorten them. */
  readonly timings?: Partial<HidTimings>;
}

/** One host's attachment: write() takes one 64-byte report without report ID. */
export interface SimLink {
  write(report: Uint8Array): void;
  close(): void;
}

export class VirtualKey {
  readonly profile: Profile;
  private readonly state: PersistentState;
  private volatile: VolatileState;
  private presence: PresenceMode;
  private fingerMatches = true;
  private readonly sampleScript: number[] = [];
  private readonly device: CtapHidDevice;
  private readonly options: VirtualKeyOptions;
  private attestationIdentity: AttestationIdentity | undefined;
  /** Set when the command being run could not save its change (persist). */
  private saveFailed = false;

  constructor(options: VirtualKeyOptions = {}) {
    const lbMax = options.largeBlobMax ?? 0;
    if (lbMax !== 0 && !(lbMax >= MIN_LARGE_BLOB_MAX && lbMax <= MAX_LARGE_BLOB_MAX)) {
      throw new RangeError(`largeBlobMax must be 0 or from ${MIN_LARGE_BLOB_MAX} to ${MAX_LARGE_BLOB_MAX}`);
    }
    this.options = options;
    this.profile = profileOf(options.profile ?? 'fido-2.1');
    this.state = options.state ?? freshState(aaguidBytes(this.profile));
    if (!options.state && options.uv === true) {
      for (let i = 1; i <= (options.fingers ?? 1); i++) this.state.fingerprints.push({ id: Uint8Array.of(0x00, i), name: undefined });
    }
    this.volatile = freshVolatileState(Date.now());
    this.presence = options.presence ?? 'confirm';
    const backend: HidBackend = {
      capabilities: this.profile.cbor ? Capability.WINK | Capability.CBOR | Capability.NMSG : Capability.WINK,
      cbor: (request, tx) => this.savedOrUndone(() => handleCtapRequest(this.context(tx), request)),
      msg: u2fMessage,
      wink: () => undefined,
    };
    this.device = new CtapHidDevice(backend, { ...DEFAULT_TIMINGS, ...options.timings });
  }

  /** Attaches a host; `onReport` receives every reply report, always asynchronously. */
  connect(onReport: (report: Uint8Array) => void): SimLink {
    let open = true;
    const queue: Uint8Array[] = [];
    let scheduled = false;
    const port: HidPort = {
      send: (report) => {
        if (!open) return;
        queue.push(report);
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          for (const r of queue.splice(0)) if (open) onReport(r);
        });
      },
    };
    return {
      write: (report) => {
        if (!open) throw new Error('the link to the virtual key is closed');
        this.device.receive(Uint8Array.from(report), port);
      },
      close: () => {
        if (!open) return;
        open = false;
        this.device.detach(port);
      },
    };
  }

  /**
   * Unplug and replug: key-agreement keys, tokens and the wrong-PIN streak
   * are forgotten and a transaction in flight is lost; stored state stays.
   */
  powerCycle(): void {
    this.device.powerCycle();
    this.volatile = freshVolatileState(Date.now());
  }

  /** Changes how the simulated user answers from now on. */
  setPresence(mode: PresenceMode): void {
    this.presence = mode;
  }

  /** Whether the finger on the built-in sensor matches the enrolled one (default true). */
  setFingerprintMatch(matches: boolean): void {
    this.fingerMatches = matches;
  }

  /**
   * What the next enrollment captures report, in order: lastEnrollSampleStatus
   * codes (CTAP 2.1 §6.7.2; 0 is a good sample, 0x05 too fast, 0x07 poor
   * quality, 0x0d no user activity...). Once used up, every sample is good.
   */
  scriptSamples(statuses: readonly number[]): void {
    this.sampleScript.push(...statuses);
  }

  /**
   * Runs one command so that its changes are kept only if they are saved: when
   * onStateChange throws (an unwritable --state file), persist() answers the
   * command with an error status and the state goes back to what it was before
   * the command, so memory and file stay alike and a restart loses nothing the
   * host was told had happened.
   */
  private async savedOrUndone(run: () => Promise<Uint8Array>): Promise<Uint8Array> {
    if (this.options.onStateChange === undefined) return run();
    const before = structuredClone(this.state);
    this.saveFailed = false;
    const reply = await run();
    if (this.saveFailed) replaceState(this.state, before);
    return reply;
  }

  /** A copy of what the key remembers across power cycles. */
  snapshot(): PersistentState {
    return structuredClone(this.state);
  }

  /**
   * A change the key cannot store is refused with CTAP2_ERR_KEY_STORE_FULL (§8.2: "internal key
   * storage is full"): of the CTAP statuses it is the one that says the key's storage did not take
   * the change, and it keeps such a failure apart from CTAP1_ERR_OTHER, which the key answers for
   * its own bugs. savedOrUndone() then puts the state back.
   */
  private persist(): void {
    try {
      this.options.onStateChange?.(this.state);
    } catch {
      this.saveFailed = true;
      fail(Status.KEY_STORE_FULL);
    }
  }

  /** The context one CBOR command runs in; exposed for white-box tests of the authenticator. */
  context(tx: TransactionControl): KeyContext {
    // A touch of the key, of the sensor for UV, or of the sensor for an enrollment sample: one wait, one timeout.
    const touch = (): Promise<void> => awaitUserPresence(this.presence, tx, this.options.userActionTimeoutMs);
    const io: UserIo = {
      userPresence: touch,
      builtInUv: async () => {
        await touch();
        return this.fingerMatches;
      },
      captureSample: async () => {
        await touch();
        return this.sampleScript.shift() ?? 0;
      },
    };
    const sensor = this.options.uv === true && this.profile.cbor;
    const state = this.state;
    const resetWindow = this.options.resetWindowSeconds;
    const largeBlobMax = this.profile.ctap21 ? (this.options.largeBlobMax ?? DEFAULT_LARGE_BLOB_MAX) : 0;
    return {
      profile: this.profile,
      state: this.state,
      volatile: this.volatile,
      sensor,
      get builtInUv() {
        return sensor && state.fingerprints.length > 0;
      },
      quirks: { toggleAlwaysUvIgnored: this.options.quirks?.toggleAlwaysUvIgnored === true },
      makeCredUvNotRqd: this.options.makeCredUvNotRqd !== false,
      resetWindowMs: resetWindow === undefined ? undefined : resetWindow * 1000,
      largeBlobMax: largeBlobMax > 0 ? largeBlobMax : undefined,
      ...(this.options.transports ? { transports: this.options.transports } : {}),
      io,
      attestation: () => (this.attestationIdentity ??= newAttestationIdentity(this.state.aaguid)),
      now: () => Date.now(),
      persist: () => this.persist(),
      factoryReset: () => {
        Object.assign(this.state, freshState(this.state.aaguid));
        // Everything volatile starts over too (tokens, key agreement, enrollments, writes), but not the power-up time.
        Object.assign(this.volatile, freshVolatileState(this.volatile.poweredUpAt));
        this.persist();
      },
    };
  }
}
