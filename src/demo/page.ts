/**
 * The demo page: plain HTML and one small script using
 * navigator.credentials directly (no framework, nothing from elsewhere).
 * The server decodes and verifies; the script only carries bytes and shows
 * what the server says. Kept as strings so `tsc` ships them in dist/.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fido2-manage demo: see what your browser does</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.4 system-ui,sans-serif;max-width:60em;margin:1.5em auto;padding:0 1em;color:#222}
fieldset{border:1px solid #bbb;margin:.6em 0;padding:.5em .8em} legend{font-weight:600}
label{margin-right:1.2em;white-space:nowrap} button{font-size:1em;padding:.35em 1em;margin-right:.6em}
dl{display:grid;grid-template-columns:13em 1fr;gap:.2em .8em} dt{font-weight:600} dd{margin:0}
#r-verdict[data-match="true"]{color:#075e07} #r-verdict[data-match="false"]{color:#a30000;font-weight:600}
#status{min-height:1.4em} .muted{color:#666}
</style></head><body>
<h1>See what your browser does</h1>
<p class="muted">Served by <code>fido2-manage demo</code> on this machine only; nothing leaves it. Choose what the site asks for, then register and sign in with your key.</p>
<fieldset><legend>What the site asks for</legend>
<label>userVerification <select id="uv">
<option value="discouraged">PIN: never (discouraged)</option>
<option value="preferred" selected>PIN: if set (preferred)</option>
<option value="required">PIN: always (required)</option></select></label>
<label><input type="checkbox" id="passkey"> passkey (discoverable credential)</label>
<label>attestation <select id="attestation"><option value="none">none</option><option value="direct">direct</option></select></label>
</fieldset>
<fieldset id="key"><legend>Your key, for the prediction</legend>
<p id="key-source" class="muted">The server cannot read your key here (start it with <code>--device</code> to let it read getInfo): describe it.</p>
<div id="key-form">
<label>CTAP <select id="ctap"><option value="fido-2.1">2.1</option><option value="fido-2.1-pre">2.1-PRE</option><option value="fido-2.0">2.0</option><option value="u2f-only">U2F only</option></select></label>
<label>PIN <select id="clientPin"><option value="unset">supported, not set</option><option value="set">set</option><option value="absent">not supported</option></select></label>
<label>fingerprint <select id="builtInUv"><option value="absent">no sensor</option><option value="not-enrolled">none enrolled</option><option value="enrolled">enrolled</option></select></label>
<label><input type="checkbox" id="alwaysUv"> always-UV on</label>
<label><input type="checkbox" id="makeCredUvNotRqd" checked> makeCredUvNotRqd</label>
</div></fieldset>
<p><button id="register">Register</button><button id="signin">Sign in</button></p>
<p id="status" role="status"></p>
<section id="result" hidden><h2 id="r-title">Result</h2><dl>
<dt>key touched</dt><dd id="r-up"></dd>
<dt>PIN or fingerprint checked</dt><dd id="r-uv"></dd>
<dt>backup (BE / BS)</dt><dd id="r-backup"></dd>
<dt>AAGUID</dt><dd id="r-aaguid"></dd>
<dt>model</dt><dd id="r-model"></dd>
<dt>attestation format</dt><dd id="r-fmt"></dd>
<dt>signature verified</dt><dd id="r-verified"></dd>
<dt>sign-in counter</dt><dd id="r-counter"></dd>
<dt>prediction (uv-check)</dt><dd id="r-predicted"></dd>
<dt>verdict</dt><dd id="r-verdict"></dd>
</dl></section>
<script src="/demo.js"></script>
</body></html>
`;

export const PAGE_SCRIPT = `'use strict';
const $ = (id) => document.getElementById(id);
const enc = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const dec = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
const withIds = (list) => (list || []).map((c) => ({ ...c, id: dec(c.id) }));

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json();
  if (!r.ok) throw new Error(j.error || 'HTTP ' + r.status);
  return j;
}

function choice() {
  return { userVerification: $('uv').value, passkey: $('passkey').checked, attestation: $('attestation').value };
}
function key() {
  return { ctap: $('ctap').value, clientPin: $('clientPin').value, builtInUv: $('builtInUv').value, alwaysUv: $('alwaysUv').checked, makeCredUvNotRqd: $('makeCredUvNotRqd').checked };
}

function credentialJson(c) {
  const r = c.response;
  const response = { clientDataJSON: enc(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = enc(r.attestationObject);
    if (r.getTransports) response.transports = r.getTransports();
  } else {
    response.authenticatorData = enc(r.authenticatorData);
    response.signature = enc(r.signature);
    if (r.userHandle) response.userHandle = enc(r.userHandle);
  }
  return { id: c.id, rawId: enc(c.rawId), type: c.type, authenticatorAttachment: c.authenticatorAttachment || undefined, clientExtensionResults: c.getClientExtensionResults(), response };
}

const yes = (b, on, off) => (b ? on : off);
function show(ceremony, r) {
  $('result').hidden = false;
  $('r-title').textContent = ceremony === 'register' ? 'Registration' : 'Sign-in';
  const d = r.decoded;
  const f = d && d.flags;
  $('r-up').textContent = f ? yes(f.up, 'UP 1: yes, the key was touched', 'UP 0: no') : '-';
  $('r-uv').textContent = f ? yes(f.uv, 'UV 1: yes, the PIN or fingerprint was checked', 'UV 0: no') : '-';
  $('r-backup').textContent = f ? 'BE ' + (f.be ? 1 : 0) + ', BS ' + (f.bs ? 1 : 0) + yes(f.be, ' (may be synced)', ' (bound to this key)') : '-';
  $('r-aaguid').textContent = (d && d.aaguid) || (ceremony === 'register' ? '-' : 'not sent at sign-in');
  $('r-model').textContent = d && d.aaguid ? d.model || 'not in the demo table' : '-';
  $('r-fmt').textContent = (d && d.fmt) || '-';
  $('r-verified').textContent = r.verified ? 'yes' : 'no: ' + (r.refusal || r.verdict.sentence);
  $('r-counter').textContent = r.counter === undefined ? (d ? String(d.signCount) + ' (not accepted)' : '-') : String(r.counter);
  $('r-predicted').textContent = r.verdict.predictedText + ': ' + r.verdict.predictedReason;
  $('r-verdict').textContent = r.verdict.sentence;
  $('r-verdict').dataset.match = String(r.verdict.match);
}

async function run(ceremony) {
  $('status').textContent = ceremony === 'register' ? 'Registering: follow your browser and your key...' : 'Signing in: follow your browser and your key...';
  const body = { ceremony, choice: choice(), key: key() };
  try {
    const { options } = await post('/api/options', body);
    let response, error;
    try {
      const publicKey = ceremony === 'register'
        ? { ...options, challenge: dec(options.challenge), user: { ...options.user, id: dec(options.user.id) }, excludeCredentials: withIds(options.excludeCredentials) }
        : { ...options, challenge: dec(options.challenge), allowCredentials: withIds(options.allowCredentials) };
      const c = ceremony === 'register' ? await navigator.credentials.create({ publicKey }) : await navigator.credentials.get({ publicKey });
      response = credentialJson(c);
    } catch (e) {
      error = (e && e.name ? e.name + ': ' : '') + (e && e.message ? e.message : String(e));
    }
    const r = await post('/api/result', error === undefined ? { ...body, response } : { ...body, error });
    show(ceremony, r);
    $('status').textContent = r.verified ? (ceremony === 'register' ? 'Registered.' : 'Signed in.') : 'Rejected.';
  } catch (e) {
    $('status').textContent = 'Error: ' + e.message;
  }
}

$('register').addEventListener('click', () => run('register'));
$('signin').addEventListener('click', () => run('sign-in'));
fetch('/api/key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json()).then((k) => {
  if (k.source !== 'getInfo') return;
  $('key-form').hidden = true;
  $('key-source').textContent = 'The prediction uses the getInfo of ' + (k.label || 'your key') + ', read by the server before each ceremony.';
});
`;
