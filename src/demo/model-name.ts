/**
 * A key's model name from its AAGUID (WebAuthn §6.5.1: the AAGUID names a
 * model, not a unit). A deliberately tiny table so the demo can name the keys
 * it meets most: the virtual keys this project ships and Chromium's virtual
 * authenticator, plus a few common models whose AAGUIDs their vendors publish.
 *
 * TODO(station AAGUID table): a full AAGUID → model module is being added for
 * the station (src/fleet/models.ts or similar). When it lands, make
 * `modelName` delegate to it and delete TABLE; callers use only `modelName`.
 */
const TABLE: Readonly<Record<string, string>> = {
  // This project's virtual keys (src/sim/profiles.ts).
  'f1d0f1d0-5a11-4e21-9a0b-000000000021': 'fido2-manage virtual key (CTAP 2.1)',
  'f1d0f1d0-5a11-4e21-9a0b-000000000023': 'fido2-manage virtual key (CTAP 2.3)',
  'f1d0f1d0-5a11-4e21-9a0b-0000000023f0': 'fido2-manage virtual key (CTAP 2.3 only)',
  'f1d0f1d0-5a11-4e21-9a0b-0000000021e0': 'fido2-manage virtual key (CTAP 2.1-PRE)',
  'f1d0f1d0-5a11-4e21-9a0b-000000000020': 'fido2-manage virtual key (CTAP 2.0)',
  // Chromium's virtual authenticator (DevTools WebAuthn panel, CDP WebAuthn domain), the key of the demo's tests.
  '01020304-0506-0708-0102-030405060708': 'Chromium virtual authenticator',
  // What U2F keys give, and what a browser may put instead of the real AAGUID when the site asks for no attestation.
  '00000000-0000-0000-0000-000000000000': 'not named (all-zero AAGUID: a U2F key, or withheld without attestation)',
  // Vendor-published AAGUIDs.
  'ee882879-721c-4913-9775-3dfcce97072a': 'YubiKey 5 Series',
  'cb69481e-8ff7-4039-93ec-0a2729a154a8': 'YubiKey 5 Series (firmware 5.1)',
  'a4e9fc6d-4cbe-4758-b8ba-37598bb5bbaa': 'Security Key NFC by Yubico',
  '2fc0579f-8113-47ea-b116-bb5a8db9202a': 'YubiKey 5 Series with NFC',
  'd8522d9f-575b-4866-88a9-ba99fa02f35b': 'YubiKey Bio Series',
};

/** The model name, or undefined when the tiny table does not know the AAGUID. */
export function modelName(aaguid: string): string | undefined {
  return TABLE[aaguid.toLowerCase()];
}
