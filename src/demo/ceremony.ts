/**
 * The demo site's two ceremonies: options out, responses verified by
 * @simplewebauthn/server (signatures, challenge, origin, RP ID, UV when
 * required), and the authenticator data decoded for the page, also when the
 * library refuses the response, so the flags that made it refuse are shown.
 * State lives in memory only: credentials for this run, one pending challenge.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { parseAuthenticatorData, type AuthenticatorData } from '../ctap/auth-data.js';
import { decodeCborMap } from '../ctap/cbor.js';
import type { UvFacts } from '../ctap/uv-prediction.js';
import type { Ceremony, Choice } from './verdict.js';
import { modelName } from './model-name.js';

export const RP_ID = 'localhost';

/** What the page shows of one ceremony's response, decoded on the server. */
export interface Decoded {
  flags: { up: boolean; uv: boolean; be: boolean; bs: boolean };
  signCount: number;
  /** Registration only: the AAGUID and the model it names. */
  aaguid?: string;
  model?: string;
  /** Registration only: the attestation statement format (none, packed, fido-u2f...). */
  fmt?: string;
}

export interface Checked {
  decoded?: Decoded;
  /** True when the library verified the response (for a registration: the attestation signature, if any). */
  verified: boolean;
  /** The library's reason when it refused. */
  refusal?: string;
  /** Sign-in: the counter the library accepted (the key's signCount). */
  counter?: number;
}

interface Pending {
  ceremony: Ceremony;
  challenge: string;
  choice: Choice;
  facts: UvFacts;
}

const b64u = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64url'));

function decodedFrom(a: AuthenticatorData, fmt?: string): Decoded {
  const { up, uv, be, bs } = a.flags;
  const d: Decoded = { flags: { up, uv, be, bs }, signCount: a.signCount };
  const acd = a.attestedCredentialData;
  if (acd) {
    d.aaguid = acd.aaguidText;
    const model = modelName(acd.aaguidText);
    if (model !== undefined) d.model = model;
  }
  if (fmt !== undefined) d.fmt = fmt;
  return d;
}

/** The authenticator data of a response, or undefined when it is too broken to read (the library says why). */
function decode(ceremony: Ceremony, response: unknown): Decoded | undefined {
  try {
    const r = (response as { response: Record<string, string> }).response;
    if (ceremony === 'sign-in') return decodedFrom(parseAuthenticatorData(b64u(r.authenticatorData!)));
    const att = decodeCborMap(b64u(r.attestationObject!));
    const fmt = att.get('fmt');
    return decodedFrom(parseAuthenticatorData(att.get('authData') as Uint8Array), typeof fmt === 'string' ? fmt : undefined);
  } catch {
    return undefined;
  }
}

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class DemoSite {
  private readonly credentials = new Map<string, WebAuthnCredential & { passkey: boolean }>();
  private pending: Pending | undefined;

  constructor(readonly origin: string) {}

  /** Options for the browser; the challenge is kept with the choice and key state it was made for. */
  async options(ceremony: Ceremony, choice: Choice, facts: UvFacts): Promise<unknown> {
    const timeout = 60_000;
    const options =
      ceremony === 'register'
        ? await generateRegistrationOptions({
            rpName: 'fido2-manage demo',
            rpID: RP_ID,
            userName: choice.passkey ? 'demo-passkey' : 'demo',
            attestationType: choice.attestation,
            timeout,
            authenticatorSelection: { residentKey: choice.passkey ? 'required' : 'discouraged', userVerification: choice.userVerification },
          })
        : await generateAuthenticationOptions({
            rpID: RP_ID,
            timeout,
            userVerification: choice.userVerification,
            // A passkey sign-in lets the key offer its discoverable credentials; otherwise the site names its own.
            allowCredentials: choice.passkey ? [] : [...this.credentials.values()].map((c) => ({ id: c.id, ...(c.transports ? { transports: c.transports } : {}) })),
          });
    this.pending = { ceremony, challenge: options.challenge, choice, facts };
    return options;
  }

  /** The pending ceremony, taken once: a response can answer only the challenge it was made for. */
  take(ceremony: Ceremony): Pending | undefined {
    const p = this.pending;
    if (p?.ceremony !== ceremony) return undefined;
    this.pending = undefined;
    return p;
  }

  get registered(): number {
    return this.credentials.size;
  }

  async check(p: Pending, response: unknown): Promise<Checked> {
    const decoded = decode(p.ceremony, response);
    const base = decoded ? { decoded } : {};
    const requireUserVerification = p.choice.userVerification === 'required';
    try {
      if (p.ceremony === 'register') {
        const v = await verifyRegistrationResponse({
          response: response as RegistrationResponseJSON,
          expectedChallenge: p.challenge,
          expectedOrigin: this.origin,
          expectedRPID: RP_ID,
          requireUserVerification,
        });
        if (!v.verified) return { ...base, verified: false, refusal: 'the registration did not verify' };
        const c = v.registrationInfo.credential;
        this.credentials.set(c.id, { ...c, passkey: p.choice.passkey });
        return { ...base, verified: true, counter: c.counter };
      }
      const r = response as AuthenticationResponseJSON;
      const credential = this.credentials.get(r.id);
      if (!credential) return { ...base, verified: false, refusal: 'the key signed in with a credential this demo did not register in this run' };
      const v = await verifyAuthenticationResponse({
        response: r,
        expectedChallenge: p.challenge,
        expectedOrigin: this.origin,
        expectedRPID: RP_ID,
        credential,
        requireUserVerification,
      });
      if (!v.verified) return { ...base, verified: false, refusal: 'the signature did not verify' };
      credential.counter = v.authenticationInfo.newCounter;
      return { ...base, verified: true, counter: v.authenticationInfo.newCounter };
    } catch (e) {
      return { ...base, verified: false, refusal: reason(e) };
    }
  }
}
