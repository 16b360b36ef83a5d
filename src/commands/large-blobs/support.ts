/**
 * What the `large-blobs` commands share for presentation: the `--credential`
 * argument, the data to store, and the damage notice. The operations live in
 * src/operations/large-blobs.ts.
 */
import { readFile, stat } from 'node:fs/promises';
import { MAX_ORIG_SIZE } from '../../ctap/large-blobs.js';
import { Fido2Error } from '../../errors.js';
import type { LargeBlobOptions } from '../../operations/large-blobs.js';
import { checkIdArgument } from '../credentials/credentials-support.js';
import type { GlobalOptions } from '../global-options.js';
import { notice } from '../output.js';
import { damageText } from './inventory.js';

export { keepAllBut } from '../../operations/large-blob-inventory.js';

/** A damaged array is announced on stderr when it is first read. */
export const announceDamage: LargeBlobOptions = { onDamage: (d) => notice(damageText(d)) };

/** `--credential ID`: checked for its form before anything is asked of the key or the user. */
export function credentialArgument(id: string | undefined): string {
  if (id === undefined || id.trim() === '') {
    throw new Fido2Error('usage', 'Name the passkey with --credential ID (its id, or a unique start of it, from `fido2-manage large-blobs list` or `credentials list`).');
  }
  return checkIdArgument(id);
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
