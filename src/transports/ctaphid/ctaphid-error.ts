import { Fido2Error } from '../../errors.js';
import { ERR, errorName, type CtapHidErrorName } from './commands.js';

/** What each CTAPHID_ERROR code means for the user, and what to do about it. */
const ADVICE: Record<CtapHidErrorName, string> = {
  INVALID_CMD: 'the security key does not support this CTAPHID command',
  INVALID_PAR: 'the security key rejected a request parameter',
  INVALID_LEN: 'the security key rejected the request length',
  INVALID_SEQ: 'the security key lost a packet of the request; retry',
  MSG_TIMEOUT: 'the security key timed out waiting for the rest of the request; retry',
  CHANNEL_BUSY: 'the security key is busy with another application; close other FIDO programs and retry',
  LOCK_REQUIRED: 'another application holds a lock on the security key; close it and retry',
  INVALID_CHANNEL: 'the security key forgot our channel (was it re-plugged?); retry',
  OTHER: 'the security key reported an unspecified error; re-plug it and retry',
  UNKNOWN: 'the security key reported an unknown CTAPHID error; re-plug it and retry',
};

/** A CTAPHID_ERROR reply (CTAP 2.1 §11.2.9.1.6), with the code kept for callers that branch on it. */
export class CtapHidError extends Fido2Error {
  readonly codeName: CtapHidErrorName;

  constructor(
    readonly code: number,
    message?: string,
  ) {
    const name = errorName(code);
    super(
      'transport',
      message ??
        `CTAPHID error ${name} (0x${code.toString(16).padStart(2, '0')}): ${ADVICE[name]}`,
    );
    this.codeName = name;
    this.name = 'CtapHidError';
  }

  static readonly CODES = ERR;
}
