/**
 * The FIDO Metadata Service (MDS3) BLOB a user downloaded (`--mds FILE`): a JWT
 * whose signer comes with its certificate chain in the header's x5c (FIDO
 * Metadata Service v3.0 §3.1.7). The chain must run to the MDS root, GlobalSign
 * Root CA - R3 (embedded below: public, valid to 2029-03-18), every certificate
 * within its validity, and the JWT signature must verify with the first one;
 * only then are its entries read. Revocation lists are not fetched (the tool is
 * offline by design): a BLOB is trusted as of its signing. From each entry the
 * model (metadataStatement.description) and the certification level (the latest
 * statusReports status, e.g. FIDO_CERTIFIED_L2) are kept, by AAGUID.
 */
import { verify, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Fido2Error } from '../errors.js';

/** GlobalSign Root CA - R3, SHA-256 fingerprint CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B. */
export const MDS_ROOT_PEM = `
-----BEGIN CERTIFICATE-----
MIIDXzCCAkegAwIBAgILBAAAAAABIVhTCKIwDQYJKoZIhvcNAQELBQAwTDEgMB4G
A1UECxMXR2xvYmFsU2lnbiBSb290IENBIC0gUjMxEzARBgNVBAoTCkdsb2JhbFNp
Z24xEzARBgNVBAMTCkdsb2JhbFNpZ24wHhcNMDkwMzE4MTAwMDAwWhcNMjkwMzE4
MTAwMDAwWjBMMSAwHgYDVQQLExdHbG9iYWxTaWduIFJvb3QgQ0EgLSBSMzETMBEG
A1UEChMKR2xvYmFsU2lnbjETMBEGA1UEAxMKR2xvYmFsU2lnbjCCASIwDQYJKoZI
hvcNAQEBBQADggEPADCCAQoCggEBAMwldpB5BngiFvXAg7aEyiie/QV2EcWtiHL8
RgJDx7KKnQRfJMsuS+FggkbhUqsMgUdwbN1k0ev1LKMPgj0MK66X17YUhhB5uzsT
gHeMCOFJ0mpiLx9e+pZo34knlTifBtc+ycsmWQ1z3rDI6SYOgxXG71uL0gRgykmm
KPZpO/bLyCiR5Z2KYVc3rHQU3HTgOu5yLy6c+9C7v/U9AOEGM+iCK65TpjoWc4zd
QQ4gOsC0p6Hpsk+QLjJg6VfLuQSSaGjlOCZgdbKfd/+RFO+uIEn8rUAVSNECMWEZ
XriX7613t2Saer9fwRPvm2L7DWzgVGkWqQPabumDk3F2xmmFghcCAwEAAaNCMEAw
DgYDVR0PAQH/BAQDAgEGMA8GA1UdEwEB/wQFMAMBAf8wHQYDVR0OBBYEFI/wS3+o
LkUkrk1Q+mOai97i3Ru8MA0GCSqGSIb3DQEBCwUAA4IBAQBLQNvAUKr+yAzv95ZU
RUm7lgAJQayzE4aGKAczymvmdLm6AC2upArT9fHxD4q/c2dKg8dEe3jgr25sbwMp
jjM5RcOO5LlXbKr8EpbsU8Yt5CRsuZRj+9xTaGdWPoO4zzUhw8lo/s7awlOqzJCK
6fBdRoyV3XpYKBovHd7NADdBj+1EbddTKJd+82cEHhXXipa0095MJ6RMG3NzdvQX
mcIfeg7jLQitChws/zyrVQ4PkX4268NXSb7hLi18YIvDQVETI53O9zJrlAGomecs
Mx86OyXShkDOOyyGeMlhLxS67ttVb9+E7gUJTb0o2HLO02JQZR7rkpeDMdmztcpH
WD9f
-----END CERTIFICATE-----
`.trim();

export interface MdsEntry {
  aaguid: string;
  description?: string;
  /** The latest status report's status, e.g. FIDO_CERTIFIED_L1, or REVOKED. */
  status?: string;
  /** When that status took effect (YYYY-MM-DD). */
  statusDate?: string;
}

export interface MdsBlob {
  /** The BLOB's serial number and next update date (the user should download a new one after it). */
  no?: number;
  nextUpdate?: string;
  entries: ReadonlyMap<string, MdsEntry>;
}

const bad = (why: string): Fido2Error => new Fido2Error('usage', `The MDS BLOB ${why}; download it again from https://mds3.fidoalliance.org/ and pass that file to --mds.`, { reason: 'mds-invalid' });

