// Production code loads P-256 only before the first ECDH (start-up cost); unit tests call the
// pure crypto directly, so the curve is loaded once before each test file.
import { loadP256 } from '../src/p256.js';


await loadP256();

// The machine's own PC/SC readers (a vpcd card left by another run, say) must not leak into tests of key
// listing and selection; the PC/SC tests (FIDO2_PCSC_TEST=1, scripts/test-pcsc.sh) keep them.
if (process.env.FIDO2_PCSC_TEST !== '1') process.env.FIDO2_MANAGE_PCSC = 'off';
