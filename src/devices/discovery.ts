/**
 * Finding and opening a security key from a --device selector: a 1-based
 * index, an OS HID path, tcp:HOST:PORT (software key), sim (in-process
 * virtual key) or pcsc:READER (a PC/SC reader's card; src/transports/pcsc).
 */
import { hidTwinOf } from './same-key.js';
import { Fido2Error } from '../errors.js';
import { CtapHidDevice, type CtapHidOptions, openCancelledError } from '../transports/ctaphid/ctaphid.js';
import type { HidDeviceRecord } from '../transports/node-hid/node-hid-transport.js';
import type { Transport } from '../transports/ctaphid/transport.js';
import type { KeyChannel } from '../ctap/channel.js';
import type { PcscKey } from '../transports/pcsc/readers.js';

export interface DeviceInfo {
  /** 1-based position in the list, stable for one set of plugged keys (sorted by path). */
  index: number;
  path: string;
  vendorId: number;
  productId: number;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
}

export type DeviceSelector =
  | { kind: 'auto' }
  | { kind: 'sim' }
  | { kind: 'touch' }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'index'; index: number }
  | { kind: 'serial'; serial: string }
  | { kind: 'path'; path: string }
  /** A PC/SC reader by (part of) its name, case-insensitive. */
  | { kind: 'pcsc'; reader: string };

/** Test seams: where device records come from and how a HID path or TCP address is opened. */
export interface DiscoveryDeps {
  lister?: () => Promise<HidDeviceRecord[]>;
  openHid?: (path: string) => Promise<Transport>;
  openTcp?: (host: string, port: number) => Promise<Transport>;
  openSim?: () => Promise<Transport>;
  /** PC/SC readers that hold a FIDO key (default: the lazily loaded binding; [] without it). */
  listPcsc?: () => Promise<PcscKey[]>;
}

export interface OpenDeviceOptions extends Pick<CtapHidOptions, 'timeoutMs' | 'log' | 'signal'>, DiscoveryDeps {}

/** The rule that gives the logged-in user the FIDO hidraw nodes (systemd tags them ID_FIDO_TOKEN). */
export const LINUX_UDEV_RULE = 'ACTION=="add|change", SUBSYSTEM=="hidraw", ENV{ID_FIDO_TOKEN}=="1", TAG+="uaccess", GROUP="plugdev", MODE="0660"';

/**
 * What to say when no key is found. The udev hint only helps a non-root user
 * on Linux; root reads every hidraw node, and other systems have no udev.
 */
export function noDeviceMessage(env: { platform: NodeJS.Platform; root: boolean } = { platform: process.platform, root: process.getuid?.() === 0 }): string {
  return env.platform === 'linux' && !env.root
    ? `No FIDO security key found. Check that it is plugged in; without root, Linux needs a udev rule such as ${LINUX_UDEV_RULE} in /etc/udev/rules.d/70-fido.rules (README "Linux access")`
    : 'No FIDO security key found. Check that it is plugged in and that no other program holds it';
}

export const NO_DEVICE_MESSAGE = noDeviceMessage();

/** The --device forms, for usage errors. */
export const DEVICE_FORMS = 'a number from `fido2-manage list`, a HID path as `list` shows it, serial:SERIAL, tcp:HOST:PORT (a software key), pcsc:READER (part of a PC/SC reader name) or sim';

const badDevice = (value: string, why: string): Fido2Error => new Fido2Error('usage', `Bad --device "${value}": ${why}; use ${DEVICE_FORMS}.`);

/** OS HID paths as node-hid reports them: /dev/hidrawN (Linux, BSD), \\?\hid#... (Windows), DevSrvsID:/IOService: (macOS). */
function looksLikeHidPath(value: string): boolean {
  return /^(\/|\\\\|DevSrvsID:|IOService:)/.test(value);
}

