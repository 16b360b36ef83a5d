/**
 * What the `large-blobs` commands share: the key check (exit 5 without large
 * blobs), one token for the whole command (`cm` to list the passkeys and their
 * largeBlobKeys, plus `lbw` when it writes: one PIN entry), reading the array
 * and naming its owners, and writing it back with a read-back.
 */
import { readFile, stat } from 'node:fs/promises';
import type { CborValue } from '../../ctap/cbor.js';
import type { PinUvAuthToken } from '../../ctap/client-pin.js';
import { CredentialManagement, credentialManagementCommand } from '../../ctap/credential-management.js';
import { CtapError } from '../../ctap/errors.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { LargeBlobError, LargeBlobs, MAX_ORIG_SIZE, supportsLargeBlobs } from '../../ctap/large-blobs.js';
import { PERM_CM, PERM_LBW } from '../../ctap/permissions.js';
import { Fido2Error } from '../../errors.js';
import { obtainToken } from '../authorize.js';
import { checkIdArgument, flatten, keyStep, type Located, resolveCredential } from '../credentials/credentials-support.js';
import type { GlobalOptions } from '../global-options.js';
import { notice } from '../output.js';
import type { PinIo } from '../pin-input.js';
import type { Session } from '../session.js';
import { damageText, type Inventory, takeInventory } from './inventory.js';

const noBlobs = (versions: string): LargeBlobError =>
  new LargeBlobError('unsupported', `This key has no large-blob storage: it does not offer CTAP 2.1 authenticatorLargeBlobs (versions: ${versions}).`);

/** getInfo, or exit 5 for a key without large blobs (CTAP 2.0, 2.1-PRE, U2F-only) or without credential management. */
export async function largeBlobKeyInfo(s: Session): Promise<AuthenticatorInfo> {
  if (!s.device.capabilities.cbor) throw noBlobs('U2F only');
  let info: AuthenticatorInfo;
  try {
    info = await s.ctap.getInfo();
  } catch (e) {
    // A U2F key that sets the CBOR bit but refuses getInfo.
    if (e instanceof CtapError && e.status === 0x01) throw noBlobs('U2F only');
    throw e;
  }
  if (!supportsLargeBlobs(info)) throw noBlobs(info.versions.join(', '));
  if (credentialManagementCommand(info) === undefined) {
    throw new Fido2Error('unsupported', 'This key stores large blobs but has no credential management, so it cannot tell which passkey owns which blob.');
  }
  return info;
}

/** One key's large blobs and passkeys, opened with one token for the whole command. */
export interface BlobSession {
  lb: LargeBlobs;
  cm: CredentialManagement;
  token: PinUvAuthToken;
  passkeys: Located[];
}

/** Asks for the PIN once: permission `cm`, and `lbw` too when the command writes (CTAP 2.1 §6.5.5.7). */
export async function openBlobSession(s: Session, info: AuthenticatorInfo, g: GlobalOptions, io: PinIo, write: boolean, lb = new LargeBlobs(s.ctap, info)): Promise<BlobSession> {
  const token = await obtainToken(s, info, g, io, write ? PERM_CM | PERM_LBW : PERM_CM);
  const cm = new CredentialManagement(s.ctap, info, token);
  const passkeys = flatten(await keyStep(() => cm.listAll()));
  return { lb, cm, token, passkeys };
}

/** Reads the array (no token needed) and names each entry's owner; a damaged array is announced on stderr. */
export async function readInventory(b: Pick<BlobSession, 'lb' | 'passkeys'>, announce = true): Promise<Inventory> {
  const array = await keyStep(() => b.lb.read());
  const inv = takeInventory(array, b.passkeys, b.lb.maxSerializedLength);
  if (inv.damage !== undefined && announce) notice(damageText(inv.damage));
  return inv;
}

/** Replaces the array with `items`, then reads it back for the `after` state. */
export async function writeAndReadBack(b: BlobSession, items: readonly CborValue[]): Promise<Inventory> {
  await keyStep(() => b.lb.write(items, b.token));
  return readInventory(b, false);
}

/** The elements of `inv` minus the rows at `drop` (by index), as they were read. */
export function keepAllBut(inv: Inventory, drop: ReadonlySet<number>): CborValue[] {
  return inv.rows.filter((r) => !drop.has(r.index)).map((r) => r.raw);
}

/** `--credential ID`: checked for its form before anything is asked of the key or the user. */
export function credentialArgument(id: string | undefined): string {
  if (id === undefined || id.trim() === '') {
    throw new Fido2Error('usage', 'Name the passkey with --credential ID (its id, or a unique start of it, from `fido2-manage large-blobs list` or `credentials list`).');
  }
  return checkIdArgument(id);
}

export function resolvePasskey(passkeys: readonly Located[], id: string): Located {
  return resolveCredential([...passkeys], id);
}

/**
 * The data for `set`, from a file or (for `-`) standard input. Beyond what any
 * key can hold it is refused without reading on: even data that compresses
 * well cannot take more than MAX_ORIG_SIZE.
 */
export async function readBlobInput(source: string, g: GlobalOptions): Promise<Uint8Array> {
  const tooBig = (): Fido2Error =>
    new Fido2Error('storage-full', `${source === '-' ? 'Standard input carries' : `${source} has`} more than ${MAX_ORIG_SIZE} bytes, far beyond what a key stores; nothing was sent.`, { reason: 'large-blob-too-large' });
  if (source === '-') {
    if (g.pinStdin || g.newPinStdin) throw new Fido2Error('usage', 'Standard input cannot carry both the data and the PIN: give the PIN with --pin-file, --pin-env or FIDO2_PIN, or the data as a file.');
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of process.stdin) {
      const b = chunk as Buffer;
      length += b.length;
      if (length > MAX_ORIG_SIZE) throw tooBig();
      chunks.push(b);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }
  try {
    const st = await stat(source);
    if (!st.isFile()) throw new Fido2Error('usage', `${source} is not a file; give a file to store, or - for standard input.`);
    if (st.size > MAX_ORIG_SIZE) throw tooBig();
    return new Uint8Array(await readFile(source));
  } catch (e) {
    if (e instanceof Fido2Error) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new Fido2Error('usage', `Cannot read ${source} (${code ?? 'error'}); give a readable file, or - for standard input.`, { cause: e });
  }
}
