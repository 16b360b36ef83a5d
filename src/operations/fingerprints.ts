/**
 * Fingerprints on a key with a sensor (authenticatorBioEnrollment, CTAP 2.1
 * §6.7; FIDO_2_1_PRE keys on the prototype command 0x40): list, enroll,
 * rename, delete. Names are checked against the sensor's limit and ids against
 * the key's list before anything changes, every change is read back, and an
 * enrollment that does not finish is cancelled on the key so it keeps no
 * half-made template.
 */
import { BioEnrollment, bioEnrollmentCommand, type SampleResult, type SensorInfo, type Template } from '../ctap/bio-enrollment.js';
import type { CborRequestOptions } from '../ctap/ctap2.js';
import { CtapError } from '../ctap/errors.js';
import type { AuthenticatorInfo } from '../ctap/get-info.js';
import { PERM_BE } from '../ctap/permissions.js';
import { Fido2Error } from '../errors.js';
import type { Authorizer } from './authorizer.js';
import { explain } from './explain.js';
import { type CaptureEvent, type SampleEvent, sampleEvent } from './fingerprint-samples.js';
import type { KeyHandle } from './key-handle.js';
import { obtainToken } from './token.js';

export type { CaptureEvent, SampleEvent } from './fingerprint-samples.js';
export type { SensorInfo, Template } from '../ctap/bio-enrollment.js';

/** A template id as bytes, or as hex the way `fingerprints list` prints it. */
export type TemplateIdInput = Uint8Array | string;

export interface FingerprintList {
  sensor: SensorInfo;
  fingerprints: Template[];
}

export interface EnrollOptions {
  /** A friendly name, set once the template is complete; checked against the sensor's limit before any sample. */
  name?: string;
  /** The key waits for the finger: before each capture. */
  onCapture?: (e: CaptureEvent) => void;
  /** After each capture, good or not; a bad one is asked for again. */
  onSample?: (e: SampleEvent) => void;
}

export interface EnrollResult {
  /** The new template as the key lists it afterwards. */
  added: Template;
  samples: { status: string; remainingSamples: number }[];
  before: Template[];
  after: Template[];
}

export interface RenameResult {
  before: Template;
  after: Template;
}

export interface DeleteOptions {
  /** Asked with the template found on the key, after the token and before the delete; false cancels with nothing changed. */
  confirm?: (target: Template) => boolean | Promise<boolean>;
}

export interface DeleteResult {
  deleted: Template;
  before: Template[];
  after: Template[];
}

interface Bio {
  readonly info: AuthenticatorInfo;
  readonly command: number;
  /** Needs no token: getFingerprintSensorInfo, cancelCurrentEnrollment. */
  readonly open: BioEnrollment;
}

/** The sensor's facts and the enrolled templates. */
export async function listFingerprints(key: KeyHandle, auth: Authorizer): Promise<FingerprintList> {
  const b = await openBio(key);
  const sensor = await bio(() => b.open.sensorInfo());
  const enrolled = await authorised(key, b, auth);
  return { sensor, fingerprints: await bio(() => enrolled.enumerateEnrollments()) };
}

/**
 * Enrolls a finger sample by sample (§6.7.2); a bad sample is reported and
 * captured again. Any failure or cancel (the key handle's signal) mid-way
 * sends cancelCurrentEnrollment; cancelling is a 'cancelled' error.
 */
export async function enrollFingerprint(key: KeyHandle, auth: Authorizer, o: EnrollOptions = {}): Promise<EnrollResult> {
  const b = await openBio(key);
  const sensor = await bio(() => b.open.sensorInfo());
  if (o.name !== undefined) checkName(o.name, sensor);
  const enrolled = await authorised(key, b, auth);
  const before = await bio(() => enrolled.enumerateEnrollments());
  const samples = await capture(b, enrolled, sensor.samplesRequired, o);
  const id = samples.at(-1)!.templateId;
  if (o.name !== undefined) {
    const name = o.name;
    await bio(() => enrolled.setFriendlyName(id, name));
  }
  const after = await bio(() => enrolled.enumerateEnrollments());
  const added = after.find((t) => t.idHex === Buffer.from(id).toString('hex'));
  if (!added) throw new Fido2Error('not-confirmed', 'The key finished the enrollment but does not list the new fingerprint.');
  if (o.name !== undefined && added.name !== o.name) {
    throw new Fido2Error('not-confirmed', `The key enrolled fingerprint ${added.idHex} but reads back ${added.name === undefined ? 'no name' : `"${added.name}"`} for it.`);
  }
  return { added, samples: samples.map((r) => ({ status: r.statusName, remainingSamples: r.remainingSamples })), before, after };
}

