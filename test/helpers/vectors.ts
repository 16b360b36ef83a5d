import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One case of test/vectors/pin-protocols.json (computed with python-fido2 by scripts/gen-vectors.py). */
export interface VectorCase {
  protocol: 1 | 2;
  platformPrivateKey: string;
  authenticatorPrivateKey: string;
  authenticatorPublicKey: { x: string; y: string };
  platformKeyAgreement: { x: string; y: string };
  sharedSecret: string;
  ivsUsedInOrder: string[];
  getPinToken: { pin: string; pinHash16: string; pinHashEnc: string };
  setPin: { newPin: string; paddedNewPin: string; newPinEnc: string; pinUvAuthParam: string };
  changePin: { currentPin: string; newPin: string; pinHashEnc: string; newPinEnc: string; pinUvAuthParam: string };
  pinUvAuthToken: { token: string; tokenEnc: string };
  authenticatorConfig: Record<'toggleAlwaysUv' | 'enableEnterpriseAttestation' | 'setMinPINLength', { message: string; pinUvAuthParam: string }>;
}

/**
 * The repository's own vectors, or the file FIDO2_MANAGE_VECTORS names: `npm run test:shared` points it at
 * ../shared/vectors/pin-protocols.json so the same tests check the independent vectors too.
 */
export function vectorsFile(): string {
  return process.env.FIDO2_MANAGE_VECTORS || fileURLToPath(new URL('../vectors/pin-protocols.json', import.meta.url));
}

export function loadVectors(): VectorCase[] {
  const raw = JSON.parse(readFileSync(vectorsFile(), 'utf8')) as { cases: VectorCase[] };
  return raw.cases;
}
