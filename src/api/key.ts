/**
 * One open security key for library users: read its info, manage the PIN and
 * the config settings. Config changes go through the same planner as `apply`,
 * so each is sent only when the key differs, and is read back.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_CM, PERM_LBW } from '../ctap/permissions.js';
import { bytesEqual } from '../ctap/bytes.js';
import type { PinUvAuthToken } from '../ctap/client-pin.js';
import { decryptLargeBlob, largeBlobEntryToCbor, LargeBlobs, openLargeBlob, sealLargeBlob } from '../ctap/large-blobs.js';
import { type CredentialListing, CredentialManagement, type CredsMetadata, type UserEntity } from '../ctap/credential-management.js';
import { Fido2Error } from '../errors.js';
import type { KeyChannel } from '../ctap/channel.js';
import { keyMutex } from '../fleet/mutex.js';
import { validatePolicy } from '../fleet/policy.js';
import { type Authorizer, pinAuthorizer } from '../operations/authorizer.js';
import { enableEnterpriseAttestation, forcePinChange, setAlwaysUv, setMinPinLength, type SettingResult } from '../operations/config.js';
import type { KeyHandle } from '../operations/key-handle.js';
import { changePin, readRetries, setPin, verifyPin } from '../operations/pin.js';
import { type ApplyKeyResult, applySettings } from '../operations/settings.js';
import { type KeyState, keyStateFromInfo, type Policy } from '../operations/settings-plan.js';
import { obtainToken } from '../operations/token.js';
import { checkUserVerification, type UvCheckOptions, type UvCheckResult } from '../operations/uv-check/check.js';

export interface KeyOptions {
  /** Cancels the pending transaction (the key gets CTAPHID_CANCEL). */
  signal?: AbortSignal;
  /** Force PIN/UV auth protocol 1 or 2. */
  pinProtocol?: 1 | 2;
  /** Never send a PIN when this many attempts or fewer are left (the CLI's --min-retries). */
  minRetries?: number;
}

/**
 * An open key. Close it when done. Operations on one key never interleave.
 * Each method runs the same operation as the matching CLI command
 * (src/operations/), with the same local checks, retries guard and read-back;
 * a PIN is a string here (or use the *With(auth) forms for callbacks).
 */
export class Fido2Key {
  private readonly ctap: Ctap2;
  private readonly handle: KeyHandle;

  /** @internal Keys are opened with `openKey(selector)`. */
  constructor(
    private readonly device: KeyChannel,
    private readonly opts: KeyOptions = {},
  ) {
    this.ctap = new Ctap2(device, opts.signal ? { signal: opts.signal } : {});
    this.handle = { device, ctap: this.ctap, label: device.label };
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
    return this.locked(async () => (await readRetries(this.handle, this.auth())).pinRetries);
  }

  /** Sets the first PIN; 'already-done' when the key has one. */
  async setPin(newPin: string): Promise<void> {
    await this.locked(() => setPin(this.handle, this.auth({ new: newPin })));
  }

  async changePin(currentPin: string, newPin: string): Promise<void> {
    await this.locked(() => changePin(this.handle, this.auth({ current: currentPin, new: newPin })));
  }

  /** True when the PIN is right; a wrong PIN costs one attempt, as on any client. */
  verifyPin(pin: string): Promise<boolean> {
    return this.locked(async () => {
      try {
        await verifyPin(this.handle, this.auth({ current: pin }));
        return true;
      } catch (e) {
        if (e instanceof Fido2Error && e.kind === 'pin-invalid') return false;
        throw e;
      }
    });
  }

  /** Turns always-UV on or off (sent only when it differs); the same operation as `uvs` / `uvd`. */
  setAlwaysUv(on: boolean, pin?: string): Promise<SettingResult> {
    return this.locked(() => setAlwaysUv(this.handle, this.auth({ current: pin }), on));
  }

  /** Raises the minimum PIN length; a lower one than the key's is refused before anything is sent. */
  setMinPinLength(length: number, opts: { pin?: string; rpIds?: string[]; forceChange?: boolean } = {}): Promise<SettingResult> {
    return this.locked(() => setMinPinLength(this.handle, this.auth({ current: opts.pin }), { length, ...(opts.rpIds ? { rpIds: opts.rpIds } : {}), ...(opts.forceChange ? { forceChange: true } : {}) }));
  }

  enableEnterpriseAttestation(pin?: string): Promise<SettingResult> {
    return this.locked(() => enableEnterpriseAttestation(this.handle, this.auth({ current: pin })));
  }

  /** The key will ask for a new PIN before its next use. */
  forcePinChange(pin?: string): Promise<SettingResult> {
    return this.locked(() => forcePinChange(this.handle, this.auth({ current: pin })));
  }

  /**
   * Brings this key to `policy`: plans the differences, sends them, reads back.
   * `pin` is the key's PIN, or the one to set where it has none. Throws a
   * Fido2Error (with `.detail` holding the steps done) when it cannot.
   */
  applyPolicy(policy: Policy, opts: { pin?: string | undefined; newPin?: string; dryRun?: boolean } = {}): Promise<ApplyKeyResult> {
    const checked = validatePolicy(policy);
    return this.locked(() => applySettings(this.handle, checked, this.auth({ current: opts.pin, new: opts.newPin }), { dryRun: opts.dryRun === true }));
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

  /**
   * What `uv-check` reports: per kind of request and WebAuthn userVerification value, what the person is asked
   * for and the UV flag the site gets, predicted from getInfo; with `live`, the key is asked (touches needed,
   * `pin` when it has one; only non-discoverable credentials are made, and the `includePasskey` test passkey is
   * deleted again) and `live.deviations` lists where it differs from CTAP 2.1. `onTouch` says when to touch.
   */
  checkUserVerification(opts: UvCheckOptions & { pin?: string } = {}): Promise<UvCheckResult> {
    const { pin, ...o } = opts;
    return this.locked(() => checkUserVerification(this.handle, this.auth({ current: pin }), o));
  }

  /** The library's authorizer for one call: PINs as given, the key's PIN protocol option. */
  private auth(pins: { current?: string | undefined; new?: string | undefined } = {}): Authorizer {
    const given = { ...(pins.current === undefined ? {} : { current: pins.current }), ...(pins.new === undefined ? {} : { new: pins.new }) };
    return pinAuthorizer(given, {
      ...(this.opts.pinProtocol ? { pinProtocol: this.opts.pinProtocol } : {}),
      ...(this.opts.minRetries === undefined ? {} : { minRetries: this.opts.minRetries }),
    });
  }

  private withCredentials<T>(pin: string, fn: (cm: CredentialManagement) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      const token = await obtainToken(this.handle, info, this.auth({ current: pin }), PERM_CM);
      return fn(new CredentialManagement(this.ctap, info, token));
    });
  }

  /** One token (cm, plus lbw to write) finds the passkey's largeBlobKey by credential management. */
  private withLargeBlobs<T>(pin: string, write: boolean, credentialId: Uint8Array, fn: (lb: LargeBlobs, key: Uint8Array | undefined, token: PinUvAuthToken) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const info = await this.ctap.getInfo();
      const lb = new LargeBlobs(this.ctap, info);
      const token = await obtainToken(this.handle, info, this.auth({ current: pin }), write ? PERM_CM | PERM_LBW : PERM_CM);
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
