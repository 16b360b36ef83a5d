/**
 * The `apply` policy file: the state a fleet of keys should end up in. Validated
 * in full before any key is touched; an unknown field or a wrong type is a usage
 * error that names the field.
 */
import { Fido2Error } from '../errors.js';

import type { MinPinLengthPolicy, Policy } from '../operations/settings-plan.js';

export type { MinPinLengthPolicy, Policy };

const TOP = ['pin', 'minPinLength', 'alwaysUv', 'enterpriseAttestation', 'forcePinChange', 'longTouchForReset', 'allowedAaguids'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MIN = ['length', 'rpIds', 'forceChange', 'complexity'] as const;

const bad = (field: string, what: string): Fido2Error =>
  new Fido2Error('usage', `Policy field "${field}" ${what}; fix the policy file (nothing was sent to any key).`, { reason: 'policy' });

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(o: Record<string, unknown>, allowed: readonly string[], prefix: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) throw bad(`${prefix}${k}`, `is not known (known fields: ${allowed.map((a) => prefix + a).join(', ')})`);
  }
}

function boolField(o: Record<string, unknown>, k: string, prefix = ''): boolean | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw bad(prefix + k, `must be true or false, not ${JSON.stringify(v)}`);
  return v;
}

/** Checks a parsed policy document and returns it typed; pure. */
export function validatePolicy(doc: unknown): Policy {
  if (!isObject(doc)) throw new Fido2Error('usage', 'The policy must be a JSON object such as {"pin": true, "alwaysUv": true}.', { reason: 'policy' });
  unknownFields(doc, TOP, '');
  const policy: Policy = {};
  const pin = boolField(doc, 'pin');
  if (pin !== undefined) policy.pin = pin;
  const alwaysUv = boolField(doc, 'alwaysUv');
  if (alwaysUv !== undefined) policy.alwaysUv = alwaysUv;
  for (const k of ['enterpriseAttestation', 'forcePinChange', 'longTouchForReset'] as const) {
    const v = boolField(doc, k);
    if (v === false) throw bad(k, 'can only be true (a key turns it off only by reset); leave the field out instead');
    if (v) policy[k] = true;
  }
  const m = doc.minPinLength;
  if (m !== undefined) {
    if (!isObject(m)) throw bad('minPinLength', `must be an object such as {"length": 8}, not ${JSON.stringify(m)}`);
    unknownFields(m, MIN, 'minPinLength.');
    const length = m.length;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 4 || length > 63) {
      throw bad('minPinLength.length', `must be a whole number from 4 to 63, not ${JSON.stringify(length)}`);
    }
    const out: MinPinLengthPolicy = { length };
    if (m.rpIds !== undefined) {
      if (!Array.isArray(m.rpIds) || m.rpIds.some((r) => typeof r !== 'string' || r === '')) {
        throw bad('minPinLength.rpIds', 'must be a list of site names such as ["example.com"]');
      }
      out.rpIds = [...(m.rpIds as string[])];
    }
    const fc = boolField(m, 'forceChange', 'minPinLength.');
    if (fc !== undefined) out.forceChange = fc;
    // Only turning it on: no subcommand turns a key's PIN complexity policy off.
    const complexity = boolField(m, 'complexity', 'minPinLength.');
    if (complexity === false) throw bad('minPinLength.complexity', 'can only be true (a key turns its PIN complexity policy off only by reset); leave the field out instead');
    if (complexity) out.complexity = true;
    policy.minPinLength = out;
  }
  const allowed = doc.allowedAaguids;
  if (allowed !== undefined) {
    if (!Array.isArray(allowed) || allowed.length === 0 || allowed.some((a) => typeof a !== 'string' || !UUID.test(a))) {
      throw bad('allowedAaguids', 'must be a non-empty list of AAGUIDs such as ["cb69481e-8ff7-4039-93ec-0a2729a154a8"] (see `fido2-manage info`)');
    }
    policy.allowedAaguids = (allowed as string[]).map((a) => a.toLowerCase());
  }
  return policy;
}

/** Parses the text of a policy file; a JSON syntax error is a usage error too. */
export function parsePolicy(text: string, where = 'the policy file'): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (e) {
    throw new Fido2Error('usage', `${where} is not valid JSON (${e instanceof Error ? e.message : String(e)}); fix it and run again.`, { reason: 'policy' });
  }
  return validatePolicy(doc);
}
