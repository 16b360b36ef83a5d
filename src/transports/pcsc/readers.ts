/**
 * PC/SC readers that hold a FIDO key: listing (a reader counts once its card
 * answers SELECT of the FIDO applet) and picking one by (part of) its name.
 */
import { Fido2Error } from '../../errors.js';
import type { AppletVersion } from './apdu.js';
import { selectApplet } from './exchange.js';
import { Iso7816Channel, type Iso7816Options } from './iso7816-channel.js';
import { openPcsc, type PcscSystem, type ReaderState } from './pcsc-binding.js';

export interface PcscKey {
  /** The reader's full name, as the PC/SC service reports it. */
  reader: string;
  applet: AppletVersion;
}

/** The selector and lock identity of a reader: `pcsc:<full reader name>`. */
export const pcscLabel = (reader: string): string => `pcsc:${reader}`;

export interface PcscDeps {
  openSystem?: () => Promise<PcscSystem>;
}

/** Runs `fn` with a PC/SC context; without the binding or the service there is nothing to find: `none`. */
async function withSystem<T>(deps: PcscDeps, none: T, fn: (system: PcscSystem) => Promise<T>): Promise<T> {
  let system: PcscSystem;
  try {
    system = await (deps.openSystem ?? openPcsc)();
  } catch {
    return none;
  }
  try {
    return await fn(system);
  } finally {
    system.close();
  }
}

/** The FIDO applet's answer to SELECT on the card in `reader`; 'other-card' for a bank card or an ID card, 'unreachable' when it cannot be connected to now. */
async function fidoApplet(system: PcscSystem, reader: string): Promise<AppletVersion | 'other-card' | 'unreachable'> {
  const link = await system.connect(reader).catch(() => undefined);
  if (!link) return 'unreachable';
  try {
    return await selectApplet(link);
  } catch {
    return 'other-card';
  } finally {
    await link.close();
  }
}

/**
 * Readers whose card answers the FIDO applet's SELECT, in name order. Without
 * the binding or the service this is an empty list: HID keys are listed as before.
 */
export async function listPcscKeys(deps: PcscDeps = {}): Promise<PcscKey[]> {
  return withSystem(deps, [], async (system) => {
    const out: PcscKey[] = [];
    for (const r of await system.readers()) {
      const applet = r.cardPresent ? await fidoApplet(system, r.name) : 'unreachable';
      if (applet !== 'other-card' && applet !== 'unreachable') out.push({ reader: r.name, applet });
    }
    return out;
  });
}

/**
 * The one reader a `pcsc:NAME` selector names; pure. An exact name wins, else
 * a case-insensitive part of the name among readers that hold a card.
 */
export function matchReader(readers: readonly ReaderState[], query: string): ReaderState {
  const exact = readers.find((r) => r.name === query);
  if (exact) return exact;
  const q = query.toLowerCase();
  const named = readers.filter((r) => r.name.toLowerCase().includes(q));
  const withCard = named.filter((r) => r.cardPresent);
  const all = readers.map((r) => `  ${pcscLabel(r.name)}${r.cardPresent ? '' : ' (empty)'}`).join('\n');
  if (withCard.length === 1) return withCard[0]!;
  if (withCard.length > 1) {
    throw new Fido2Error('usage', `--device pcsc:${query} matches ${withCard.length} readers with a card; give more of the name:\n${withCard.map((r) => `  ${pcscLabel(r.name)}`).join('\n')}`);
  }
  if (named.length > 0) throw new Fido2Error('no-device', `No card on the PC/SC reader matching "${query}"; put the key on the reader (or plug it in) and retry`);
  throw new Fido2Error('no-device', readers.length === 0 ? `No PC/SC reader is connected (asked for pcsc:${query})` : `No PC/SC reader matches "${query}"; readers:\n${all}`);
}

/** Resolves `pcsc:NAME` to the reader's full name without opening the card (for the key lock). */
export async function resolveReader(query: string, deps: PcscDeps = {}): Promise<string> {
  const system = await (deps.openSystem ?? openPcsc)();
  try {
    return matchReader(await system.readers(), query).name;
  } finally {
    system.close();
  }
}

