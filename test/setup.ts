// Production code loads P-256 only before the first ECDH (start-up cost); unit tests call the
// pure crypto directly, so the curve is loaded once before each test file.
import { loadP256 } from '../src/p256.js';


await loadP256();
