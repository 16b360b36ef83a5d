/**
 * One open security key for library users: read its info, manage the PIN and
 * the config settings. Config changes go through the same planner as `apply`,
 * so each is sent only when the key differs, and is read back.
 */
import { ClientPin } from '../ctap/client-pin.js';
import { Ctap2 } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_ACFG, PERM_CM, PERM_LBW } from '../ctap/permissions.js';
import { bytesEqual } from '../ctap/bytes.js';
import type { PinUvAuthToken } from '../ctap/client-pin.js';
import { decryptLargeBlob, largeBlobEntryToCbor, LargeBlobs, openLargeBlob, sealLargeBlob } from '../ctap/large-blobs.js';
import { type CredentialListing, CredentialManagement, type CredsMetadata, type UserEntity } from '../ctap/credential-management.js';
import { checkCurrentPin, checkNewPin, checkPinChange } from '../ctap/pin-policy.js';
import { guardRetries } from '../ctap/pin-guard.js';
import { Fido2Error } from '../errors.js';
import type { CtapHidDevice } from '../hid/ctaphid.js';
import { type ApplyKeyResult, applyToDevice } from '../fleet/apply.js';
import { keyMutex } from '../fleet/mutex.js';
import { type KeyState, keyStateFromInfo } from '../fleet/plan.js';
import { type Policy, validatePolicy } from '../fleet/policy.js';

export interface KeyOptions {
  /** Cancels the pending transaction (the key gets CTAPHID_CANCEL). */
  signal?: AbortSignal;
  /** Force PIN/UV auth protocol 1 or 2. */
  pinProtocol?: 1 | 2;
}

/** An open key. Close it when done. Operations on one key never interleave. */
export class Fido2Key {
  private readonly ctap: Ctap2;

  constructor(
    private readonly device: CtapHidDevice,
    private readonly opts: KeyOptions = {},
  ) {
    this.ctap = new Ctap2(device, opts.signal ? { signal: opts.signal } : {});
  }

  /** How the key was opened, e.g. `tcp:127.0.0.1:35962` or a HID path. */
  get label(): string {
    return this.device.label;
  }

  /** authenticatorGetInfo, parsed. */
  info(): Promise<AuthenticatorInfo> {
    return this.locked(() => this.ctap.getInfo());
  }

  /** The settings `apply` manages, as the key reports them. */
  async state(): Promise<KeyState> {
    return keyStateFromInfo(await this.info());
  }

  /** PIN attempts left before the PIN is blocked. */
  pinRetries(): Promise<number> {
    return this.locked(async () => (await (await this.clientPin()).getPinRetries()).retries);
  }

