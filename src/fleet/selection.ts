/**
 * Which keys a command works on: `--device` repeated, comma lists, and `all`
 * (every attached FIDO HID key and PC/SC reader holding a FIDO key); tcp:, sim
 * and pcsc: selectors mix with HID ones. The same key named twice is worked on
 * once: matched by keyIdentity, the identity the key lock uses too (serial, else
 * path, for HID; the resolved address for tcp:; the reader's full name for pcsc:).
 */
import { type AnyDeviceInfo, type DeviceInfo, type DiscoveryDeps, listAllDevices, oncePerKey, parseDeviceSelector, resolveKey } from '../devices/discovery.js';
import type { HidDeviceRecord } from '../transports/node-hid/node-hid-transport.js';
import type { PcscKey } from '../transports/pcsc/readers.js';
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
  /** keyIdOf the key's own CTAP 2.3 identifier, once the key is open and a kept token recognises it. */
  keyId?: string;
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

/** A target for one attached key, as `all` lists it. */
export function fromHid(d: DeviceInfo | AnyDeviceInfo): Omit<Target, 'number'> & { id: string } {
  // A PC/SC reader: its `pcsc:<full name>` is selector, label and identity (no HID path: the lock is `pcsc:<name>`).
  if ('transport' in d && d.transport === 'pcsc') return { selector: d.path, label: d.path, id: d.path };
  const t: Omit<Target, 'number'> & { id: string } = { selector: d.path, label: d.path, path: d.path, id: keyIdentity({ kind: 'hid', path: d.path, ...('serialNumber' in d && d.serialNumber ? { serial: d.serialNumber } : {}) }) };
  if (!('serialNumber' in d)) return t;
  if (d.serialNumber) t.serial = d.serialNumber;
  if (d.product) t.product = d.product;
  return t;
}

/** Resolves selectors to distinct targets, in the order first named. HID keys are listed once. */
export async function resolveTargets(values: readonly string[], deps: Pick<DiscoveryDeps, 'lister' | 'listPcsc'> & { lookup?: Lookup } = {}): Promise<Target[]> {
  if (values.length === 0) throw new Fido2Error('usage', 'No key selected; pass --device with one or more keys, or --device all.');
  let all: AnyDeviceInfo[] | undefined;
  const listing = async (): Promise<AnyDeviceInfo[]> => (all ??= await listAllDevices(deps));
  const hidOnly = async (): Promise<HidDeviceRecord[]> => (await listing()).filter((d) => d.transport === 'usb').map(toRecord);
  const pcscOnly = async (): Promise<PcscKey[]> =>
    (await listing()).flatMap((d) => (d.transport === 'pcsc' ? [{ reader: d.reader, applet: d.applet as PcscKey['applet'] }] : []));
  const out: Omit<Target, 'number'>[] = [];
  const seen = new Set<string>();
  const add = (t: Omit<Target, 'number'> & { id: string }): void => {
    if (seen.has(t.id)) return;
    seen.add(t.id);
    out.push(t);
  };
  for (const v of values) {
    if (v.toLowerCase() === 'all') {
      // A key's own CCID interface beside its HID one is the same key: `all` names it once, by HID.
      for (const d of oncePerKey(await listing())) add(fromHid(d));
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
      const key = await resolveKey(p, { lister: hidOnly, listPcsc: pcscOnly });
      if (key.transport === 'pcsc') add({ selector: `pcsc:${key.reader}`, label: `pcsc:${key.reader}`, id: `pcsc:${key.reader}` });
      else add(fromHid(key.device));
    }
  }
  if (out.length === 0) throw new Fido2Error('no-device', 'No FIDO security key found for --device all; check that the keys are plugged in (see `fido2-manage list`).');
  return out.map((t, i) => ({ ...t, number: i + 1 }));
}

/** selectHidDevice takes raw records; the listing here is already sorted and deduplicated, and carries the fields it reads. */
const toRecord = (d: AnyDeviceInfo): HidDeviceRecord => d as unknown as HidDeviceRecord;

/**
 * Keeps the first of several targets that turned out, once opened, to be one
 * key (equal keyId from its CTAP 2.3 identifier, e.g. a key seen over USB and
 * NFC, or whose HID path changed); pure. Targets without a keyId are kept.
 */
export function dedupeByKeyId<T>(targets: readonly T[], keyIdOf: (t: T) => string | undefined): { kept: T[]; duplicates: { target: T; sameAs: T }[] } {
  const first = new Map<string, T>();
  const kept: T[] = [];
  const duplicates: { target: T; sameAs: T }[] = [];
  for (const t of targets) {
    const id = keyIdOf(t);
    const seen = id === undefined ? undefined : first.get(id);
    if (seen !== undefined) duplicates.push({ target: t, sameAs: seen });
    else {
      if (id !== undefined) first.set(id, t);
      kept.push(t);
    }
  }
  return { kept, duplicates };
}