/** Parses a --device value; pure, throws Fido2Error('usage') on a malformed one. */
export function parseDeviceSelector(s: string | undefined): DeviceSelector {
  if (s === undefined || s.trim() === '') return { kind: 'auto' };
  const value = s.trim();
  if (value.toLowerCase() === 'sim') return { kind: 'sim' };
  if (value.toLowerCase() === 'touch') return { kind: 'touch' };
  if (/^tcp:/i.test(value)) {
    const rest = value.slice(4);
    const match = /^\[([^\]]+)\]:(\d+)$/.exec(rest) ?? /^([^:]+):(\d+)$/.exec(rest);
    const port = match ? Number(match[2]) : NaN;
    if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw badDevice(value, 'a software key is tcp:HOST:PORT with a port from 1 to 65535, e.g. tcp:127.0.0.1:35962');
    }
    return { kind: 'tcp', host: match[1]!, port };
  }
  if (/^pcsc:/i.test(value)) {
    const reader = value.slice(5).trim();
    if (reader === '') throw badDevice(value, 'the reader name is missing (e.g. pcsc:ACS, as `fido2-manage list` shows it)');
    return { kind: 'pcsc', reader };
  }
  if (/^serial:/i.test(value)) {
    const serial = value.slice(7);
    if (serial === '') throw badDevice(value, 'the serial is missing');
    return { kind: 'serial', serial };
  }
  if (/^\d+$/.test(value)) {
    const index = Number(value);
    if (index < 1) throw badDevice(value, 'device numbers start at 1');
    return { kind: 'index', index };
  }
  if (/^[-+]?\d+$/.test(value)) throw badDevice(value, 'device numbers start at 1');
  if (!looksLikeHidPath(value)) throw badDevice(value, 'this is not a device number, a HID path or an address');
  return { kind: 'path', path: value };
}

/** One line for lists and messages, e.g. `1: Yubico YubiKey 5 (1050:0407) /dev/hidraw3`. */
export function describeDevice(d: DeviceInfo): string {
  const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
  const name = [d.manufacturer, d.product].filter((x) => x && x.trim()).join(' ') || 'FIDO security key';
  const serial = d.serialNumber ? ` serial ${d.serialNumber}` : '';
  return `${d.index}: ${name} (${hex4(d.vendorId)}:${hex4(d.productId)})${serial} ${d.path}`;
}

async function defaultLister(): Promise<HidDeviceRecord[]> {
  const { listFidoHidDevices } = await import('../transports/node-hid/node-hid-transport.js');
  return listFidoHidDevices();
}

/** FIDO HID keys, deduplicated by path and numbered in path order. */
export async function listDevices(deps: Pick<DiscoveryDeps, 'lister'> = {}): Promise<DeviceInfo[]> {
  const records = await (deps.lister ?? defaultLister)();
  const byPath = new Map<string, HidDeviceRecord>();
  for (const r of records) {
    if (r.path && !byPath.has(r.path)) byPath.set(r.path, r);
  }
  return [...byPath.keys()]
    // Numeric-aware, so /dev/hidraw2 comes before /dev/hidraw10.
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
    .map((path, i) => {
      const r = byPath.get(path)!;
      const info: DeviceInfo = { index: i + 1, path, vendorId: r.vendorId, productId: r.productId };
      if (r.product) info.product = r.product;
      if (r.manufacturer) info.manufacturer = r.manufacturer;
      if (r.serialNumber) info.serialNumber = r.serialNumber;
      return info;
    });
}

/** Picks the HID key a selector names; throws no-device / usage errors naming the choices. */
export async function selectHidDevice(
  selector: DeviceSelector & { kind: 'auto' | 'index' | 'path' | 'serial' },
  deps: Pick<DiscoveryDeps, 'lister'> = {},
): Promise<DeviceInfo> {
  const devices = await listDevices(deps);
  if (devices.length === 0) {
    const asked = selector.kind === 'auto' ? '' : ` (asked for ${selector.kind === 'index' ? selector.index : selector.kind === 'serial' ? `serial:${selector.serial}` : selector.path})`;
    throw new Fido2Error('no-device', noDeviceMessage().replace('found.', `found${asked}.`));
  }
  const listing = devices.map((d) => `  ${describeDevice(d)}`).join('\n');
  if (selector.kind === 'auto') {
    if (devices.length === 1) return devices[0]!;
    throw new Fido2Error('usage', `${devices.length} FIDO security keys are connected; pass --device N to pick one:\n${listing}`);
  }
  if (selector.kind === 'index') {
    const found = devices[selector.index - 1];
    if (found) return found;
    throw new Fido2Error('no-device', `There is no security key number ${selector.index}; connected keys:\n${listing}`);
  }
  if (selector.kind === 'serial') {
    const matches = devices.filter((d) => d.serialNumber === selector.serial);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) throw new Fido2Error('usage', `${matches.length} keys report serial ${selector.serial}; pick one with --device N:\n${listing}`);
    throw new Fido2Error('no-device', `No FIDO security key with serial ${selector.serial}; connected keys:\n${listing}`);
  }
  const found = devices.find((d) => d.path === selector.path);
  if (found) return found;
  throw new Fido2Error('no-device', `No FIDO security key at ${selector.path}; connected keys:\n${listing}`);
}