  /** Sets the first PIN; 'already-done' when the key has one. */
  setPin(newPin: string): Promise<void> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      if (info.options.clientPin === true) throw new Fido2Error('already-done', 'This key already has a PIN; use changePin.');
      await (await this.clientPin(info)).setPin(checkNewPin(newPin, info.minPINLength ?? 4));
    });
  }

  changePin(currentPin: string, newPin: string): Promise<void> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      const { current, next } = checkPinChange(currentPin, newPin, info.minPINLength ?? 4);
      const cp = await this.clientPin(info);
      await guardRetries(cp, { label: this.label });
      await cp.changePin(current, next);
    });
  }

  /** True when the PIN is right; a wrong PIN costs one attempt, as on any client. */
  verifyPin(pin: string): Promise<boolean> {
    return this.locked(async () => {
      const checked = checkCurrentPin(pin);
      const cp = await this.clientPin();
      await guardRetries(cp, { label: this.label });
      try {
        await cp.getPinToken(checked, PERM_ACFG);
        return true;
      } catch (e) {
        if (e instanceof CtapError && e.status === 0x31) return false;
        throw e;
      }
    });
  }

  /** Turns always-UV on or off (sent only when it differs). */
  setAlwaysUv(on: boolean, pin?: string): Promise<ApplyKeyResult> {
    return this.applyPolicy({ alwaysUv: on }, { pin });
  }

  /** Raises the minimum PIN length; a lower one than the key's is refused before anything is sent. */
  setMinPinLength(length: number, opts: { pin?: string; rpIds?: string[] } = {}): Promise<ApplyKeyResult> {
    return this.applyPolicy({ minPinLength: opts.rpIds ? { length, rpIds: opts.rpIds } : { length } }, { pin: opts.pin });
  }

  enableEnterpriseAttestation(pin?: string): Promise<ApplyKeyResult> {
    return this.applyPolicy({ enterpriseAttestation: true }, { pin });
  }

  /** The key will ask for a new PIN before its next use. */
  forcePinChange(pin?: string): Promise<ApplyKeyResult> {
    return this.applyPolicy({ forcePinChange: true }, { pin });
  }

  /**
   * Brings this key to `policy`: plans the differences, sends them, reads back.
   * `pin` is the key's PIN, or the one to set where it has none. Throws a
   * Fido2Error (with `.detail` holding the steps done) when it cannot.
   */
  applyPolicy(policy: Policy, opts: { pin?: string | undefined; newPin?: string; dryRun?: boolean } = {}): Promise<ApplyKeyResult> {
    const checked = validatePolicy(policy);
    const pins = { ...(opts.pin === undefined ? {} : { current: opts.pin }), ...((opts.newPin ?? opts.pin) === undefined ? {} : { new: (opts.newPin ?? opts.pin)! }) };
    const signal = this.opts.signal ?? new AbortController().signal;
    return this.locked(() =>
      applyToDevice(this.device, checked, { dryRun: opts.dryRun === true, pins, ...(this.opts.pinProtocol ? { pinProtocol: this.opts.pinProtocol } : {}) }, { signal, progress: () => undefined }),
    );
  }

  /** How many passkeys are stored and how many more fit (needs the PIN). */
  credentialsMetadata(pin: string): Promise<CredsMetadata> {
    return this.withCredentials(pin, (cm) => cm.metadata());
  }

  /** Every stored passkey, grouped by site; one PIN token for the whole listing. */
  listCredentials(pin: string): Promise<CredentialListing> {
    return this.withCredentials(pin, (cm) => cm.listAll());
  }

  /** Deletes one passkey for good. */
  deleteCredential(pin: string, credentialId: Uint8Array): Promise<void> {
    return this.withCredentials(pin, (cm) => cm.delete(credentialId));
  }

  /** Replaces the user name / display name stored with a passkey (CTAP 2.1 keys, not the 0x41 preview). */
  updateCredentialUser(pin: string, credentialId: Uint8Array, user: UserEntity): Promise<void> {
    return this.withCredentials(pin, (cm) => cm.updateUser(credentialId, user));
  }

  /** A passkey's large blob (CTAP 2.1 §6.10): the data of the first entry its largeBlobKey opens, or undefined. */
  getLargeBlob(pin: string, credentialId: Uint8Array): Promise<Uint8Array | undefined> {
    return this.withLargeBlobs(pin, false, credentialId, async (lb, key) => {
      for (const { entry } of key === undefined ? [] : (await lb.read()).items) {
        const data = entry === undefined ? undefined : openLargeBlob(key!, entry);
        if (data !== undefined) return data;
      }
      return undefined;
    });
  }

  /** Stores `data` as the passkey's large blob, replacing the entries it had and keeping all others; read back. */
  setLargeBlob(pin: string, credentialId: Uint8Array, data: Uint8Array): Promise<void> {
    return this.withLargeBlobs(pin, true, credentialId, async (lb, key, token) => {
      if (key === undefined) throw new Fido2Error('unsupported', 'This passkey was made without a largeBlobKey, so it cannot hold a large blob.', { reason: 'no-large-blob-key' });
      const others = (await lb.read()).items.filter((i) => i.entry === undefined || decryptLargeBlob(key, i.entry) === undefined);
      await lb.write([...others.map((i) => i.raw), largeBlobEntryToCbor(sealLargeBlob(key, data))], token);
      const back = (await lb.read()).items.map((i) => i.entry && openLargeBlob(key, i.entry)).filter((d) => d !== undefined);
      if (back.length !== 1 || !bytesEqual(back[0]!, data)) throw new Fido2Error('not-confirmed', 'The key accepted the large blob but does not read it back as written.');
    });
  }

  /** Removes the passkey's large blob; false when it had none (nothing is written then). */
  deleteLargeBlob(pin: string, credentialId: Uint8Array): Promise<boolean> {
    return this.withLargeBlobs(pin, true, credentialId, async (lb, key, token) => {
      const items = (await lb.read()).items;
      const others = items.filter((i) => key === undefined || i.entry === undefined || decryptLargeBlob(key, i.entry) === undefined);
      if (others.length === items.length) return false;
      await lb.write(others.map((i) => i.raw), token);
      return true;
    });
  }

  close(): Promise<void> {
    return this.device.close();
  }

  private async clientPin(info?: AuthenticatorInfo): Promise<ClientPin> {
    const i = info ?? (await this.ctap.getInfo());
    if (i.options.clientPin === undefined) throw new Fido2Error('unsupported', 'This key has no PIN support.');
    return new ClientPin(this.ctap, i, this.opts.pinProtocol ? { protocol: this.opts.pinProtocol } : {});
  }

  private withCredentials<T>(pin: string, fn: (cm: CredentialManagement) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      const checked = checkCurrentPin(pin);
      const cp = await this.clientPin(info);
      await guardRetries(cp, { label: this.label });
      const token = await cp.getPinToken(checked, PERM_CM);
      return fn(new CredentialManagement(this.ctap, info, token));
    });
  }

  /** One token (cm, plus lbw to write) finds the passkey's largeBlobKey by credential management. */
  private withLargeBlobs<T>(pin: string, write: boolean, credentialId: Uint8Array, fn: (lb: LargeBlobs, key: Uint8Array | undefined, token: PinUvAuthToken) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      const lb = new LargeBlobs(this.ctap, info);
      const checked = checkCurrentPin(pin);
      const cp = await this.clientPin(info);
      await guardRetries(cp, { label: this.label });
      const token = await cp.getPinToken(checked, write ? PERM_CM | PERM_LBW : PERM_CM);
      const listing = await new CredentialManagement(this.ctap, info, token).listAll();
      const found = listing.rps.flatMap((r) => r.credentials).find((c) => bytesEqual(c.credentialId, credentialId));
      if (found === undefined) throw new Fido2Error('usage', 'No passkey on this key has that credential id.', { reason: 'credential-unknown' });
      return fn(lb, found.largeBlobKey, token);
    });
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return keyMutex.run(this.device.label, fn);
  }
}
