/**
 * What getInfo says about authenticatorReset (CTAP 2.2 §6.4 / §6.6):
 * transportsForReset lists the transports a reset is accepted over (absent:
 * any), and longTouchForReset true means the reset needs a long touch rather
 * than a tap. Pure, so the reset command (and the library) decide before
 * asking the person anything.
 */
import type { AuthenticatorInfo } from './get-info.js';

/** Every channel this client opens today frames CTAPHID, which is the `usb` transport in getInfo's terms. */
export const CTAPHID_TRANSPORT = 'usb';

export type ResetTransportCheck = { ok: true } | { ok: false; allowed: string[]; message: string };

/** Whether a reset over `transport` can work; when not, the transports that would. */
export function resetTransportCheck(info: Pick<AuthenticatorInfo, 'transportsForReset'>, transport: string): ResetTransportCheck {
  const allowed = info.transportsForReset;
  if (allowed === undefined || allowed.includes(transport)) return { ok: true };
  const over = allowed.length ? `only over ${allowed.join(', ')}` : 'over no transport (transportsForReset is empty)';
  return {
    ok: false,
    allowed: [...allowed],
    message: `This key accepts a reset ${over}, not over ${transport}; connect it that way and run reset again. Nothing was changed.`,
  };
}

/** What the person must do on the key once the reset is sent. */
export function resetTouchText(info: Pick<AuthenticatorInfo, 'longTouchForReset'>): string {
  return info.longTouchForReset === true ? 'press and hold the key for about 5 seconds when it blinks' : 'touch it when it blinks';
}
