/**
 * The CLI's authorizer: the PIN comes from the command line's sources or a
 * hidden prompt (pin-input.ts), the fingerprint notice goes to stderr. Every
 * rule about when a PIN may be sent lives in src/operations/token.ts.
 */
import type { ClientPin, PinUvAuthToken } from '../ctap/client-pin.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import type { Authorizer } from '../operations/authorizer.js';
import type { KeyHandle } from '../operations/key-handle.js';
import { clientPinFor as clientPinForKey, guardRetries as guardKeyRetries, obtainToken as obtainKeyToken } from '../operations/token.js';
import { type GlobalOptions, minRetries, pinProtocol } from './global-options.js';
import { notice } from './output.js';
import { type PinIo, processPinIo, readPin } from './pin-input.js';

export { explainWithRetries, isProtected } from '../operations/token.js';

export function cliAuthorizer(g: GlobalOptions, io: PinIo = processPinIo()): Authorizer {
  const protocol = pinProtocol(g);
  const floor = minRetries(g);
  return {
    currentPin: () => readPin('current', g, io),
    // FIDO2_PIN / --pin serve as the first PIN too, so `FIDO2_PIN=... fido2-manage set-pin` works in scripts.
    newPin: (req) => readPin('new', g, io, req.purpose === 'set' ? 'current' : undefined),
    ...(g.uv ? { useUv: true } : {}),
    ...(protocol === undefined ? {} : { pinProtocol: protocol }),
    ...(floor === undefined ? {} : { minRetries: floor, minRetriesName: '--min-retries' }),
    onPrompt: () => notice('Verify with your fingerprint on the key...'),
  };
}

export function clientPinFor(s: KeyHandle, info: AuthenticatorInfo, g: GlobalOptions): ClientPin {
  return clientPinForKey(s, info, cliAuthorizer(g));
}

/** obtainToken (src/operations/token.ts) with the command line's PIN sources. */
export function obtainToken(
  s: KeyHandle,
  info: AuthenticatorInfo,
  g: GlobalOptions,
  io: PinIo,
  permissions: number,
  cp?: ClientPin,
  opts: { rpId?: string } = {},
): Promise<PinUvAuthToken> {
  const auth = cliAuthorizer(g, io);
  return obtainKeyToken(s, info, auth, permissions, cp ?? clientPinForKey(s, info, auth), opts);
}

/** guardRetries with the command line's --min-retries. */
export function guardRetries(cp: ClientPin, g: GlobalOptions, label = ''): Promise<number> {
  return guardKeyRetries(cp, cliAuthorizer(g), label);
}
