import { parseDeviceSelector, resolveKey } from '../devices/discovery.js';
import { notice } from './output.js';

/**
 * Runs `open` and what follows under the key's cross-process lock, so a
 * command's read-then-change never interleaves with another fido2-manage on
 * the same key; the waiting run reads the key's state only once it holds the
 * lock. `open` receives the selector to open: for a HID key it is the path
 * the lock was taken for, so both name the same key.
 */
export async function withDeviceLock<T>(
  selector: string | undefined,
  opts: { timeoutMs: number; signal: AbortSignal },
  run: (selector: string | undefined) => Promise<T>,
): Promise<T> {
  const parsed = parseDeviceSelector(selector);
  // `--device sim` is a fresh in-process key for this run alone: nobody to wait for.
  if (parsed.kind === 'sim') return run(selector);
  // The touched key is only known once chosen (withSession handles it before any lock).
  if (parsed.kind === 'touch') return run(selector);
  // Loaded here, not at start-up: `--device sim` and --help never need them.
  const { lockIdFor, withKeyLock } = await import('../fleet/key-lock.js');
  let label: string;
  let lockId: string;
  let target = selector;
  if (parsed.kind === 'tcp') {
    const { tcpLabel } = await import('../transports/tcp/tcp-transport.js');
    label = tcpLabel(parsed.host, parsed.port);
    // By the resolved address: tcp:localhost:P and tcp:127.0.0.1:P are one key and take one lock.
    const { resolveTcpAddress } = await import('../devices/key-identity.js');
    lockId = lockIdFor({ label: tcpLabel(await resolveTcpAddress(parsed.host), parsed.port) });
  } else {
    const key = await resolveKey(parsed);
    if (key.transport === 'pcsc') {
      // The reader is the key's identity: the card in it has no serial PC/SC can read before SELECT.
      label = `pcsc:${key.reader}`;
      target = label;
      lockId = lockIdFor({ label });
    } else {
      const d = key.device;
      label = d.path;
      target = d.path;
      lockId = lockIdFor(d.serialNumber ? { path: d.path, serial: d.serialNumber, label } : { path: d.path, label });
    }
  }
  const onWait = (): void =>
    notice(`Another fido2-manage is using the key at ${label}; waiting up to ${opts.timeoutMs / 1000} s for it to finish...`);
  return withKeyLock(lockId, { timeoutMs: opts.timeoutMs, signal: opts.signal, onWait }, () => run(target));
}
