/**
 * Which keys a command works on: `--device` repeated, comma lists, and `all`
 * (every attached FIDO HID key); tcp: and sim selectors mix with HID ones. The
 * same key named twice is worked on once: matched by keyIdentity, the identity
 * the key lock uses too (serial, else path, for HID; the resolved address for tcp:).
 */
import { type DeviceInfo, type DiscoveryDeps, listDevices, parseDeviceSelector, selectHidDevice } from '../devices/discovery.js';
import type { HidDeviceRecord } from '../transports/node-hid/node-hid-transport.js';
import { Fido2Error } from '../errors.js';
import { type Lookup, keyIdentity, resolveTcpAddress } from '../devices/key-identity.js';
import { tcpLabel } from '../transports/tcp/tcp-transport.js';

/** One key to work on. `selector` opens exactly this key with `openDevice`. */
export interface Target {
  selector: string;
  /** What a person reads: the selector as given, or the HID path. */
  label: string;
  /** 1-based position among the targets, for progress lines. */
  number: number;
  path?: string;
  serial?: string;
  product?: string;
  /** keyIdentity of the key: its lock name and what de-duplication compares; hand-made targets may omit it. */
  id?: string;
}

/** Splits repeated / comma-separated --device values; pure. */
export function splitDeviceValues(values: readonly string[] | string | undefined): string[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  return list.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** True when the values name more than one key, or `all`: the command then runs per key with a table. */
export function isMany(values: readonly string[]): boolean {
  return values.length > 1 || values.some((v) => v.toLowerCase() === 'all');
}

/** A target for one attached HID key, as `all` lists it. */
export function fromHid(d: DeviceInfo): Omit<Target, 'number'> & { id: string } {
  const t: Omit<Target, 'number'> & { id: string } = { selector: d.path, label: d.path, path: d.path, id: keyIdentity({ kind: 'hid', path: d.path, ...(d.serialNumber ? { serial: d.serialNumber } : {}) }) };
  if (d.serialNumber) t.serial = d.serialNumber;
  if (d.product) t.product = d.product;
  return t;
}

/** Resolves selectors to distinct targets, in the order first named. HID keys are listed once. */
export async function resolveTargets(values: readonly string[], deps: Pick<DiscoveryDeps, 'lister'> & { lookup?: Lookup } = {}): Promise<Target[]> {
  if (values.length === 0) throw new Fido2Error('usage', 'No key selected; pass --device with one or more keys, or --device all.');
  let hid: DeviceInfo[] | undefined;
  const listing = async (): Promise<DeviceInfo[]> => (hid ??= await listDevices(deps));
  const out: Omit<Target, 'number'>[] = [];
  const seen = new Set<string>();
  const add = (t: Omit<Target, 'number'> & { id: string }): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    out.push(t);
  };
  for (const v of values) {
    if (v.toLowerCase() === 'all') {
      for (const d of await listing()) add(fromHid(d));
      continue;
    }
    const p = parseDeviceSelector(v);
    if (p.kind === 'tcp') {
      // Shown and opened as first spelled (host case-folded); compared by the address it resolves to.
      const selector = tcpLabel(p.host.toLowerCase(), p.port);
      const address = await resolveTcpAddress(p.host, deps.lookup);
      add({ selector, label: selector, id: keyIdentity({ kind: 'tcp', address, port: p.port }) });
    } else if (p.kind === 'sim') {
      add({ selector: 'sim', label: 'sim', id: keyIdentity({ kind: 'sim' }) });
    } else if (p.kind === 'auto') {
      continue;
    } else if (p.kind === 'touch') {
      throw new Fido2Error('usage', '--device touch picks one key; it cannot be one of several (use `fido2-manage select` to find a key, then name it).');
    } else {
      add(fromHid(await selectHidDevice(p, { lister: async () => (await listing()).map(toRecord) })));
    }
  }
  if (out.length === 0) throw new Fido2Error('no-device', 'No FIDO security key found for --device all; check that the keys are plugged in (see `fido2-manage list`).');
  return out.map((t, i) => ({ ...t, number: i + 1 }));
}

/** selectHidDevice takes raw records; the listing here is already sorted and deduplicated, and carries the fields it reads. */
const toRecord = (d: DeviceInfo): HidDeviceRecord => d as unknown as HidDeviceRecord;
