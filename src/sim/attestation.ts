/**
 * Attestation statements (WebAuthn §8.2 "packed" with x5c), as a real key makes them:
 * - an ordinary makeCredential is signed with a batch attestation key, whose certificate every
 *   virtual key of the same AAGUID shares (basic attestation: it says "this model", not "this key");
 * - enterprise attestation (CTAP 2.1 §7.1, §6.1.2 step 9) is signed with a key and certificate of
 *   this key alone, so that an RP allowed to ask for it can tell individual keys apart.
 * Both certificates are self-signed: the virtual key has no vendor CA.
 */
import { createHash, randomBytes } from 'node:crypto';
import { p256 } from '../p256.js';
import { ES256, newCredentialPrivateKey, signEs256 } from './credentials.js';
import { bitString, boolean, explicit, octetString, oid, printableString, sequence, set, unsignedInteger, utcTime, utf8String } from './der.js';

export interface AttestationIdentity {
  readonly privateKey: Uint8Array;
  /** The DER certificate that goes first in x5c. */
  readonly certificate: Uint8Array;
}

const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  country: '2.5.4.6',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
  /** id-fido-gen-ce-aaguid (WebAuthn §8.2.1). */
  fidoAaguid: '1.3.6.1.4.1.45724.1.1.4',
} as const;

function name(cn: string): Uint8Array {
  const rdn = (type: string, value: Uint8Array): Uint8Array => set(sequence(oid(type), value));
  // WebAuthn §8.2.1: Subject C, O, OU = "Authenticator Attestation" (exactly), CN.
  return sequence(
    rdn(OID.country, printableString('ZZ')),
    rdn(OID.organization, utf8String('fido2-manage')),
    rdn(OID.organizationalUnit, utf8String('Authenticator Attestation')),
    rdn(OID.commonName, utf8String(cn)),
  );
}

/**
 * A version 3 certificate meeting WebAuthn §8.2.1 (packed attestation certificate requirements):
 * the Subject above, basicConstraints CA false, and the AAGUID in the non-critical
 * id-fido-gen-ce-aaguid extension (an OCTET STRING inside extnValue). Self-signed: the key has no
 * vendor CA, so a relying party can only trust it by its certificate (enterprise attestation is for
 * RPs that were told about the key beforehand anyway). The serial number is random: enterprise
 * attestation may identify the individual key.
 */
export function attestationCertificate(
  privateKey: Uint8Array,
  aaguid: Uint8Array,
  serial: Uint8Array = new Uint8Array(randomBytes(16)),
  commonName = 'fido2-manage virtual key enterprise attestation',
): Uint8Array {
  const alg = sequence(oid(OID.ecdsaWithSha256));
  const subject = name(commonName);
  const spki = sequence(sequence(oid(OID.ecPublicKey), oid(OID.prime256v1)), bitString(p256().getPublicKey(privateKey, false)));
  const extensions = sequence(
    sequence(oid(OID.basicConstraints), boolean(true), octetString(sequence())),
    sequence(oid(OID.fidoAaguid), octetString(octetString(aaguid))),
  );
  const tbs = sequence(
    explicit(0, unsignedInteger(Uint8Array.of(2))), // v3
    unsignedInteger(Uint8Array.of(0x01, ...serial)), // positive and non-zero whatever the random bytes
    alg,
    subject,
    sequence(utcTime(new Date(Date.UTC(2024, 0, 1))), utcTime(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)))),
    subject,
    spki,
    explicit(3, extensions),
  );
  return sequence(tbs, alg, bitString(signEs256(privateKey, tbs)));
}

/** The key's own enterprise attestation identity: a fresh key pair, a random serial. */
export function newAttestationIdentity(aaguid: Uint8Array): AttestationIdentity {
  const privateKey = newCredentialPrivateKey();
  return { privateKey, certificate: attestationCertificate(privateKey, aaguid) };
}

const batches = new Map<string, AttestationIdentity>();

/**
 * The batch attestation identity of a model (its AAGUID). Derived from the AAGUID so that every
 * virtual key of one profile, in any process, presents the same certificate, as a production batch
 * of real keys does; a batch key is no secret worth keeping for a software key.
 */
export function batchAttestationIdentity(aaguid: Uint8Array): AttestationIdentity {
  const id = Buffer.from(aaguid).toString('hex');
  let batch = batches.get(id);
  if (batch === undefined) {
    const seed = (label: string): Uint8Array => new Uint8Array(createHash('sha384').update(label).update(aaguid).digest());
    // randomSecretKey maps a 48-byte seed onto a valid scalar (FIPS 186-5 A.2.1), deterministically.
    const privateKey = p256().utils.randomSecretKey(seed('fido2-manage batch attestation key'));
    const serial = seed('fido2-manage batch attestation serial').subarray(0, 16);
    batch = { privateKey, certificate: attestationCertificate(privateKey, aaguid, serial, 'fido2-manage virtual key batch attestation') };
    batches.set(id, batch);
  }
  return batch;
}

/** attStmt of the "packed" format with a certificate (WebAuthn §8.2): alg, sig, x5c. */
export function packedWithCertificate(identity: AttestationIdentity, signed: Uint8Array): Map<string, number | Uint8Array | Uint8Array[]> {
  return new Map<string, number | Uint8Array | Uint8Array[]>([
    ['alg', ES256],
    ['sig', signEs256(identity.privateKey, signed)],
    ['x5c', [identity.certificate]],
  ]);
}