/** Opens the card in the reader `query` names and selects the FIDO applet; the PC/SC context lives as long as the channel. */
export async function openPcscKey(query: string, opts: Iso7816Options & PcscDeps = {}): Promise<Iso7816Channel> {
  const system = await (opts.openSystem ?? openPcsc)();
  try {
    const reader = matchReader(await system.readers(), query);
    const link = await system.connect(reader.name);
    const owned = { ...link, label: link.label, transmit: (a: Uint8Array) => link.transmit(a), close: async () => { await link.close(); system.close(); } };
    try {
      return await Iso7816Channel.open(owned, opts);
    } catch (error) {
      await link.close();
      throw error;
    }
  } catch (error) {
    system.close();
    throw error;
  }
}

/** Readers that hold a card now and did not at the last look (a card placed, or a reader plugged in with one in it); pure. */
export function newlyPresent(before: ReadonlySet<string>, now: readonly ReaderState[]): string[] {
  return now.filter((r) => r.cardPresent && !before.has(r.name)).map((r) => r.name);
}

export interface CardWatch {
  /** Whether anything can arrive: the PC/SC service answered and has at least one reader. */
  readonly watching: boolean;
  stop(): void;
}

/** How often the readers' state is looked at; the binding keeps it current from the service's change events, so a look is cheap. */
export const ARRIVAL_POLL_MS = 200;

/**
 * Watches the readers for a card placed during a wait: `onArrival` gets each
 * reader whose card was not there when the watch began (or was taken off and put
 * back). One PC/SC context for the whole watch; no card is touched by it. Without
 * the binding or the service nothing is watched (HID keys work as before).
 */
export async function watchCardArrivals(onArrival: (reader: string) => void, o: PcscDeps & { pollMs?: number } = {}): Promise<CardWatch> {
  const idle: CardWatch = { watching: false, stop: () => undefined };
  let system: PcscSystem;
  try {
    system = await (o.openSystem ?? openPcsc)();
  } catch {
    return idle;
  }
  let readers: ReaderState[];
  try {
    readers = await system.readers();
  } catch {
    readers = [];
  }
  if (readers.length === 0) {
    system.close();
    return idle;
  }
  let present = new Set(readers.filter((r) => r.cardPresent).map((r) => r.name));
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const look = async (): Promise<void> => {
    const now = await system.readers().catch(() => [] as ReaderState[]);
    if (stopped) return;
    for (const name of newlyPresent(present, now)) onArrival(name);
    present = new Set(now.filter((r) => r.cardPresent).map((r) => r.name));
    timer = setTimeout(() => void look(), o.pollMs ?? ARRIVAL_POLL_MS);
    timer.unref();
  };
  timer = setTimeout(() => void look(), o.pollMs ?? ARRIVAL_POLL_MS);
  timer.unref();
  return {
    watching: true,
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      system.close();
    },
  };
}

/**
 * The readers holding a FIDO key, looked at again and again by a watch (the
 * provisioning station). A reader `known` to the caller (its card is being
 * worked on, or is done and not yet taken off) is reported from its state
 * alone, never connected to: a SELECT would end a command in progress on the
 * card. A card that is not a FIDO key (a bank card) is asked once per
 * placement, not on every look. Without PC/SC it finds nothing.
 */
export function pcscScanner(deps: PcscDeps = {}): (known: (reader: string) => boolean) => Promise<string[]> {
  const notFido = new Set<string>();
  return (known) =>
    withSystem(deps, [], async (system) => {
      const readers = await system.readers();
      for (const name of [...notFido]) if (!readers.some((r) => r.name === name && r.cardPresent)) notFido.delete(name);
      const out: string[] = [];
      for (const r of readers) {
        if (!r.cardPresent || notFido.has(r.name)) continue;
        const applet = known(r.name) ? 'known' : await fidoApplet(system, r.name);
        // A card that could not be connected to now is asked again at the next look.
        if (applet === 'other-card') notFido.add(r.name);
        else if (applet !== 'unreachable') out.push(r.name);
      }
      return out;
    });
}
