import { randomBytes } from 'node:crypto';
import { bytesEqual } from '../../ctap/bytes.js';
import {
  LARGE_BLOB_KEY_LENGTH,
  largeBlobEntryToCbor,
  LargeBlobs,
  openLargeBlob,
  sealLargeBlob,
  serializeLargeBlobArray,
  tooLargeError,
} from '../../ctap/large-blobs.js';
import { Fido2Error } from '../../errors.js';
import type { GlobalOptions } from '../global-options.js';
import { report } from '../output.js';
import { type PinIo, processPinIo } from '../pin-input.js';
import { withSession } from '../session.js';
import { inventoryToJson, passkeyToJson, rowsOf, usageLine, whose } from './inventory.js';
import { credentialArgument, keepAllBut, largeBlobKeyInfo, openBlobSession, readBlobInput, readInventory, resolvePasskey, writeAndReadBack } from './support.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * `large-blobs set --credential ID (FILE | -)`: the passkey's entry becomes
 * FILE's bytes (earlier entries of the same passkey are removed, other
 * elements kept in order). Data that cannot fit even alone is refused before
 * the PIN is asked for; the exact array is checked again before it is sent.
 */
export async function runLargeBlobsSet(source: string, o: { credential?: string }, g: GlobalOptions, io: PinIo = processPinIo()): Promise<void> {
  const id = credentialArgument(o.credential);
  const data = await readBlobInput(source, g);
  await withSession(g, async (s) => {
    const info = await largeBlobKeyInfo(s);
    const lb = new LargeBlobs(s.ctap, info);
    // The sealed size does not depend on the key, so any key tells whether the entry alone fits.
    const alone = serializeLargeBlobArray([largeBlobEntryToCbor(sealLargeBlob(randomBytes(LARGE_BLOB_KEY_LENGTH), data))]).length;
    if (alone > lb.maxSerializedLength) throw tooLargeError(alone, lb.maxSerializedLength);

    const b = await openBlobSession(s, info, g, io, true, lb);
    const owner = resolvePasskey(b.passkeys, id);
    const key = owner.credential.largeBlobKey;
    if (key === undefined) {
      throw new Fido2Error('unsupported', `The passkey of ${whose(owner)} was made without a largeBlobKey, so no large blob can be stored for it; nothing was changed.`, { reason: 'no-large-blob-key' });
    }
    const before = await readInventory(b);
    const earlier = rowsOf(before, owner.credential.credentialId);
    const items = [...keepAllBut(before, new Set(earlier.map((r) => r.index))), largeBlobEntryToCbor(sealLargeBlob(key, data))];
    const after = await writeAndReadBack(b, items);

    const stored = rowsOf(after, owner.credential.credentialId);
    const back = stored.length === 1 ? openLargeBlob(key, stored[0]!.entry!) : undefined;
    if (back === undefined || !bytesEqual(back, data)) {
      throw new Fido2Error('not-confirmed', `The key accepted the write, but the large blob of ${whose(owner)} does not read back as written; check with \`fido2-manage large-blobs list\`.`);
    }
    const replaced = earlier.length === 0 ? '' : ` (replacing ${plural(earlier.length, 'earlier entry', 'earlier entries')})`;
    report(
      g.json,
      { device: s.label, credential: passkeyToJson(owner), dataBytes: data.length, replaced: earlier.length, before: inventoryToJson(before), after: inventoryToJson(after) },
      `Stored ${plural(data.length, 'byte')} for ${whose(owner)}${replaced}; read back from the key: ${plural(after.rows.length, 'large blob')}, ${usageLine(after)}.`,
    );
  });
}
