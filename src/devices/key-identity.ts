/**
 * What counts as the same key, for the cross-process lock and for fleet
 * de-duplication alike: a key is named by what it is, not by how it was
 * spelled. A software key is its resolved address and port (tcp:localhost:P
 * and tcp:127.0.0.1:P are one key); a HID key is its USB serial, else its OS
 * path; a virtual key is its state file.
 *
 * A key that reports a stable identity of its own (CTAP 2.3 encIdentifier,
 * read with a remembered persistent token: src/operations/remembered-token.ts)
 * is named by its `keyId` digest, whatever it was reached by; that is only
 * known once the key is open, so callers that lock before opening keep the
 * transport identity for the lock.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { resolve } from 'node:path';

export type KeyFacts = (
  /** `address` as resolveTcpAddress returns it (an IP literal, or the name when it does not resolve). */
  | { kind: 'tcp'; address: string; port: number }
  | { kind: 'hid'; path: string; serial?: string }
  /** A virtual key: in-process ones without a state file are private to this process. */
  | { kind: 'sim'; stateFile?: string }
) & {
  /** keyIdOf the key's own identifier (CTAP 2.3 encIdentifier), when known: preferred over the rest. */
  keyId?: string;
};

/** The identity of a key known by its own CTAP 2.3 identifier, whatever it was reached by. */
export const ownIdentity = (keyId: string): string => `key:${keyId}`;

/** The one identity of a key; pure. Equal strings mean the same key. */
export function keyIdentity(k: KeyFacts): string {
  // Same across PIN changes, replugs and transports; new after a reset, which makes it a new key.
  if (k.keyId) return ownIdentity(k.keyId);
  switch (k.kind) {
    case 'tcp':
      return `tcp:${k.address.includes(':') ? `[${k.address}]` : k.address}:${k.port}`;
    case 'hid':
      return k.serial ? `serial:${k.serial}` : `hid:${k.path}`;
    case 'sim':
      return k.stateFile ? `sim:${resolve(k.stateFile)}` : `sim:pid-${process.pid}`;
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/**
 * The address a host name stands for: the first IPv4 address, else the first
 * one. IPv4 first so that `localhost` (often ::1 and 127.0.0.1) names the same
 * key as `127.0.0.1`, which is where software keys listen; pure.
 */
export function preferredAddress(addresses: readonly ResolvedAddress[]): string | undefined {
  return (addresses.find((a) => a.family === 4) ?? addresses[0])?.address;
}

export type Lookup = (host: string) => Promise<ResolvedAddress[]>;

const systemLookup: Lookup = (host) => dnsLookup(host, { all: true });

/**
 * Resolves a tcp: host for keyIdentity. An IP literal is itself (IPv6 in
 * lower case); a name that does not resolve stays as spelled, in lower case,
 * so that opening it reports the real error.
 */
export async function resolveTcpAddress(host: string, lookup: Lookup = systemLookup): Promise<string> {
  // The URL parser writes an IPv6 address one way (::1, not 0:0:0:0:0:0:0:1).
  if (isIP(host) === 6) return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  if (isIP(host)) return host;
  try {
    return (preferredAddress(await lookup(host)) ?? host).toLowerCase();
  } catch {
    return host.toLowerCase();
  }
}