/** A PC/SC reader's FIDO key as `list` shows it; numbered after the HID keys. */
export interface PcscDeviceInfo {
  index: number;
  transport: 'pcsc';
  /** The selector and lock identity: `pcsc:<full reader name>`. */
  path: string;
  reader: string;
  /** The applet's SELECT answer: FIDO_2_0, U2F_V2, or unknown (a bare 9000). */
  applet: string;
  /** The HID path of the same key, when this reader is that key's own CCID interface (same-key.ts). */
  sameKeyAs?: string;
}

export type AnyDeviceInfo = (DeviceInfo & { transport: 'usb' }) | PcscDeviceInfo;

async function defaultPcscLister(): Promise<PcscKey[]> {
  return (await import('../transports/pcsc/readers.js')).listPcscKeys();
}

/**
 * Every key a --device number names: HID keys first (path order), then PC/SC
 * readers that hold a FIDO key (name order). Without PC/SC support the list
 * is the HID keys alone.
 */
export async function listAllDevices(deps: Pick<DiscoveryDeps, 'lister' | 'listPcsc'> = {}): Promise<AnyDeviceInfo[]> {
  const hid = await listDevices(deps);
  const pcsc = await (deps.listPcsc ?? defaultPcscLister)();
  return [
    ...hid.map((d) => ({ ...d, transport: 'usb' as const })),
    ...pcsc.map((k, i): PcscDeviceInfo => {
      const twin = hidTwinOf(k.reader, hid);
      return { index: hid.length + i + 1, transport: 'pcsc', path: `pcsc:${k.reader}`, reader: k.reader, applet: k.applet, ...(twin ? { sameKeyAs: twin.path } : {}) };
    }),
  ];
}

/** Each key once: a reader that is a listed HID key's own CCID interface (`sameKeyAs`) is left to that HID key; pure. */
export function oncePerKey(devices: readonly AnyDeviceInfo[]): AnyDeviceInfo[] {
  return devices.filter((d) => !('sameKeyAs' in d && d.sameKeyAs));
}

/** Where a selector points once resolved: a HID key, or a reader by its full name. */
export type ResolvedKey = { transport: 'usb'; device: DeviceInfo } | { transport: 'pcsc'; reader: string };

/**
 * Resolves a selector that names an attached key. A number past the HID keys
 * counts on into the PC/SC readers (as `list` numbers them); with no key given
 * and no HID key attached, a single PC/SC key is taken.
 */
export async function resolveKey(
  selector: DeviceSelector & { kind: 'auto' | 'index' | 'path' | 'serial' | 'pcsc' },
  deps: Pick<DiscoveryDeps, 'lister' | 'listPcsc'> = {},
): Promise<ResolvedKey> {
  if (selector.kind === 'pcsc') {
    return { transport: 'pcsc', reader: await (await import('../transports/pcsc/readers.js')).resolveReader(selector.reader) };
  }
  if (selector.kind === 'index' || selector.kind === 'auto') {
    const hid = await listDevices(deps);
    const past = selector.kind === 'index' ? selector.index > hid.length : hid.length === 0;
    if (past) {
      const pcsc = await (deps.listPcsc ?? defaultPcscLister)();
      const i = selector.kind === 'index' ? selector.index - hid.length - 1 : pcsc.length === 1 ? 0 : -1;
      if (i >= 0 && i < pcsc.length) return { transport: 'pcsc', reader: pcsc[i]!.reader };
      if (selector.kind === 'auto' && pcsc.length > 1) {
        throw new Fido2Error('usage', `${pcsc.length} PC/SC readers hold a FIDO key; pass --device N or --device pcsc:NAME:\n${pcsc.map((k, n) => `  ${n + 1}: pcsc:${k.reader}`).join('\n')}`);
      }
      if (selector.kind === 'index' && pcsc.length > 0) {
        throw new Fido2Error('no-device', `There is no security key number ${selector.index}; ${hid.length} HID key(s) and ${pcsc.length} PC/SC key(s) are connected (see \`fido2-manage list\`)`);
      }
    }
    const lister = async (): Promise<HidDeviceRecord[]> => hid as unknown as HidDeviceRecord[];
    return { transport: 'usb', device: await selectHidDevice(selector, { lister }) };
  }
  return { transport: 'usb', device: await selectHidDevice(selector, deps) };
}