/** setFriendlyName (§6.7.6), read back. */
export async function renameFingerprint(key: KeyHandle, auth: Authorizer, id: TemplateIdInput, name: string): Promise<RenameResult> {
  const templateId = templateIdOf(id);
  const b = await openBio(key);
  checkName(name, await bio(() => b.open.sensorInfo()));
  const enrolled = await authorised(key, b, auth);
  const before = findTemplate(await bio(() => enrolled.enumerateEnrollments()), templateId);
  await bio(() => enrolled.setFriendlyName(templateId, name));
  const after = findTemplate(await bio(() => enrolled.enumerateEnrollments()), templateId);
  if (after.name !== name) {
    throw new Fido2Error('not-confirmed', `The key accepted the new name but reads back ${after.name === undefined ? 'no name' : `"${after.name}"`} for ${after.idHex}.`);
  }
  return { before, after };
}

/** removeEnrollment (§6.7.7) after `confirm`, read back. */
export async function deleteFingerprint(key: KeyHandle, auth: Authorizer, id: TemplateIdInput, o: DeleteOptions = {}): Promise<DeleteResult> {
  const templateId = templateIdOf(id);
  const b = await openBio(key);
  const enrolled = await authorised(key, b, auth);
  const before = await bio(() => enrolled.enumerateEnrollments());
  const target = findTemplate(before, templateId);
  if (o.confirm && !(await o.confirm(target))) throw new Fido2Error('cancelled', 'Delete cancelled; nothing was changed.');
  await bio(() => enrolled.removeEnrollment(templateId));
  const after = await bio(() => enrolled.enumerateEnrollments());
  if (after.some((t) => t.idHex === target.idHex)) {
    throw new Fido2Error('not-confirmed', `The key accepted the delete but still lists fingerprint ${target.idHex}.`);
  }
  return { deleted: target, before, after };
}

/** A template id as `list` prints it: hex, an even number of digits. */
export function parseTemplateId(text: string): Uint8Array {
  const hex = text.trim().toLowerCase().replace(/^0x/, '');
  if (!/^(?:[0-9a-f]{2})+$/.test(hex)) {
    throw new Fido2Error('usage', `"${text}" is not a fingerprint id; ids are hex as \`fido2-manage fingerprints list\` prints them (e.g. 0a1b).`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function templateIdOf(id: TemplateIdInput): Uint8Array {
  if (typeof id === 'string') return parseTemplateId(id);
  if (id.length === 0) throw new Fido2Error('usage', 'A fingerprint id cannot be empty; see `fido2-manage fingerprints list`.');
  return id;
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

/** The key's bio enrollment command, or 'unsupported' when it has no fingerprint sensor. */
async function openBio(key: KeyHandle): Promise<Bio> {
  const info = await key.ctap.getInfo();
  const command = bioEnrollmentCommand(info);
  if (command === undefined) {
    throw new Fido2Error('unsupported', 'This key has no fingerprint sensor (no bioEnroll option); fingerprints cannot be managed on it.');
  }
  return { info, command, open: new BioEnrollment(key.ctap, command) };
}

/** A token with the `be` permission, by PIN or by built-in UV while a finger is enrolled. */
async function authorised(key: KeyHandle, b: Bio, auth: Authorizer): Promise<BioEnrollment> {
  const token = await obtainToken(key, b.info, auth, PERM_BE);
  return new BioEnrollment(key.ctap, b.command, token);
}

/** Runs a bio request, turning the key's status into a one-line message. */
async function bio<T>(step: () => Promise<T>): Promise<T> {
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

/** The capture loop; onCapture replaces the generic touch prompt, so keepalives are not passed on. */
async function capture(b: Bio, enrolled: BioEnrollment, total: number | undefined, o: EnrollOptions): Promise<SampleResult[]> {
  const quiet: CborRequestOptions = { onKeepalive: () => undefined };
  const results: SampleResult[] = [];
  let good = 0;
  const asking = (): void => o.onCapture?.({ sample: good + 1, total });
  try {
    asking();
    let r = await enrolled.enrollBegin(undefined, quiet);
    for (;;) {
      results.push(r);
      if (r.status === 0) good += 1;
      o.onSample?.(sampleEvent(r));
      if (r.remainingSamples === 0) return results;
      if (total === undefined) total = good + r.remainingSamples;
      asking();
      r = await enrolled.enrollCaptureNextSample(r.templateId, undefined, quiet);
    }
  } catch (e) {
    await cancelEnrollment(b);
    if (isCancel(e)) throw new Fido2Error('cancelled', 'Enrollment cancelled; the key kept no new fingerprint.', { cause: e });
    throw explainBio(e);
  }
}

function isCancel(e: unknown): boolean {
  return (e instanceof CtapError && e.status === 0x2d) || (e instanceof Fido2Error && e.kind === 'cancelled');
}

/** Best effort, with a signal of its own: the handle's has already been aborted when the run was cancelled. */
async function cancelEnrollment(b: Bio): Promise<void> {
  await b.open.cancelCurrentEnrollment({ signal: new AbortController().signal }).catch(() => undefined);
}
