/**
 * `select` and `--device touch`: the person touches the key they mean, and
 * that key is used. The selection itself is src/operations/selection.ts.
 */
import { onInterrupt } from '../interrupt.js';
import type { DiscoveryDeps } from '../../devices/discovery.js';
import type { KeyChannel } from '../../ctap/channel.js';
import { Fido2Error } from '../../errors.js';
import { type ChosenKey, selectByTouch } from '../../operations/selection.js';
import { splitDeviceValues } from '../../fleet/selection.js';
import { type GlobalOptions, timeoutMs } from '../global-options.js';
import { notice, printJson, printLine } from '../output.js';
import { formatDevice } from './list.js';

export type { ChosenKey };

export interface ChooseOptions extends DiscoveryDeps {
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** Asks the candidates for a touch, saying so on stderr, and returns the chosen key, still open. */
export function chooseByTouch(selectors: readonly string[], g: GlobalOptions, o: ChooseOptions = {}): Promise<{ key: ChosenKey; device: KeyChannel }> {
  return selectByTouch(selectors, {
    ...o,
    timeoutMs: timeoutMs(g),
    describe: formatDevice,
    onWaiting: (n, skipped, watching) => {
      for (const s of skipped) notice(`Not asked: ${s}`);
      if (n === 0 && watching) notice('Put the key on a PC/SC reader (or plug it in) to use it...');
      else notice(n === 1 ? 'Touch the key to use it...' : `Touch the key you mean (${n} keys are waiting for a touch)...`);
    },
  });
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
