/**
 * The kinds of key the simulator can be: which CTAP version it speaks
 * decides its getInfo, its commands and its PIN/UV auth protocols.
 */
export type ProfileName = 'fido-2.1' | 'fido-2.1-pre' | 'fido-2.0' | 'u2f-only' | 'fido-2.3' | 'fido-2.3-only';

export const PROFILE_NAMES: readonly ProfileName[] = ['fido-2.1', 'fido-2.1-pre', 'fido-2.0', 'u2f-only', 'fido-2.3', 'fido-2.3-only'];

export interface Profile {
  readonly name: ProfileName;
  /** CTAPHID_CBOR is available (CTAP 2.1 §11.2.9.1.3 CAPABILITY_CBOR). */
  readonly cbor: boolean;
  readonly versions: readonly string[];
  /** Preferred first, as getInfo lists them (§6.4). */
  readonly pinUvAuthProtocols: readonly (1 | 2)[];
  /** authenticatorConfig, getPinUvAuthTokenUsing*WithPermissions, alwaysUv, minPINLength: CTAP 2.1 only. */
  readonly ctap21: boolean;
  /**
   * The CTAP 2.2/2.3 additions: the persistent token (pcmr), getInfo 0x16..0x1F (encIdentifier,
   * encCredStoreState, maxPINLength, pinComplexityPolicy, longTouchForReset...), config 0x04.
   */
  readonly ctap23: boolean;
  /** authenticatorSelection (0x0B), also 2.1 only. */
  readonly selection: boolean;
  /** AAGUIDs name a model, not a unit (WebAuthn §6.1.1): every key of one profile shares it. */
  readonly aaguid: string;
}

const PROFILES: Record<ProfileName, Profile> = {
  'fido-2.1': {
    name: 'fido-2.1',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000021',
    cbor: true,
    versions: ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1'],
    pinUvAuthProtocols: [2, 1],
    ctap21: true,
    ctap23: false,
    selection: true,
  },
  'fido-2.3': {
    name: 'fido-2.3',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000023',
    cbor: true,
    versions: ['FIDO_2_0', 'FIDO_2_1_PRE', 'FIDO_2_1', 'FIDO_2_2', 'FIDO_2_3'],
    pinUvAuthProtocols: [2, 1],
    ctap21: true,
    ctap23: true,
    selection: true,
  },
  // Only FIDO_2_3 in versions: for clients that must not lean on the older version strings.
  'fido-2.3-only': {
    name: 'fido-2.3-only',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-0000000023f0',
    cbor: true,
    versions: ['FIDO_2_3'],
    pinUvAuthProtocols: [2, 1],
    ctap21: true,
    ctap23: true,
    selection: true,
  },
  'fido-2.1-pre': {
    name: 'fido-2.1-pre',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-0000000021e0',
    cbor: true,
    versions: ['FIDO_2_0', 'FIDO_2_1_PRE'],
    pinUvAuthProtocols: [2, 1],
    ctap21: false,
    ctap23: false,
    selection: false,
  },
  'fido-2.0': {
    name: 'fido-2.0',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-000000000020',
    cbor: true,
    versions: ['FIDO_2_0'],
    pinUvAuthProtocols: [1],
    ctap21: false,
    ctap23: false,
    selection: false,
  },
  'u2f-only': {
    name: 'u2f-only',
    aaguid: 'f1d0f1d0-5a11-4e21-9a0b-0000000000f2',
    cbor: false,
    versions: ['U2F_V2'],
    pinUvAuthProtocols: [],
    ctap21: false,
    ctap23: false,
    selection: false,
  },
};

export function isProfileName(name: string): name is ProfileName {
  return (PROFILE_NAMES as readonly string[]).includes(name);
}

export function profile(name: ProfileName): Profile {
  return PROFILES[name];
}

/** The profile's AAGUID as the 16 bytes getInfo and attested credential data carry. */
export function aaguidBytes(p: Profile): Uint8Array {
  return new Uint8Array(Buffer.from(p.aaguid.replace(/-/g, ''), 'hex'));
}
