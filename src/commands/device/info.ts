import { type AuthenticatorInfo, toJson } from '../../ctap/get-info.js';
import { ClientPin } from '../../ctap/client-pin.js';
import { infoOrU2f } from '../../operations/key-handle.js';
import type { GlobalOptions } from '../global-options.js';
import type { KeyChannel } from '../../ctap/channel.js';
import type { CtapHidDevice } from '../../transports/ctaphid/ctaphid.js';
import { describeOption } from './option-meanings.js';
import { ctap22Meanings, ctap22Members } from './info-ctap22.js';
import { printJson, printLine } from '../output.js';
import { withSession } from '../session.js';
import { modelName } from '../../devices/aaguid-models.js';
import { readMdsBlob } from '../../devices/mds.js';
import { decryptedInfo, type DecryptedInfo } from '../../operations/remembered-token.js';
import { TokenStore } from '../../operations/token-store.js';

interface Retries {
  pinRetries?: number;
  powerCycleRequired?: boolean;
  uvRetries?: number;
}

export async function runInfo(g: GlobalOptions): Promise<void> {
  // Verified before the key is opened: a bad BLOB is a usage error with nothing sent.
  const blob = g.mds === undefined ? undefined : readMdsBlob(g.mds);
  await withSession(g, async (s) => {
    const link = linkFacts(s.device);
    const info = await infoOrU2f(s);
    if (info === undefined) {
      if (g.json) return printJson({ ok: true, device: s.label, ...link, ctap2: false, u2fOnly: true });
      printLine(`Device: ${s.label}`);
      printLine('This key speaks only U2F (CTAP1): it has no PIN, always-UV or other CTAP2 settings to manage.');
      return;
    }
    const retries = await readRetries(s.ctap, info);
    // A token kept by `credentials list --remember` reads the encrypted members; nothing is sent for it.
    const known = info.encIdentifier === undefined ? undefined : await decryptedInfo(info, new TokenStore()).catch(() => undefined);
    const meanings = ctap22Meanings(info, known);
    const explained = Object.keys(meanings).length ? { meanings } : {};
    const cert = blob === undefined ? undefined : (blob.entries.get(info.aaguid.toLowerCase()) ?? null);
    const model = modelName(info.aaguid) ?? cert?.description;
    const certification = cert === undefined ? {} : { certification: cert?.status ?? null };
    const decrypted = known === undefined ? {} : { keyId: known.keyId, ...(known.credStore === undefined || known.credStore === 'unknown' ? {} : { credStoreChanged: known.credStore.changed }) };
    if (g.json) return printJson({ ok: true, device: s.label, ...link, ctap2: true, ...(model ? { model } : {}), ...certification, info: toJson(info), ...explained, ...decrypted, ...retries });
    printText(s.label, info, retries, model, cert === undefined ? undefined : (cert?.status ?? 'not in the MDS BLOB'), known);
  });
}

/** What the transport says about the key: CTAPHID_INIT's versions for HID, the applet's SELECT answer for PC/SC. */
function linkFacts(device: KeyChannel): { ctaphid: object } | { pcsc: object } {
  if ('version' in device) {
    const v = (device as CtapHidDevice).version;
    return { ctaphid: { protocolVersion: v.protocol, deviceVersion: `${v.major}.${v.minor}.${v.build}`, capabilities: device.capabilities } };
  }
  return { pcsc: { applet: 'applet' in device ? device.applet : 'unknown', capabilities: device.capabilities } };
}

async function readRetries(ctap: ConstructorParameters<typeof ClientPin>[0], info: AuthenticatorInfo): Promise<Retries> {
  if (info.options.clientPin === undefined) return {};
  const cp = new ClientPin(ctap, info);
  const pin = await cp.getPinRetries();
  const out: Retries = { pinRetries: pin.retries };
  if (pin.powerCycleState !== undefined) out.powerCycleRequired = pin.powerCycleState;
  if (info.options.uv !== undefined) out.uvRetries = await cp.getUvRetries();
  return out;
}

function printText(label: string, info: AuthenticatorInfo, r: Retries, model?: string, certification?: string, known?: DecryptedInfo): void {
  const line = (k: string, v: unknown) => printLine(`${k.padEnd(26)}${String(v)}`);
  line('Device:', label);
  line('Versions:', info.versions.join(', '));
  line('AAGUID:', info.aaguid);
  if (model) line('Model:', model);
  if (certification) line('FIDO certification:', certification);
  if (info.firmwareVersion !== undefined) line('Firmware version:', info.firmwareVersion);
  line('PIN set:', info.options.clientPin === undefined ? 'no PIN support' : info.options.clientPin ? 'yes' : 'no');
  if (r.pinRetries !== undefined) line('PIN retries:', r.pinRetries + (r.powerCycleRequired ? ' (unplug and replug the key before the next try)' : ''));
  if (r.uvRetries !== undefined) line('UV retries:', r.uvRetries);
  if (info.pinUvAuthProtocols) line('PIN/UV auth protocols:', info.pinUvAuthProtocols.join(', '));
  line('Minimum PIN length:', info.minPINLength ?? 4);
  if (info.forcePINChange !== undefined) line('Force PIN change:', info.forcePINChange ? 'yes (run change-pin before anything else)' : 'no');
  if (info.maxMsgSize !== undefined) line('Max message size:', `${info.maxMsgSize} bytes`);
  if (info.remainingDiscoverableCredentials !== undefined) line('Free passkey slots:', info.remainingDiscoverableCredentials);
  if (info.maxSerializedLargeBlobArray !== undefined) line('Large-blob storage:', `${info.maxSerializedLargeBlobArray} bytes (see \`large-blobs list\`)`);
  if (info.extensions?.length) line('Extensions:', info.extensions.join(', '));
  if (info.transports?.length) line('Transports:', info.transports.join(', '));
  for (const m of ctap22Members(info, known)) line(m.label, m.text);
  printLine('Options:');
  for (const [name, value] of Object.entries(info.options)) printLine(`  ${describeOption(name, value)}`);
}
