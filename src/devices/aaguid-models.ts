/**
 * A key's model from its AAGUID (WebAuthn §6.1.1: an AAGUID names a model, not
 * a unit). Names come from the `aaguids` package (MIT, github.com/darthmaim/aaguids:
 * the FIDO Metadata Service and the community passkey-authenticator-aaguids list,
 * republished as it changes), plus the fido2-manage virtual keys' profiles. The
 * table is read on first use only, so commands that name no model load nothing.
 * An unknown AAGUID has no name: callers show the AAGUID itself.
 */
import { createRequire } from 'node:module';

const SIM_MODELS: Readonly<Record<string, string>> = {
  'f1d0f1d0-5a11-4e21-9a0b-000000000021': 'fido2-manage virtual key (fido-2.1)',
  'f1d0f1d0-5a11-4e21-9a0b-000000000023': 'fido2-manage virtual key (fido-2.3)',
  'f1d0f1d0-5a11-4e21-9a0b-0000000023f0': 'fido2-manage virtual key (fido-2.3-only)',
  'f1d0f1d0-5a11-4e21-9a0b-0000000021e0': 'fido2-manage virtual key (fido-2.1-pre)',
  'f1d0f1d0-5a11-4e21-9a0b-000000000020': 'fido2-manage virtual key (fido-2.0)',
  'f1d0f1d0-5a11-4e21-9a0b-0000000000f2': 'fido2-manage virtual key (u2f-only)',
};

let table: Readonly<Record<string, string>> | undefined;

function load(): Readonly<Record<string, string>> {
  if (table) return table;
  try {
    table = createRequire(import.meta.url)('aaguids/aaguids.json') as Record<string, string>;
  } catch {
    // A trimmed install without the table still works; keys are then named by AAGUID.
    table = {};
  }
  return table;
}

/** The model an AAGUID names, when a table knows it. */
export function modelName(aaguid: string | undefined): string | undefined {
  if (aaguid === undefined) return undefined;
  const id = aaguid.toLowerCase();
  return SIM_MODELS[id] ?? load()[id];
}
