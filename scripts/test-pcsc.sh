#!/usr/bin/env bash
# Runs test/pcsc/pcsc.test.ts against the virtual key as a contactless card:
# starts pcscd (unless one runs) and a fresh `sim --vpcd`, sets FIDO2_PCSC_TEST=1,
# and stops what it started. Needs pcscd, vsmartcard-vpcd (vpcd listens on
# 127.0.0.1:35963), python3-fido2 and python3-pyscard; run as root for pcscd,
# after `npm run build`. Only one run may use vpcd at a time.
set -euo pipefail
cd "$(dirname "$0")/.."

VPCD=${VPCD:-127.0.0.1:35963}
started_pcscd=
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  [ -n "$started_pcscd" ] && kill "$started_pcscd" 2>/dev/null && wait "$started_pcscd" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

command -v pcscd >/dev/null || { echo "test-pcsc: pcscd is not installed (Debian: apt install pcscd vsmartcard-vpcd)" >&2; exit 1; }
# pcscd serves this socket while it runs and removes it on exit (a pid alone may be a zombie).
socket=${PCSCLITE_CSOCK_NAME:-/run/pcscd/pcscd.comm}
if [ ! -S "$socket" ]; then
  pcscd -f >/dev/null 2>&1 &
  started_pcscd=$!
  for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
fi

node bin/fido2-manage.js sim --vpcd "$VPCD" >/dev/null 2>&1 &
sim_pid=$!
# The card is in once the reader reports it; list waits for nothing, so poll briefly.
for _ in $(seq 50); do
  node bin/fido2-manage.js list 2>/dev/null | grep -q 'via pcsc' && break
  sleep 0.2
done

FIDO2_PCSC_SIM_PID=$sim_pid FIDO2_PCSC_TEST=1 npx vitest run test/pcsc/pcsc.test.ts
