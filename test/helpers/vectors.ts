import { readFileSync } from 'node:fs';

/** One case of ../shared/vectors/pin-protocols.json (computed independently with python-fido2). */
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

/** The shared vectors live beside the repository (CI clones it next to shared/). */
export function loadVectors(): VectorCase[] {
  const raw = JSON.parse(readFileSync(new URL('../../../shared/vectors/pin-protocols.json', import.meta.url), 'utf8')) as { cases: VectorCase[] };
  return raw.cases;
}
