/**
 * Which authenticatorAPI requests may wait for the person (a touch, or a
 * built-in UV capture). Only those get the "Touch your security key" prompt
 * and the longer touch bound (TOUCH_WAIT_MS); a KEEPALIVE UPNEEDED on any
 * other request is the key's own business and must not stretch the wait
 * beyond --timeout.
 */
import type { CborValue } from './cbor.js';
// A cycle (ctap2.ts imports this module): Command is only read inside the functions, never at load.
import { Command } from './ctap2.js';

/** clientPIN subcommands that may ask: only getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3) runs built-in UV. */
const CLIENT_PIN_TOUCH: ReadonlySet<number> = new Set([0x06]);
/** bioEnrollment subcommands that capture a sample (§6.7.2 enrollBegin, §6.7.3 enrollCaptureNextSample). */
const BIO_TOUCH: ReadonlySet<number> = new Set([0x01, 0x02]);
/** authenticatorConfig: only vendorPrototype (§6.11.5, 0xff) may do anything, a touch included. */
const CONFIG_TOUCH: ReadonlySet<number> = new Set([0xff]);

/**
 * True when the request (command byte and its subCommand, if any) may wait
 * for a touch or a fingerprint. Unknown commands (vendor range) count as
 * may-touch: the tool cannot know.
 */
export function mayAskForTouch(command: number, subCommand?: number): boolean {
  switch (command) {
    case Command.makeCredential: // §6.1.2 step 14 (UP), or a built-in UV
    case Command.getAssertion: // §6.2.2 step 9
    case Command.reset: // §6.6: user presence is required
    case Command.selection: // §6.9: waits for a touch
      return true;
    case Command.getInfo: // §6.4
    case Command.getNextAssertion: // §6.3: continues an assertion already approved
    case Command.credentialManagement: // §6.8: pinUvAuthToken-gated, no UP
    case Command.credentialManagementPreview:
    case Command.largeBlobs: // §6.10: pinUvAuthToken-gated, no UP
      return false;
    case Command.clientPIN: // §6.5.5
      return subCommand !== undefined && CLIENT_PIN_TOUCH.has(subCommand);
    case Command.bioEnrollment: // §6.7; no subCommand is getModality, answered at once
    case Command.bioEnrollmentPreview:
      return subCommand !== undefined && BIO_TOUCH.has(subCommand);
    case Command.config: // §6.11
      return subCommand !== undefined && CONFIG_TOUCH.has(subCommand);
    default:
      return true;
  }
}

/** The subCommand's key in a command's parameter map (§6.5.5.1, §6.7.1, §6.8.1, §6.11.1). */
function subCommandKey(command: number): number | undefined {
  switch (command) {
    case Command.clientPIN:
    case Command.bioEnrollment:
    case Command.bioEnrollmentPreview:
      return 0x02;
    case Command.credentialManagement:
    case Command.credentialManagementPreview:
    case Command.config:
      return 0x01;
    default:
      return undefined;
  }
}

/** The subCommand of a request's parameter map, for the commands that have one. */
export function subCommandOf(command: number, params: ReadonlyMap<number, CborValue> | undefined): number | undefined {
  const key = subCommandKey(command);
  const value = key === undefined ? undefined : params?.get(key);
  return typeof value === 'number' ? value : undefined;
}
