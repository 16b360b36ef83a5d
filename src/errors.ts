/**
 * Every failure the tool reports carries a kind; the CLI turns the kind into a
 * documented exit code (src/exit-codes.ts). Messages are one line,
 * name the problem and what to do, and never contain a PIN.
 */
export type ErrorKind =
  | 'usage' // bad command line
  | 'no-device' // no key attached, or the selected one does not exist
  | 'transport' // I/O failed, device vanished, no reply in time, malformed reply
  | 'unsupported' // the key cannot do what was asked
  | 'pin-invalid' // wrong PIN
  | 'pin-blocked' // PIN blocked, or PIN auth blocked until a power cycle
  | 'pin-policy' // PIN too short/long, below minimum, forcePINChange
  | 'pin-required' // the operation needs a PIN (or UV) and none was given / set
  | 'presence' // user presence not given in time
  | 'presence-denied' // the user (or key) refused presence
  | 'reset-too-late' // authenticatorReset outside the key's window after power-up
  | 'wrong-key' // a different key came back after unplugging
  | 'replug-timeout' // the key was not unplugged, or did not come back, in time
  | 'cancelled' // cancelled by the user (Ctrl-C) or CTAPHID_CANCEL
  | 'not-confirmed' // the key did not read back the state that was asked for
  | 'already-done' // the key is already in a state the command cannot start from (PIN already set)
  | 'storage-full' // the data does not fit in the key's storage (large-blob array over maxSerializedLargeBlobArray)
  | 'not-found' // the key holds nothing of that kind for the item named (no large blob for that passkey)
  | 'partial' // several keys: some succeeded and some failed (or all failed in different ways)
  | 'key-deviates' // uv-check --live: the key answered differently from CTAP 2.1
  | 'key-error'; // any other error status from the key

export class Fido2Error extends Error {
  /** A finer, stable reason within the kind, for scripts (e.g. 'power-cycle-required'). */
  readonly reason: string | undefined;

  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: { cause?: unknown; reason?: string },
  ) {
    super(message, options);
    this.name = 'Fido2Error';
    this.reason = options?.reason;
  }
}
