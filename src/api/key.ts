/**
 * One open security key for library users: read its info, manage the PIN and
 * the config settings. Config changes go through the same planner as `apply`,
 * so each is sent only when the key differs, and is read back.
 */
import { Ctap2 } from '../ctap/ctap2.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import type { CredentialListing, CredsMetadata } from '../ctap/credential-management.js';
import { Fido2Error } from '../errors.js';
import type { KeyChannel } from '../ctap/channel.js';
import { keyMutex } from '../fleet/mutex.js';
import { withKeyLock } from '../fleet/key-lock.js';
import { validatePolicy } from '../fleet/policy.js';
import { type Authorizer, pinAuthorizer } from '../operations/authorizer.js';
import { enableEnterpriseAttestation, forcePinChange, setAlwaysUv, setMinPinLength, type SettingResult } from '../operations/config.js';
import type { KeyHandle } from '../operations/key-handle.js';
import { changePin, readRetries, setPin, verifyPin } from '../operations/pin.js';
import { type ApplyKeyResult, applySettings } from '../operations/settings.js';
import { type KeyState, keyStateFromInfo, type Policy } from '../operations/settings-plan.js';
import { deleteFingerprint, type DeleteResult, enrollFingerprint, type EnrollResult, type FingerprintList, listFingerprints, renameFingerprint, type RenameResult, type TemplateIdInput } from '../operations/fingerprints.js';
import { callHandle, type DeleteFingerprintOptions, type EnrollFingerprintOptions, type FingerprintAuthOptions, fingerprintAuth } from './fingerprints.js';
import type { CredentialRef, Located } from '../operations/credential-ids.js';
import { credentialsMetadata, deleteCredential, type DeleteCredentialResult, findCredential, listCredentials, updateCredentialUser, type UpdateCredentialResult, type UserNames } from '../operations/credentials.js';
import {
  cleanLargeBlobs,
  deleteLargeBlob,
  getLargeBlob,
  type LargeBlobCleanResult,
  type LargeBlobCleanTarget,
  type LargeBlobDeleteTarget,
  type LargeBlobListResult,
  type LargeBlobSetResult,
  listLargeBlobs,
  setLargeBlob,
} from '../operations/large-blobs.js';
import { checkUserVerification, type UvCheckOptions, type UvCheckResult } from '../operations/uv-check/check.js';

export interface KeyOptions {
  /** Cancels the pending transaction (the key gets CTAPHID_CANCEL). */
  signal?: AbortSignal;
  /** Force PIN/UV auth protocol 1 or 2. */
  pinProtocol?: 1 | 2;
  /** Never send a PIN when this many attempts or fewer are left (the CLI's --min-retries). */
  minRetries?: number;
  /** How long an operation waits for another fido2-manage (CLI or library) to finish with the key (default 30 s). */
  lockTimeoutMs?: number;
  /** @internal The key's cross-process lock name, from `openKey`. */
  lockId?: string;
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
  async credentialsMetadata(pin: string): Promise<CredsMetadata> {
    return (await this.locked(() => credentialsMetadata(this.handle, this.auth({ current: pin })))).metadata;
  }

  /** Every stored passkey (or those of `rpId`), grouped by site; one PIN token for the whole listing. */
  async listCredentials(pin: string, opts: { rpId?: string } = {}): Promise<CredentialListing> {
    return (await this.locked(() => listCredentials(this.handle, this.auth({ current: pin }), opts))).listing;
  }

  /**
   * Deletes one passkey for good, named by its id (bytes), its base64url id or
   * a unique start of it; an unknown or ambiguous one is refused and nothing
   * changes. `confirm` sees the passkey before the delete (false: kind
   * `cancelled`). Read back: the key no longer lists it.
   */
  deleteCredential(pin: string, credentialId: CredentialRef, opts: { confirm?: (target: Located) => boolean | Promise<boolean> } = {}): Promise<DeleteCredentialResult> {
    return this.locked(() => deleteCredential(this.handle, this.auth({ current: pin }), credentialId, opts));
  }

  /**
   * Replaces the user name / display name stored with a passkey (CTAP 2.1 keys,
   * not the 0x41 preview); a name left out is kept, and so is the user id. Read back.
   */
  updateCredentialUser(pin: string, credentialId: CredentialRef, user: UserNames): Promise<UpdateCredentialResult> {
    return this.locked(() => updateCredentialUser(this.handle, this.auth({ current: pin }), credentialId, user));
  }

