// Production code loads P-256 only before the first ECDH (start-up cost); unit tests call the
// pure crypto directly, so the curve is loaded once before each test file.
import { loadP256 as loadClientCurve } from '../src/ctap/p256.js';
import { loadP256 as loadKeyCurve } from '../src/sim/p256.js';

await Promise.all([loadClientCurve(), loadKeyCurve()]);
