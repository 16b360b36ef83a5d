/**
 * The key state a prediction rests on when the server cannot read the key's
 * getInfo itself: as the page describes it. Checked field by field, so a
 * malformed request is refused, never guessed at.
 */
import type { CtapLevel, UvFacts } from '../ctap/uv-prediction.js';

const CTAP: readonly CtapLevel[] = ['fido-2.1', 'fido-2.1-pre', 'fido-2.0', 'u2f-only'];
const PIN: readonly UvFacts['clientPin'][] = ['set', 'unset', 'absent'];
const BIO: readonly UvFacts['builtInUv'][] = ['enrolled', 'not-enrolled', 'absent'];

const oneOf = <T extends string>(values: readonly T[], v: unknown): v is T => typeof v === 'string' && (values as readonly string[]).includes(v);

/** The facts from the page's description, or a sentence naming the field that is wrong. */
export function describedFacts(v: unknown): UvFacts | string {
  if (typeof v !== 'object' || v === null) return 'the key description is missing';
  const d = v as Record<string, unknown>;
  if (!oneOf(CTAP, d.ctap)) return `ctap must be one of ${CTAP.join(', ')}`;
  if (!oneOf(PIN, d.clientPin)) return `clientPin must be one of ${PIN.join(', ')}`;
  if (!oneOf(BIO, d.builtInUv)) return `builtInUv must be one of ${BIO.join(', ')}`;
  if (typeof d.alwaysUv !== 'boolean') return 'alwaysUv must be true or false';
  if (typeof d.makeCredUvNotRqd !== 'boolean') return 'makeCredUvNotRqd must be true or false';
  // Only FIDO_2_1 keys have always-UV, makeCredUvNotRqd and pinUvAuthToken (CTAP 2.1 §6.4), as factsFromInfo reads them.
  const v21 = d.ctap === 'fido-2.1';
  return { ctap: d.ctap, clientPin: d.clientPin, builtInUv: d.builtInUv, alwaysUv: v21 && d.alwaysUv, makeCredUvNotRqd: v21 && d.makeCredUvNotRqd, pinUvAuthToken: v21 };
}
