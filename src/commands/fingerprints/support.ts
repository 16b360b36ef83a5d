/** What every `fingerprints` command shares: the sensor check, the token, ids and names. */
import { BioEnrollment, bioEnrollmentCommand, type SensorInfo, type Template } from '../../ctap/bio-enrollment.js';
import { CtapError } from '../../ctap/errors.js';
import type { AuthenticatorInfo } from '../../ctap/get-info.js';
import { PERM_BE } from '../../ctap/permissions.js';
import { Fido2Error } from '../../errors.js';
import { obtainToken } from '../authorize.js';
import { explain } from '../../operations/explain.js';
import type { GlobalOptions } from '../global-options.js';
import type { PinIo } from '../pin-input.js';
import type { Session } from '../session.js';

export interface BioSession {
  readonly info: AuthenticatorInfo;
  /** Needs no token: getFingerprintSensorInfo, cancelCurrentEnrollment. */
  readonly open: BioEnrollment;
  readonly command: number;
}

/** The key's bio enrollment command, or exit 5 when it has no fingerprint sensor. */
export async function openBio(s: Session): Promise<BioSession> {
  const info = await s.ctap.getInfo();
  const command = bioEnrollmentCommand(info);
  if (command === undefined) {
    throw new Fido2Error('unsupported', 'This key has no fingerprint sensor (no bioEnroll option); fingerprints cannot be managed on it.');
  }
  return { info, command, open: new BioEnrollment(s.ctap, command) };
}

/** A token with the `be` permission (by PIN, or --uv while a finger is enrolled). */
export async function authorisedBio(s: Session, b: BioSession, g: GlobalOptions, io: PinIo): Promise<BioEnrollment> {
  const token = await obtainToken(s, b.info, g, io, PERM_BE);
  return new BioEnrollment(s.ctap, b.command, token);
}

export async function sensorInfo(b: BioSession): Promise<SensorInfo> {
  return bio(() => b.open.sensorInfo());
}

/** Runs a bio request, turning the key's status into a one-line message. */
export async function bio<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw explainBio(e);
  }
}

function explainBio(e: unknown): unknown {
  if (e instanceof CtapError && e.status === 0x17) {
    return new Fido2Error('key-error', 'The key has no room for another fingerprint (CTAP2_ERR_FP_DATABASE_FULL); delete one first with `fido2-manage fingerprints delete`.', { cause: e });
  }
  return explain(e);
}

/** A template id as `list` prints it: hex, an even number of digits. */
export function parseTemplateId(text: string): Uint8Array {
  const hex = text.trim().toLowerCase().replace(/^0x/, '');
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) {
    throw new Fido2Error('usage', `"${text}" is not a fingerprint id; ids are hex as \`fido2-manage fingerprints list\` prints them (e.g. 0a1b).`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Refuses a name the key would not take, before anything is sent. */
export function checkName(name: string, sensor: SensorInfo): void {
  if (name === '') throw new Fido2Error('usage', 'A fingerprint name cannot be empty.');
  const bytes = Buffer.byteLength(name, 'utf8');
  if (sensor.maxFriendlyNameBytes !== undefined && bytes > sensor.maxFriendlyNameBytes) {
    throw new Fido2Error('usage', `The name "${name}" is ${bytes} bytes; this key takes at most ${sensor.maxFriendlyNameBytes}. Choose a shorter name.`);
  }
}

export function findTemplate(templates: readonly Template[], id: Uint8Array): Template {
  const hex = Buffer.from(id).toString('hex');
  const t = templates.find((x) => x.idHex === hex);
  if (!t) {
    throw new Fido2Error('usage', `No fingerprint with id ${hex} on this key; see \`fido2-manage fingerprints list\`. Nothing was changed.`);
  }
  return t;
}

export function templateJson(t: Template): { id: string; name: string | null } {
  return { id: t.idHex, name: t.name ?? null };
}

export function describeTemplate(t: Template): string {
  return t.name === undefined ? t.idHex : `${t.idHex} "${t.name}"`;
}
