/**
 * The point of no return of one command, for every command at once: the
 * channel the session's Ctap2 talks through knows which requests change what
 * the key holds (src/ctap/key-changes.ts) and whether the key accepted one.
 *
 * Before the key accepted a change, Ctrl-C stops everything (CTAPHID_CANCEL to
 * a pending touch): nothing was changed, exit 130. After, Ctrl-C no longer
 * stops the requests that only read, so the command finishes its read-back and
 * reports what the key holds; a further change is not sent, and the run ends
 * with what was applied and the key's state read back (kind `partial`).
 */
import type { CborChannel, CborRequestOptions } from '../ctap/ctap2.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { requestChange, type ChangeTracking } from '../ctap/key-changes.js';
import { Fido2Error } from '../errors.js';
import { type SettingsJson as KeyState, settingsJson } from './key-state.js';
import { keyStateFromInfo } from '../operations/settings-plan.js';

export class ChangeGuard implements CborChannel {
  /** The changes the key accepted (status 0), in order. */
  readonly applied: string[] = [];
  private readonly tracking: ChangeTracking = {};

  constructor(
    private readonly inner: CborChannel,
    private readonly interrupt: AbortSignal,
  ) {}

  async cbor(request: Uint8Array, opts: CborRequestOptions = {}): Promise<Uint8Array> {
    const change = requestChange(request, this.tracking);
    if (change !== undefined && this.interrupt.aborted && this.applied.length > 0) {
      throw new Fido2Error('cancelled', `Cancelled before ${change} was sent.`);
    }
    // A change in flight is still cancelled: the key's reply (success or KEEPALIVE_CANCEL) says whether it applied it.
    const stoppable = this.applied.length === 0 || change !== undefined;
    const signal = opts.signal ?? (stoppable ? this.interrupt : undefined);
    const { signal: _drop, ...rest } = opts;
    const reply = await this.inner.cbor(request, signal ? { ...rest, signal } : rest);
    if (change !== undefined && reply[0] === 0) this.applied.push(change);
    return reply;
  }

  /** After Ctrl-C: whether the key accepted a change, so the run is past its point of no return. */
  get pastPointOfNoReturn(): boolean {
    return this.interrupt.aborted && this.applied.length > 0;
  }

  /** The key's settings read back on a fresh signal (Ctrl-C has aborted the session's); undefined when it does not answer. */
  async readBack(): Promise<KeyState | undefined> {
    return new Ctap2(this.inner, { signal: new AbortController().signal }).getInfo().then((i) => settingsJson(keyStateFromInfo(i)), () => undefined);
  }

  /** The error a run cancelled after a change ends with: what was applied and what the key now holds. */
  async cancelledAfterChange(cause: unknown): Promise<Fido2Error> {
    const state = await this.readBack();
    const now = state === undefined ? 'the key did not answer the read-back; check it with `fido2-manage info`' : `the key now reads: ${describeState(state)}`;
    return new Fido2Error('partial', `Cancelled after the key applied ${this.applied.join(', ')}; ${now}.`, { cause, reason: 'cancelled-after-change' });
  }

  /** The notice for a run that Ctrl-C reached after the change: it finished, and its report is what the key holds. */
  finishedNotice(): string {
    return `Ctrl-C came after the key had applied ${this.applied.join(', ')}; the command finished and read the key back.`;
  }
}

export function describeState(s: KeyState): string {
  const parts = [s.pinSet ? 'PIN set' : 'no PIN', `minimum PIN length ${s.minPinLength}`];
  if (s.forcePinChange) parts.push('PIN change required');
  if (s.alwaysUv !== undefined) parts.push(`always-UV ${s.alwaysUv ? 'on' : 'off'}`);
  if (s.enterpriseAttestation !== undefined) parts.push(`enterprise attestation ${s.enterpriseAttestation ? 'on' : 'off'}`);
  return parts.join(', ');
}
