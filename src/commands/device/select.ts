/**
 * `select` and `--device touch`: the person touches the key they mean
 * (authenticatorSelection, or the CTAP 2.0 touch probe), and that key is used.
 */
import { onInterrupt } from '../interrupt.js';
import { type DeviceInfo, type DiscoveryDeps, listDevices, NO_DEVICE_MESSAGE, openDevice, parseDeviceSelector, selectHidDevice } from '../../devices/discovery.js';
import type { CtapHidDevice } from '../../transports/ctaphid/ctaphid.js';
import { Fido2Error } from '../../errors.js';
import { selectByTouch, type TouchCandidate } from '../../fleet/touch-select.js';
import { splitDeviceValues } from '../../fleet/selection.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { notice, printJson, printLine } from '../output.js';
import { formatDevice } from './list.js';

/** What is known of a candidate before it is opened: its `list` entry, or just the selector. */
export interface ChosenKey {
  index: number;
  path: string;
  product?: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: number;
  productId?: number;
}

interface Candidate extends TouchCandidate {
  readonly key: ChosenKey;
}

export interface ChooseOptions extends DiscoveryDeps {
  signal?: AbortSignal;
  log?: (line: string) => void;
}

function hidCandidate(d: DeviceInfo, g: GlobalOptions, o: ChooseOptions): Candidate {
  return { label: formatDevice(d), key: { ...d }, open: () => openDevice(d.path, { ...o, timeoutMs: timeoutMs(g) }) };
}

/** The keys to ask: those named (HID, tcp: or sim), or every attached HID key. */
async function candidatesFor(selectors: readonly string[], g: GlobalOptions, o: ChooseOptions): Promise<Candidate[]> {
  if (selectors.length === 0) {
    const all = await listDevices(o);
    if (all.length === 0) throw new Fido2Error('no-device', NO_DEVICE_MESSAGE);
    return all.map((d) => hidCandidate(d, g, o));
  }
  const out: Candidate[] = [];
  for (const [i, s] of selectors.entries()) {
    const parsed = parseDeviceSelector(s);
    if (parsed.kind === 'touch' || parsed.kind === 'auto') throw new Fido2Error('usage', `"${s}" cannot be a candidate for selection by touch; name keys by index, path, serial:, tcp: or sim.`);
    if (parsed.kind === 'pcsc') throw new Fido2Error('unsupported', `"${s}": selection by touch is not offered over PC/SC (a card on a reader is already the one chosen); name it with --device ${s}.`);
    if (parsed.kind === 'sim' || parsed.kind === 'tcp') {
      out.push({ label: s, key: { index: i + 1, path: s }, open: () => openDevice(s, { ...o, timeoutMs: timeoutMs(g) }) });
    } else {
      out.push(hidCandidate(await selectHidDevice(parsed, o), g, o));
    }
  }
  return out;
}

/** Asks the candidates for a touch and returns the chosen key, still open. */
export async function chooseByTouch(
  selectors: readonly string[],
  g: GlobalOptions,
  o: ChooseOptions = {},
): Promise<{ key: ChosenKey; device: CtapHidDevice }> {
  const candidates = await candidatesFor(selectors, g, o);
  const { index, device } = await selectByTouch(candidates, {
    timeoutMs: timeoutMs(g),
    ...(o.signal ? { signal: o.signal } : {}),
    onWaiting: (n, skipped) => {
      for (const s of skipped) notice(`Not asked: ${s}`);
      notice(n === 1 ? 'Touch the key to use it...' : `Touch the key you mean (${n} keys are waiting for a touch)...`);
    },
  });
  return { key: candidates[index]!.key, device };
}

function describeChosen(k: ChosenKey): string {
  if (k.vendorId === undefined) return `${k.index}: ${k.path}`;
  return formatDevice({ ...k, vendorId: k.vendorId, productId: k.productId ?? 0 });
}

/**
 * The keys to choose from: the arguments, else --device (as every command takes it); `touch` and
 * `all` there mean every attached key. Both at once would leave one ignored, so that is refused.
 */
export function selectCandidates(args: readonly string[], device: string | undefined): string[] {
  const named = splitDeviceValues(device).filter((v) => !/^(touch|all)$/i.test(v));
  if (args.length > 0 && named.length > 0) {
    throw new Fido2Error('usage', 'select takes its keys either as arguments or with --device, not both; give them one way.');
  }
  return args.length > 0 ? [...args] : named;
}

/** `fido2-manage select [SELECTOR...]`: names the key that was touched, changes nothing. */
export async function runSelect(args: readonly string[], g: GlobalOptions, o: ChooseOptions = {}): Promise<void> {
  const selectors = selectCandidates(args, g.device);
  const interrupt = onInterrupt();
  try {
    const { key, device } = await chooseByTouch(selectors, g, { ...o, signal: interrupt.signal });
    await device.close().catch(() => undefined);
    if (g.json) printJson({ ok: true, device: key.path, selected: key });
    else printLine(`You touched ${describeChosen(key)}`);
  } finally {
    interrupt.dispose();
  }
}