  /** A passkey's large blob (CTAP 2.1 §6.10): the data of the first entry its largeBlobKey opens, or undefined. */
  getLargeBlob(pin: string, credentialId: CredentialRef): Promise<Uint8Array | undefined> {
    return this.locked(async () => {
      try {
        return (await getLargeBlob(this.handle, this.auth({ current: pin }), credentialId)).data;
      } catch (e) {
        if (e instanceof Fido2Error && (e.reason === 'no-large-blob' || e.reason === 'no-large-blob-key')) return undefined;
        throw e;
      }
    });
  }

  /**
   * Stores `data` as the passkey's large blob, replacing the entries it had and
   * keeping all others; data that cannot fit is refused before the PIN is sent. Read back.
   */
  setLargeBlob(pin: string, credentialId: CredentialRef, data: Uint8Array): Promise<LargeBlobSetResult> {
    return this.locked(() => setLargeBlob(this.handle, this.auth({ current: pin }), credentialId, data));
  }

  /** Removes the passkey's large blob; false when it had none (nothing is written then). `confirm` as for deleteCredential. */
  deleteLargeBlob(pin: string, credentialId: CredentialRef, opts: { confirm?: (target: LargeBlobDeleteTarget) => boolean | Promise<boolean> } = {}): Promise<boolean> {
    return this.locked(async () => {
      try {
        await deleteLargeBlob(this.handle, this.auth({ current: pin }), credentialId, opts);
        return true;
      } catch (e) {
        if (e instanceof Fido2Error && e.reason === 'no-large-blob') return false;
        throw e;
      }
    });
  }

  /** The one passkey an id (bytes), base64url id or unique id prefix names, with its site. */
  findCredential(pin: string, credentialId: CredentialRef): Promise<Located> {
    return this.locked(() => findCredential(this.handle, this.auth({ current: pin }), credentialId));
  }

  /** Every element of the key's large-blob array with the passkey that owns it, `orphaned` or `other`, and the bytes used. */
  listLargeBlobs(pin: string): Promise<LargeBlobListResult> {
    return this.locked(() => listLargeBlobs(this.handle, this.auth({ current: pin })));
  }

  /**
   * Removes the large blobs no passkey on the key can open (a damaged array is
   * replaced by an empty one), keeps all else; `changed` false when there was
   * nothing to remove. `confirm` sees what goes before the write. Read back.
   */
  cleanLargeBlobs(pin: string, opts: { confirm?: (target: LargeBlobCleanTarget) => boolean | Promise<boolean> } = {}): Promise<LargeBlobCleanResult> {
    return this.locked(() => cleanLargeBlobs(this.handle, this.auth({ current: pin }), opts));
  }

  /** The fingerprint sensor's facts and the enrolled fingerprints (`fingerprints list`); the PIN, or `{ useUv: true }`. */
  listFingerprints(pin?: string, opts: FingerprintAuthOptions = {}): Promise<FingerprintList> {
    return this.locked(() => listFingerprints(this.handle, fingerprintAuth(this.auth({ current: pin }), opts)));
  }

  /**
   * Enrolls a finger (`fingerprints add`): `onCapture` says when the key waits
   * for the finger, `onSample` reports each capture (a bad one is captured
   * again). A name is checked before the first sample and set at the end; the
   * result is read back. A failure or `opts.signal` mid-way cancels the
   * enrollment on the key, which keeps no new template.
   */
  enrollFingerprint(pin: string | undefined, opts: EnrollFingerprintOptions = {}): Promise<EnrollResult> {
    return this.locked(() => enrollFingerprint(callHandle(this.handle, this.opts.signal, opts.signal), fingerprintAuth(this.auth({ current: pin }), opts), opts));
  }

  /** Names a fingerprint (id as bytes or as `list`'s hex), read back; a name over the sensor's limit is refused before anything is sent. */
  renameFingerprint(pin: string | undefined, id: TemplateIdInput, name: string, opts: FingerprintAuthOptions = {}): Promise<RenameResult> {
    return this.locked(() => renameFingerprint(this.handle, fingerprintAuth(this.auth({ current: pin }), opts), id, name));
  }

  /** Deletes a fingerprint for good after `opts.confirm(target)` (false cancels, nothing changed); read back. */
  deleteFingerprint(pin: string | undefined, id: TemplateIdInput, opts: DeleteFingerprintOptions = {}): Promise<DeleteResult> {
    return this.locked(() => deleteFingerprint(this.handle, fingerprintAuth(this.auth({ current: pin }), opts), id, opts));
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

  /** One operation at a time on this key: in this process, and (with a lock name) against every other fido2-manage. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const { lockId } = this.opts;
    if (lockId === undefined) return keyMutex.run(this.device.label, fn);
    const timeoutMs = this.opts.lockTimeoutMs ?? 30_000;
    return keyMutex.run(lockId, () => withKeyLock(lockId, { timeoutMs, ...(this.opts.signal ? { signal: this.opts.signal } : {}) }, fn));
  }
}
