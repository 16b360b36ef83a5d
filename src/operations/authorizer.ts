/**
 * How an operation gets the user's verification when the key needs it. The
 * CLI's authorizer reads the PIN sources and prompts; a script passes strings or
 * callbacks. Operations ask for a PIN only after every local check has passed,
 * and send it only after the key's retries were read (operations/token.ts).
 */
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { Fido2Error } from '../errors.js';

export interface PinRequest {
  /** The key's label, for prompts. */
  readonly label: string;
  readonly info: AuthenticatorInfo;
  /** 'set': the key has no PIN yet (a lone PIN source may serve as the new one); 'change': a new PIN replaces the current one. */
  readonly purpose?: 'set' | 'change';
}

export interface Authorizer {
  /** The key's current PIN. */
  currentPin(req: PinRequest): Promise<string>;
  /** The PIN to set. */
  newPin(req: PinRequest): Promise<string>;
  /** Verify with the key's built-in UV (a fingerprint) instead of the PIN. */
  readonly useUv?: boolean;
  readonly pinProtocol?: 1 | 2;
  /** Refuse to send a PIN when this many attempts or fewer are left; `minRetriesName` names the setting in messages. */
  readonly minRetries?: number;
  readonly minRetriesName?: string;
  /** The key waits for the user: a finger on the sensor. */
  onPrompt?(what: 'uv'): void;
}

export type PinSource = string | ((req: PinRequest) => string | Promise<string>);

export interface PinAuthorizerOptions {
  useUv?: boolean;
  pinProtocol?: 1 | 2;
  minRetries?: number;
  /** How messages name minRetries (the CLI says `--min-retries`). */
  minRetriesName?: string;
  onPrompt?: (what: 'uv') => void;
}

/**
 * The library's authorizer: the current PIN and the new one as strings or
 * callbacks. Without a new PIN, setting a first PIN uses the current one, as
 * `apply` does with one PIN per key.
 */
export function pinAuthorizer(pins: { current?: PinSource; new?: PinSource } = {}, o: PinAuthorizerOptions = {}): Authorizer {
  const take = async (source: PinSource | undefined, req: PinRequest, what: string): Promise<string> => {
    if (source === undefined) throw new Fido2Error('pin-required', `This needs ${what} and none was given; nothing was changed on the key.`);
    return typeof source === 'string' ? source : await source(req);
  };
  return {
    currentPin: (req) => take(pins.current, req, "the key's PIN"),
    newPin: (req) => take(pins.new ?? (req.purpose === 'set' ? pins.current : undefined), req, 'a new PIN'),
    ...(o.useUv === undefined ? {} : { useUv: o.useUv }),
    ...(o.pinProtocol === undefined ? {} : { pinProtocol: o.pinProtocol }),
    ...(o.minRetries === undefined ? {} : { minRetries: o.minRetries, minRetriesName: o.minRetriesName ?? 'minRetries' }),
    ...(o.onPrompt === undefined ? {} : { onPrompt: o.onPrompt }),
  };
}
