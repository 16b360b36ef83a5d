/** How every `fingerprints` command shows a template; the rules live in src/operations/fingerprints.ts. */
import type { Template } from '../../ctap/bio-enrollment.js';

export function templateJson(t: Template): { id: string; name: string | null } {
  return { id: t.idHex, name: t.name ?? null };
}

export function describeTemplate(t: Template): string {
  return t.name === undefined ? t.idHex : `${t.idHex} "${t.name}"`;
}
