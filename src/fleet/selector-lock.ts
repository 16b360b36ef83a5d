/**
 * The cross-process lock name of the key a selector names, resolved the way
 * it will be opened: a `tcp:` key by the address it resolves to, an attached
 * key by its USB serial (else path) or its reader's full name. The CLI's
 * commands and the library's Fido2Key lock by the same name, so neither ever
 * interleaves with the other on one key.
 */
import { parseDeviceSelector, resolveKey } from '../devices/discovery.js';
import { lockIdFor } from './key-lock.js';

export interface SelectorLock {
  /** What to open: for an attached key, the path (or reader) the lock was taken for, so both name the same key. */
  target: string | undefined;
  /** Where the key is, for a person reading "waiting for ..." */
  label: string;
  /** undefined: nothing to lock (an in-process `sim` is private to its run; `touch` is only known once chosen). */
  lockId: string | undefined;
}

export async function selectorLock(selector: string | undefined): Promise<SelectorLock> {
  const parsed = parseDeviceSelector(selector);
  if (parsed.kind === 'sim' || parsed.kind === 'touch') return { target: selector, label: selector ?? '', lockId: undefined };
  if (parsed.kind === 'tcp') {
    const { tcpLabel } = await import('../transports/tcp/tcp-transport.js');
    const { resolveTcpAddress } = await import('../devices/key-identity.js');
    // By the resolved address: tcp:localhost:P and tcp:127.0.0.1:P are one key and take one lock.
    return { target: selector, label: tcpLabel(parsed.host, parsed.port), lockId: lockIdFor({ label: tcpLabel(await resolveTcpAddress(parsed.host), parsed.port) }) };
  }
  const key = await resolveKey(parsed);
  if (key.transport === 'pcsc') {
    // The reader is the key's identity: the card in it has no serial PC/SC can read before SELECT.
    const label = `pcsc:${key.reader}`;
    return { target: label, label, lockId: lockIdFor({ label }) };
  }
  const d = key.device;
  return { target: d.path, label: d.path, lockId: lockIdFor(d.serialNumber ? { path: d.path, serial: d.serialNumber, label: d.path } : { path: d.path, label: d.path }) };
}