const b64url = (s: string): Buffer => Buffer.from(s, 'base64url');

/** Checks the chain and the signature, then reads the entries; pure but for the clock (`now`). */
export function verifyMdsBlob(jwt: string, o: { roots?: readonly string[]; now?: Date } = {}): MdsBlob {
  const parts = jwt.trim().split('.');
  if (parts.length !== 3) throw bad('is not a JWT (three dot-separated parts)');
  let header: { alg?: string; x5c?: unknown };
  let payload: { no?: number; nextUpdate?: string; entries?: unknown };
  try {
    header = JSON.parse(b64url(parts[0]!).toString('utf8')) as typeof header;
    payload = JSON.parse(b64url(parts[1]!).toString('utf8')) as typeof payload;
  } catch {
    throw bad('does not decode as JSON');
  }
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.some((c) => typeof c !== 'string')) throw bad('has no certificate chain (x5c)');
  let chain: X509Certificate[];
  try {
    chain = (header.x5c as string[]).map((c) => new X509Certificate(Buffer.from(c, 'base64')));
  } catch {
    throw bad('holds a certificate that does not parse');
  }
  const now = o.now ?? new Date();
  for (const c of chain) {
    if (now < new Date(c.validFrom) || now > new Date(c.validTo)) throw bad(`holds a certificate outside its validity (${c.subject.replace(/\n/g, ', ')})`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey)) throw bad('has a certificate chain that does not link up');
  }
  const roots = (o.roots ?? [MDS_ROOT_PEM]).map((p) => new X509Certificate(p));
  const last = chain[chain.length - 1]!;
  const anchored = roots.some((r) => r.fingerprint256 === last.fingerprint256 || (last.checkIssued(r) && last.verify(r.publicKey)));
  if (!anchored) throw bad('is not signed by a chain to the FIDO Metadata Service root (GlobalSign Root CA - R3)');
  const alg = header.alg;
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  const key = chain[0]!.publicKey;
  let ok: boolean;
  if (alg === 'RS256') ok = verify('sha256', signed, key, b64url(parts[2]!));
  else if (alg === 'ES256') ok = verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, b64url(parts[2]!));
  else if (alg === 'PS256') ok = verify('sha256', signed, { key, padding: 6, saltLength: 32 }, b64url(parts[2]!));
  else throw bad(`is signed with ${String(alg)}, which is not one MDS uses (RS256, ES256, PS256)`);
  if (!ok) throw bad('has a signature that does not verify');
  return { ...(typeof payload.no === 'number' ? { no: payload.no } : {}), ...(typeof payload.nextUpdate === 'string' ? { nextUpdate: payload.nextUpdate } : {}), entries: readEntries(payload.entries) };
}

interface RawEntry {
  aaguid?: unknown;
  metadataStatement?: { description?: unknown };
  statusReports?: { status?: unknown; effectiveDate?: unknown }[];
}

function readEntries(raw: unknown): Map<string, MdsEntry> {
  const out = new Map<string, MdsEntry>();
  if (!Array.isArray(raw)) return out;
  for (const e of raw as RawEntry[]) {
    if (typeof e?.aaguid !== 'string') continue;
    const aaguid = e.aaguid.toLowerCase();
    const reports = (Array.isArray(e.statusReports) ? e.statusReports : []).filter((r) => typeof r?.status === 'string');
    // The latest report says where the model stands now (a later REVOKED outranks an earlier certification).
    const latest = [...reports].sort((a, b) => String(a.effectiveDate ?? '').localeCompare(String(b.effectiveDate ?? ''))).pop();
    out.set(aaguid, {
      aaguid,
      ...(typeof e.metadataStatement?.description === 'string' ? { description: e.metadataStatement.description } : {}),
      ...(latest ? { status: String(latest.status) } : {}),
      ...(typeof latest?.effectiveDate === 'string' ? { statusDate: latest.effectiveDate } : {}),
    });
  }
  return out;
}

/** MDS BLOBs are a few MB; anything far larger is not one. */
const MAX_MDS_BYTES = 64 << 20;

/** Reads and verifies `--mds FILE`. */
export function readMdsBlob(file: string, o: { roots?: readonly string[]; now?: Date } = {}): MdsBlob {
  let text: string;
  try {
    if (statSync(file).size > MAX_MDS_BYTES) throw bad(`file ${file} is larger than 64 MiB`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof Fido2Error) throw e;
    throw new Fido2Error('usage', `Cannot read the MDS BLOB ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)}); check the path.`);
  }
  return verifyMdsBlob(text, o);
}
