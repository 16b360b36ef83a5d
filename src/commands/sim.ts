/**
 * `fido2-manage sim`: serves a virtual key over TCP until SIGINT/SIGTERM.
 * Prints one line containing "listening on HOST:PORT" once it accepts
 * connections; scripts wait for it.
 */
import { Fido2Error } from '../errors.js';
import type { PresenceMode } from '../sim/presence.js';
import { PROFILE_NAMES, isProfileName, type ProfileName } from '../sim/profiles.js';
import { startSimServer, type SimServer } from '../sim/server.js';
import { loadStateFile, saveStateFile } from '../sim/state-file.js';
import { VirtualKey } from '../sim/virtual-key.js';

export interface SimOptions {
  listen?: string;
  profile?: string;
  uv?: boolean;
  state?: string;
  resetWindow?: string;
  presence?: string;
}

export const DEFAULT_LISTEN = '127.0.0.1:35962';

/** How long a SIGUSR1 replug keeps the key out. */
const REPLUG_SECONDS = 1;

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new Fido2Error('usage', `--listen wants HOST:PORT (e.g. ${DEFAULT_LISTEN}), got '${value}'`);
  }
  return { host: (m[1] ?? m[2])!, port };
}

export function parsePresence(value: string): PresenceMode {
  if (value === 'confirm' || value === 'deny') return value;
  const m = /^delay:(\d{1,7})$/.exec(value);
  if (m) return { delayMs: Number(m[1]) };
  throw new Fido2Error('usage', `--presence wants confirm, deny or delay:MS, got '${value}'`);
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
export async function startSim(opts: SimOptions): Promise<SimServer & { key: VirtualKey }> {
  const where = parseListen(opts.listen ?? DEFAULT_LISTEN);
  const profile = parseProfile(opts.profile ?? 'fido-2.1');
  const presence = parsePresence(opts.presence ?? 'confirm');
  const resetWindowSeconds = opts.resetWindow === undefined ? undefined : parseResetWindow(opts.resetWindow);
  const statePath = opts.state;
  const state = statePath ? loadStateFile(statePath) : undefined;
  const key = new VirtualKey({
    profile,
    uv: opts.uv === true,
    presence,
    ...(resetWindowSeconds === undefined ? {} : { resetWindowSeconds }),
    ...(state ? { state } : {}),
    ...(statePath ? { onStateChange: (s) => saveStateFile(statePath, s) } : {}),
  });
  if (statePath && !state) saveStateFile(statePath, key.snapshot());
  let server: SimServer;
  try {
    server = await startSimServer(key, where);
  } catch (e) {
    throw new Fido2Error('usage', `cannot listen on ${where.host}:${where.port}: ${(e as Error).message}`, { cause: e });
  }
  return Object.assign(server, { key });
}

export async function runSim(opts: SimOptions): Promise<void> {
  const sim = await startSim(opts);
  const host = sim.host.includes(':') ? `[${sim.host}]` : sim.host;
  process.stdout.write(`virtual ${sim.key.profile.name} key listening on ${host}:${sim.port}\n`);
  process.stdout.write(`(kill -USR1 ${process.pid} unplugs it and plugs it back in ${REPLUG_SECONDS} s later)\n`);
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
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGUSR1', replug);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await sim.close();
}
