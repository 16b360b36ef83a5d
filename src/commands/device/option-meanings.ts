/** What each getInfo option means for the person holding the key, for `info`. */
const MEANINGS: Readonly<Record<string, readonly [on: string, off: string]>> = {
  plat: ['built into the platform', 'a roaming key'],
  rk: ['stores discoverable credentials, i.e. passkeys', 'cannot store discoverable credentials'],
  up: ['can ask for a touch', 'cannot ask for a touch'],
  uv: ['built-in user verification, e.g. a fingerprint, is set up', 'has built-in user verification, not set up yet'],
  clientPin: ['a PIN is set', 'supports a PIN, none set'],
  pinUvAuthToken: ['issues permission-scoped PIN/UV tokens, CTAP 2.1', 'no permission-scoped tokens'],
  authnrCfg: ['can be configured: always-UV, minimum PIN length', 'no configuration command'],
  alwaysUv: [
    'the key asks for PIN or fingerprint on every operation',
    'the key asks for PIN only when the site requires it',
  ],
  makeCredUvNotRqd: ['creates non-discoverable credentials without PIN', 'asks for PIN to create any credential'],
  setMinPINLength: ['minimum PIN length can be raised', 'minimum PIN length is fixed'],
  credMgmt: ['manages stored credentials', 'no credential management'],
  credentialMgmtPreview: ['manages stored credentials, preview command', 'no credential management preview'],
  bioEnroll: ['fingerprints enrolled', 'fingerprint reader, none enrolled'],
  userVerificationMgmtPreview: ['fingerprints enrolled, preview command', 'fingerprint reader, none enrolled, preview command'],
  largeBlobs: ['stores large blobs', 'no large blob storage'],
  ep: ['enterprise attestation enabled', 'enterprise attestation supported, disabled'],
  noMcGaPermissionsWithClientPin: ['sign-in needs built-in UV, not the PIN', 'sign-in works with the PIN'],
  uvAcfg: ['configuration with built-in UV', 'configuration needs the PIN'],
  uvBioEnroll: ['fingerprint enrolment with built-in UV', 'fingerprint enrolment needs the PIN'],
  // CTAP 2.2 §6.5.5.7 pcmr permission: the PIN is still entered once; the token it gives lasts and can only read.
  perCredMgmtRO: ['one PIN entry gives a long-lived read-only token for listing credentials', 'listing credentials needs a fresh PIN token each time'],
};

export function describeOption(name: string, value: boolean): string {
  const m = MEANINGS[name];
  const state = value ? 'on' : 'off';
  return m ? `${name}: ${state} (${value ? m[0] : m[1]})` : `${name}: ${state}`;
}
