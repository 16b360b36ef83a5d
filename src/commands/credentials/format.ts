/** Text rendering of a credential listing for people; JSON lives in credentials-support.ts. */
import type { CredentialListing, StoredCredential } from '../../ctap/credential-management.js';
import { b64url, flatten, uniquePrefixes } from '../../operations/credential-ids.js';

/** credProtect levels (CTAP 2.1 §12.1). */
const CRED_PROTECT: Readonly<Record<number, string>> = {
  1: 'UV optional',
  2: 'UV optional with id list',
  3: 'UV required',
};

export function credProtectText(level: number | undefined): string | undefined {
  if (level === undefined) return undefined;
  return `credProtect ${level} (${CRED_PROTECT[level] ?? 'unknown level'})`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

export function summaryLine(listing: CredentialListing): string {
  const { existing, remaining } = listing.metadata;
  return `${plural(existing, 'passkey')} stored; room for ${remaining === 0 ? 'no' : `up to ${remaining}`} more.`;
}

function userLine(c: StoredCredential): string {
  const name = c.user.name ?? '(no user name)';
  return c.user.displayName === undefined || c.user.displayName === '' ? name : `${name} (${c.user.displayName})`;
}

function userIdText(id: Uint8Array): string {
  const text = Buffer.from(id).toString('utf8');
  const readable = /^[\x20-\x7e]+$/.test(text) ? ` "${text}"` : '';
  return `${b64url(id)}${readable}`;
}

/** The listing as lines: summary, then each RP with its credentials; ids shortened to a unique prefix. */
export function listingLines(listing: CredentialListing, rpFilter?: string): string[] {
  const lines = [summaryLine(listing)];
  if (listing.metadata.existing === 0) {
    lines.push('There are no passkeys on this key.');
    return lines;
  }
  if (listing.rps.length === 0) {
    lines.push(`There are no passkeys for ${rpFilter ?? 'any site'} on this key.`);
    return lines;
  }
  const located = flatten(listing);
  const short = new Map(located.map((l, i) => [l.credential, uniquePrefixes(located.map((x) => b64url(x.credential.credentialId)))[i]!]));
  for (const { rp, credentials } of listing.rps) {
    lines.push('');
    lines.push(`${rp.id}${rp.name !== undefined && rp.name !== '' && rp.name !== rp.id ? ` — ${rp.name}` : ''} (${plural(credentials.length, 'passkey')})`);
    for (const c of credentials) {
      const marks = [c.publicKey.algorithmName, credProtectText(c.credProtect), c.largeBlobKey !== undefined ? 'large blob' : undefined, c.thirdPartyPayment ? 'third-party payment' : undefined];
      lines.push(`  ${userLine(c)}`);
      lines.push(`    id ${short.get(c)}   user id ${userIdText(c.user.id)}`);
      lines.push(`    ${marks.filter((m) => m !== undefined).join(', ')}`);
    }
  }
  return lines;
}
