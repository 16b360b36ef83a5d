import { type AnyDeviceInfo, type DeviceInfo, listAllDevices, NO_DEVICE_MESSAGE, openChannel } from '../../devices/discovery.js';
import type { HidDeviceRecord } from '../../transports/node-hid/node-hid-transport.js';
import { keyIdentity } from '../../devices/key-identity.js';
import type { ModelProbe, ProbeDeps, ProbeTarget } from '../../devices/model-probe.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { printJson, printLine } from '../output.js';

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** A key named with --device that no listing numbers: a software key (tcp:) or the in-process virtual key (sim). */
export interface NamedKeyInfo {
  transport: 'tcp' | 'sim';
  path: string;
}

export type ListedKey = AnyDeviceInfo | DeviceInfo | NamedKeyInfo;

export interface ListOptions extends GlobalOptions {
  /** false (--no-probe): list without opening the keys, so without their model. */
  probe?: boolean;
}

/** How long one key may take to answer getInfo: short, since a list should be quick; --timeout lowers it. */
export const PROBE_TIMEOUT_MS = 2_000;

/** One line per key: what `--device N` refers to. */
export function formatDevice(d: DeviceInfo): string {
  return `${d.index}: ${d.manufacturer ?? '?'} ${d.product ?? '?'} (${hex4(d.vendorId)}:${hex4(d.productId)}) serial ${d.serialNumber || '-'} at ${d.path}`;
}

/** A list line naming the transport: usb for HID keys, pcsc for a reader's card (its --device form is the path shown). */
export function formatListed(d: ListedKey): string {
  if ('transport' in d && d.transport === 'pcsc') {
    return `${d.index}: FIDO key (${d.applet}) on PC/SC reader "${d.reader}" at ${d.path} via pcsc${d.sameKeyAs ? ` (the same key as ${d.sameKeyAs}, its smart-card interface)` : ''}`;
  }
  if ('transport' in d && (d.transport === 'tcp' || d.transport === 'sim')) return `${d.path}: ${d.transport === 'sim' ? 'virtual key in this process' : 'software key'} via ${d.transport}`;
  return `${formatDevice(d as DeviceInfo)} via usb`;
}

const MISSING_TEXT: Record<NonNullable<ModelProbe['modelMissing']>, string> = {
  busy: 'busy: another fido2-manage is using it',
  'no-answer': 'no answer in time',
  'u2f-only': 'speaks only U2F, no AAGUID',
  'unknown-aaguid': 'not in the model table',
  failed: 'could not read it',
};

/** The model part of a list line; the line is escaped for the terminal as a whole (printLine). */
export function formatModel(p: ModelProbe): string {
  if (p.model !== null) return `model ${p.model}`;
  if (p.aaguid !== null) return `model unknown, AAGUID ${p.aaguid}`;
  return `model unknown (${MISSING_TEXT[p.modelMissing ?? 'failed']}${p.modelError ? `: ${p.modelError}` : ''})`;
}

/**
 * The keys attached (HID, then PC/SC readers holding a FIDO key), or with
 * --device the keys it names (tcp: and sim included). Each key is opened for
 * its AAGUID unless --no-probe.
 */
export async function runList(g: ListOptions, lister: () => Promise<ListedKey[]> = () => listedKeys(g), probeDeps: ProbeDeps = {}): Promise<void> {
  const devices = await lister();
  // Loaded only when there is a key to open: the CTAP code (cbor-x) is not needed otherwise.
  const probes =
    g.probe === false || devices.length === 0
      ? undefined
      : await (await import('../../devices/model-probe.js')).probeModels(devices.map(probeTarget), Math.min(PROBE_TIMEOUT_MS, timeoutMs(g)), { open: openListed(devices), ...probeDeps });
  const rows = devices.map((d, i) => (probes ? { ...d, ...probes[i]! } : d));
  // No key is selected for a list: device is null, the keys are under devices.
  if (g.json) return printJson({ ok: true, device: null, devices: rows });
  if (devices.length === 0) {
    printLine(NO_DEVICE_MESSAGE);
    return;
  }
  devices.forEach((d, i) => printLine(probes ? `${formatListed(d)}, ${formatModel(probes[i]!)}` : formatListed(d)));
}

async function listedKeys(g: GlobalOptions): Promise<ListedKey[]> {
  if (g.device === undefined) return listAllDevices();
  const { resolveTargets, splitDeviceValues } = await import('../../fleet/selection.js');
  const targets = await resolveTargets(splitDeviceValues(g.device));
  let all: AnyDeviceInfo[] | undefined;
  const out: ListedKey[] = [];
  for (const t of targets) {
    if (t.selector === 'sim' || t.selector.startsWith('tcp:')) {
      const named: NamedKeyInfo = { transport: t.selector === 'sim' ? 'sim' : 'tcp', path: t.selector };
      // The resolved address: tcp:localhost:P and tcp:127.0.0.1:P take one lock.
      if (t.id !== undefined && named.transport === 'tcp') tcpLockIds.set(named, t.id);
      out.push(named);
      continue;
    }
    all ??= await listAllDevices();
    const d = all.find((x) => x.path === t.selector);
    if (d) out.push(d);
  }
  return out;
}

/** Opens a key by its selector; a HID path is found in this listing, not by enumerating again once per key. */
function openListed(devices: readonly ListedKey[]): NonNullable<ProbeDeps['open']> {
  const hid = devices.filter((d) => !('transport' in d) || d.transport === 'usb') as unknown as HidDeviceRecord[];
  return (selector, opts) => openChannel(selector, { ...opts, lister: async () => hid });
}

const tcpLockIds = new WeakMap<NamedKeyInfo, string>();

/** What opens a listed key, and the lock it is read under: the identity withDeviceLock and fleet runs lock by. */
function probeTarget(d: ListedKey): ProbeTarget {
  if (!('transport' in d) || d.transport === 'usb') {
    return { selector: d.path, lockId: keyIdentity({ kind: 'hid', path: d.path, ...(d.serialNumber ? { serial: d.serialNumber } : {}) }) };
  }
  // The in-process virtual key is this run's own: no other process can hold it.
  if (d.transport === 'sim') return { selector: 'sim' };
  if (d.transport === 'pcsc') return { selector: d.path, lockId: d.path };
  return { selector: d.path, lockId: tcpLockIds.get(d) ?? d.path };
}
