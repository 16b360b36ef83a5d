import { Fido2Error } from '../errors.js';

/** A key's failure that carries what is known of the key so far (its state before, the steps done). */
export class KeyFailure<D> extends Fido2Error {
  constructor(
    cause: Fido2Error,
    readonly detail: D,
  ) {
    super(cause.kind, cause.message, cause.reason === undefined ? { cause } : { cause, reason: cause.reason });
    this.name = 'KeyFailure';
  }
}
