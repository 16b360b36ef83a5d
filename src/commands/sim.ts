/**
 * `fido2-manage sim`: serves a virtual key over TCP until SIGINT/SIGTERM.
 * Prints one line containing "listening on HOST:PORT" once it accepts
 * connections; scripts wait for it. With --vpcd it is instead a contactless
 * card in a vpcd virtual reader (pcscd), reached over PC/SC.
 */
import { Fido2Error } from '../errors.js';
import type { PresenceMode } from '../sim/presence.js';
import { PROFILE_NAMES, isProfileName, type ProfileName } from '../sim/profiles.js';
import { MAX_LARGE_BLOB_MAX, MIN_LARGE_BLOB_MAX } from '../sim/large-blobs.js';
import { startSimServer, type SimServer } from '../sim/server.js';
import { virtualCard } from '../sim/card.js';
import { insertCard, type CardEvent } from '../sim/vpcd-link.js';
import { loadStateFile, saveStateFile } from '../sim/state-file.js';
import { lockStateFile } from '../sim/state-lock.js';
import { VirtualKey } from '../sim/virtual-key.js';

export interface SimOptions {
  listen?: string;
  vpcd?: string;
  profile?: string;
  uv?: boolean;
  fingers?: string;
  state?: string;
  resetWindow?: string;
  presence?: string;
  makeCredUvNotRqd?: string;
  largeBlobMax?: string;
  apdus?: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:35962';
/** vpcd's first reader slot ("Virtual PCD 00 00") in Debian's vsmartcard-vpcd. */
export const DEFAULT_VPCD = '127.0.0.1:35963';

/** How long a SIGUSR1 replug keeps the key out. */
const REPLUG_SECONDS = 1;

export function parseListen(value: string, option = '--listen', example = DEFAULT_LISTEN): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Fido2Error('usage', `${option} wants HOST:PORT (e.g. ${example}), got '${value}'`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function parsePresence(value: string): PresenceMode {
  if (value === 'confirm' || value === 'deny') return value;
  const m = /^delay:(\d{1,7})$/.exec(value);
  if (m) return { delayMs: Number(m[1]) };
  throw new Fido2Error('usage', `--presence wants confirm, deny or delay:MS, got '${value}'`);
}

/** --fingers N: a sensor (as --uv) starting with N fingers enrolled; --uv alone means 1. */
export function parseFingers(value: string): number {
  if (/^[0-5]$/.test(value)) return Number(value);
  throw new Fido2Error('usage', `--fingers wants a number of enrolled fingers from 0 to 5, got '${value}'`);
}

/** --make-cred-uv-not-rqd on|off: the CTAP 2.1 makeCredUvNotRqd feature (on by default). */
export function parseOnOff(option: string, value: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new Fido2Error('usage', `${option} wants on or off, got '${value}'`);
}

/** --large-blob-max N: getInfo maxSerializedLargeBlobArray (CTAP 2.1 requires at least 1024), or 0 for none. */
export function parseLargeBlobMax(value: string): number {
  const n = Number(value);
  if (/^\d{1,7}$/.test(value) && (n === 0 || (n >= MIN_LARGE_BLOB_MAX && n <= MAX_LARGE_BLOB_MAX))) return n;
  throw new Fido2Error('usage', `--large-blob-max wants a size in bytes from ${MIN_LARGE_BLOB_MAX} to ${MAX_LARGE_BLOB_MAX}, or 0 for a key without large blobs, got '${value}'`);
}

/** --apdus extended|short: the card takes extended APDUs and says so in its ATR, or only short ones. */
export function parseApdus(value: string): boolean {
  if (value === 'extended' || value === 'short') return value === 'extended';
  throw new Fido2Error('usage', `--apdus wants extended or short, got '${value}'`);
}

function parseProfile(value: string): ProfileName {
  if (isProfileName(value)) return value;
  throw new Fido2Error('usage', `--profile wants one of ${PROFILE_NAMES.join(', ')}, got '${value}'`);
}

function parseResetWindow(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !(n > 0)) {
    throw new Fido2Error('usage', `--reset-window wants a number of seconds above 0, got '${value}'`);
  }
  return n;
}

/** Validates the options, builds the key and starts serving it; the caller decides when to stop. */
export async function startSim(opts: SimOptions, onCardEvent?: (e: CardEvent) => void): Promise<SimServer & { key: VirtualKey }> {
  if (opts.vpcd !== undefined && opts.listen !== undefined) {
    throw new Fido2Error('usage', '--vpcd and --listen exclude each other: the key is either a card in a vpcd reader or a TCP server; give one');
  }
  const where = opts.vpcd !== undefined ? parseListen(opts.vpcd, '--vpcd', DEFAULT_VPCD) : parseListen(opts.listen ?? DEFAULT_LISTEN);
  const profile = parseProfile(opts.profile ?? 'fido-2.1');
  if (opts.apdus !== undefined) {
    parseApdus(opts.apdus);
    if (opts.vpcd === undefined) throw new Fido2Error('usage', '--apdus is for the card in a vpcd reader; give --vpcd too, or drop --apdus');
  }
  const presence = parsePresence(opts.presence ?? 'confirm');
  const resetWindowSeconds = opts.resetWindow === undefined ? undefined : parseResetWindow(opts.resetWindow);
  if (opts.makeCredUvNotRqd !== undefined) parseOnOff('--make-cred-uv-not-rqd', opts.makeCredUvNotRqd);
  if (opts.largeBlobMax !== undefined) parseLargeBlobMax(opts.largeBlobMax); // refused before the state file is locked
  const statePath = opts.state;
  const unlock = statePath ? lockStateFile(statePath) : () => undefined;
  try {
    return await serve(opts, where, profile, presence, resetWindowSeconds, statePath, unlock, onCardEvent);
  } catch (e) {
    unlock();
    throw e;
  }
}

async function serve(
  opts: SimOptions,
  where: { host: string; port: number },
  profile: ProfileName,
  presence: PresenceMode,
  resetWindowSeconds: number | undefined,
  statePath: string | undefined,
  unlock: () => void,
  onCardEvent: ((e: CardEvent) => void) | undefined,
): Promise<SimServer & { key: VirtualKey }> {
  const state = statePath ? loadStateFile(statePath) : undefined;
  const key = new VirtualKey({
    profile,
    uv: opts.uv === true || opts.fingers !== undefined,
    ...(opts.fingers === undefined ? {} : { fingers: parseFingers(opts.fingers) }),
    presence,
    ...(opts.vpcd === undefined ? {} : { transports: ['nfc'] }),
    ...(opts.makeCredUvNotRqd === undefined ? {} : { makeCredUvNotRqd: parseOnOff('--make-cred-uv-not-rqd', opts.makeCredUvNotRqd) }),
    ...(resetWindowSeconds === undefined ? {} : { resetWindowSeconds }),
    ...(opts.largeBlobMax === undefined ? {} : { largeBlobMax: parseLargeBlobMax(opts.largeBlobMax) }),
    ...(state ? { state } : {}),
    ...(statePath ? { onStateChange: (s) => saveOrSay(statePath, s) } : {}),
  });
  if (statePath) {
    // Written now, loaded or not, so an unwritable path is refused before serving.
    try {
      saveStateFile(statePath, key.snapshot());
    } catch (e) {
      throw new Fido2Error('usage', `cannot write the state file ${statePath}: ${(e as Error).message}; pick a writable --state path`, { cause: e });
    }
  }
  let server: SimServer;
  try {
    server =
      opts.vpcd !== undefined
        ? cardInVpcd(key, where, opts.apdus === undefined ? true : parseApdus(opts.apdus), onCardEvent)
        : await startSimServer(key, where);
  } catch (e) {
    throw new Fido2Error('usage', `cannot listen on ${where.host}:${where.port}: ${(e as Error).message}`, { cause: e });
  }
  const close = server.close.bind(server);
  return Object.assign(server, {
    key,
    close: async () => {
      await close();
      unlock();
    },
  });
}

/** The key as a card in the vpcd reader at `where`; unplug/plugIn take it out of the reader and put it back. */
function cardInVpcd(key: VirtualKey, where: { host: string; port: number }, extendedLength: boolean, onEvent?: (e: CardEvent) => void): SimServer {
  const card = insertCard(virtualCard(key, undefined, { extendedLength }), where, onEvent);
  return {
    ...where,
    unplug: async () => card.remove(),
    plugIn: async () => card.insert(),
    close: async () => card.close(),
  };
}

/** Loopback addresses only reach this machine; anything else exposes the key. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export async function runSim(opts: SimOptions): Promise<void> {
  let reader = '';
  const sim = await startSim(opts, (e) => {
    if (e === 'inserted') process.stdout.write(`card in the vpcd reader at ${reader}\n`);
    else if (e === 'removed') process.stdout.write('card out of the reader\n');
    else process.stderr.write(`waiting for the vpcd reader at ${reader} (is pcscd running with vsmartcard-vpcd?)\n`);
  });
  const host = sim.host.includes(':') ? `[${sim.host}]` : sim.host;
  reader = `${host}:${sim.port}`;
  if (opts.vpcd !== undefined) process.stdout.write(`virtual ${sim.key.profile.name} key as a contactless card for the vpcd reader at ${reader}\n`);
  else process.stdout.write(`virtual ${sim.key.profile.name} key listening on ${host}:${sim.port}\n`);
  if (!isLoopback(sim.host)) {
    process.stderr.write(`warning: ${host} is not a loopback address: anyone who can reach it on the network can use and reset this virtual key\n`);
  }
  const out = opts.vpcd !== undefined ? 'takes it out of the reader and puts it back' : 'unplugs it and plugs it back in';
  process.stderr.write(`(kill -USR1 ${process.pid} ${out} ${REPLUG_SECONDS} s later; kill -USR2 ${process.pid} takes it out until the next USR2)\n`);
  // SIGUSR1 stands in for pulling the key out and putting it back, e.g. for the guided reset.
  const replug = (): void => {
    void sim.unplug().then(() => {
      process.stdout.write('unplugged\n');
      setTimeout(() => {
        void sim.plugIn().then(() => process.stdout.write('plugged in\n'));
      }, REPLUG_SECONDS * 1000);
    });
  };
  process.on('SIGUSR1', replug);
  // SIGUSR2 toggles: out until the next one, for a test that puts the key back when it is ready (e.g. during a touch wait).
  let away: NodeJS.Timeout | undefined;
  const toggle = (): void => {
    if (away === undefined) {
      // Out of the reader there is no socket left to keep the process alive: this timer does, until the card is back.
      away = setInterval(() => undefined, 1 << 30);
      void sim.unplug().then(() => process.stdout.write('unplugged\n'));
    } else {
      clearInterval(away);
      away = undefined;
      void sim.plugIn().then(() => process.stdout.write('plugged in\n'));
    }
  };
  process.on('SIGUSR2', toggle);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGUSR1', replug);
      process.off('SIGUSR2', toggle);
      clearInterval(away);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
}

/** A change the state file cannot take is refused by the key and undone in memory (virtual-key.ts); the operator is told why. */
function saveOrSay(path: string, state: Parameters<typeof saveStateFile>[1]): void {
  try {
    saveStateFile(path, state);
  } catch (e) {
    process.stderr.write(`fido2-manage sim: cannot write the state file ${path} (${(e as Error).message}); the command was refused and the key keeps its state as before.\n`);
    throw e;
  }
}