/**
 * Opens the selected key over whatever reaches it: CTAPHID for HID, tcp: and
 * sim; ISO 7816 APDUs for a PC/SC reader (loaded only then).
 */
export async function openChannel(selector: string | undefined, opts: OpenDeviceOptions = {}): Promise<KeyChannel> {
  const parsed = parseDeviceSelector(selector);
  if (parsed.kind !== 'pcsc' && parsed.kind !== 'index' && parsed.kind !== 'auto') return openDevice(selector, opts);
  // pcsc:NAME is matched once, by openPcscKey itself, in the context that then holds the card.
  const key = parsed.kind === 'pcsc' ? { transport: 'pcsc' as const, reader: parsed.reader } : await resolveKey(parsed, opts);
  if (key.transport === 'usb') return openDevice(key.device.path, opts);
  const { openPcscKey } = await import('../transports/pcsc/readers.js');
  const pcscOpts = { ...(opts.log ? { log: opts.log } : {}), ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }) };
  return untilAborted(openPcscKey(key.reader, pcscOpts), opts.signal);
}

/** Opens the selected key and allocates a CTAPHID channel on it. */
export async function openDevice(selector: string | undefined, opts: OpenDeviceOptions = {}): Promise<CtapHidDevice> {
  const parsed = parseDeviceSelector(selector);
  if (parsed.kind === 'touch') throw new Fido2Error('usage', 'Internal error: --device touch is chosen above the HID layer');
  if (parsed.kind === 'pcsc') throw new Fido2Error('usage', 'Internal error: a pcsc: selector is opened with openChannel');
  const opening = (async (): Promise<Transport> => {
    if (parsed.kind === 'sim') {
      return opts.openSim ? await opts.openSim() : await (await import('../transports/in-process/sim-transport.js')).openSimTransport();
    } else if (parsed.kind === 'tcp') {
      return opts.openTcp
        ? await opts.openTcp(parsed.host, parsed.port)
        : await (await import('../transports/tcp/tcp-transport.js')).openTcpTransport(parsed.host, parsed.port);
    } else {
      const device = await selectHidDevice(parsed, opts);
      return opts.openHid
        ? await opts.openHid(device.path)
        : await (await import('../transports/node-hid/node-hid-transport.js')).openNodeHidTransport(device.path);
    }
  })();
  const transport = await untilAborted(opening, opts.signal);
  try {
    const ctapOpts: CtapHidOptions = {};
    if (opts.timeoutMs !== undefined) ctapOpts.timeoutMs = opts.timeoutMs;
    if (opts.log) ctapOpts.log = opts.log;
    if (opts.signal) ctapOpts.signal = opts.signal;
    return await CtapHidDevice.open(transport, ctapOpts);
  } catch (error) {
    await transport.close().catch(() => undefined);
    throw error;
  }
}

/** One listener per signal, however many keys open under it at once (a fleet run shares one). */
const abortedOf = new WeakMap<AbortSignal, Promise<void>>();
function whenAborted(signal: AbortSignal): Promise<void> {
  let p = abortedOf.get(signal);
  if (!p) {
    p = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    abortedOf.set(signal, p);
  }
  return p;
}

/**
 * Ctrl-C while a transport is still opening (a TCP connect, a HID open) ends
 * the wait at once; a transport that opens later is closed unused.
 */
async function untilAborted<T extends { close(): Promise<void> }>(opening: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return opening;
  const result = await Promise.race([opening, signal.aborted ? undefined : whenAborted(signal)]);
  if (result === undefined) {
    void opening.then((t) => t.close(), () => undefined);
    throw openCancelledError();
  }
  return result;
}
