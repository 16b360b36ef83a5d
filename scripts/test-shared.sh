#!/usr/bin/env bash
# npm run test:shared: the independent checks kept beside the repository in ../shared (not part of it).
#   bash scripts/test-shared.sh [SUITE ...]      (default: every suite, in the order below)
# Every suite runs even when an earlier one fails; the run ends with one line naming the failed ones.
# To add a suite: write a function suite_NAME and append NAME to SUITES.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=../shared
if [ ! -d "$shared" ]; then
  echo "test:shared: $(cd .. && pwd)/shared is missing; these checks need the shared repository cloned beside this one" >&2
  exit 2
fi

# python-fido2 drives the virtual key over TCP (../shared/conformance/run.sh starts it).
suite_conformance() {
  bash "$shared/conformance/run.sh" --suite core --suite uv --suite credman --suite selection --suite blobs
}
# The fingerprint suite needs a key with a sensor.
suite_conformance-bio() {
  SIM_ARGS=--uv bash "$shared/conformance/run.sh" --suite bio
}
# CTAP 2.2/2.3 (persistent token, encIdentifier, PIN policy, long touch for reset) against the 2.3 virtual key,
# and the core checks still passing on it.
suite_ctap23() {
  SIM_ARGS="--profile fido-2.3" bash "$shared/conformance/run.sh" --suite ctap23 --suite core
}
# The same core checks through PC/SC: the virtual key as a card in the vpcd reader (run.sh starts pcscd and
# `sim --vpcd`; needs root, pcscd, vsmartcard-vpcd, python3-pyscard).
suite_conformance-pcsc() {
  CONFORMANCE_TRANSPORT=pcsc bash "$shared/conformance/run.sh" --suite core --suite uv --suite credman
}
# fido2-manage's own commands through PC/SC (list, info, set-pin, uvs, credentials, apply with --device pcsc:...)
# against the same card; the script starts pcscd and `sim --vpcd` and stops them.
suite_pcsc() {
  PATH=$PATH:/usr/sbin:/sbin bash scripts/test-pcsc.sh
}
# The repository's known-answer tests, fed the independent vectors instead of test/vectors.
suite_vectors() {
  FIDO2_MANAGE_VECTORS=$shared/vectors/pin-protocols.json \
    npx vitest run test/ctap/vectors.test.ts test/ctap/vectors-over-hid.test.ts test/ctap/client-pin.test.ts test/sim/pin-vectors.test.ts
}
# Real node-hid over Linux hidraw nodes (needs root and /dev/fuse).
suite_rig() {
  bash scripts/test-rig.sh "$shared"
}
SUITES=(conformance conformance-bio ctap23 conformance-pcsc pcsc vectors rig)

chosen=("$@")
[ ${#chosen[@]} -gt 0 ] || chosen=("${SUITES[@]}")
for s in "${chosen[@]}"; do
  declare -F "suite_$s" >/dev/null || { echo "test:shared: no suite '$s' (suites: ${SUITES[*]})" >&2; exit 2; }
done

npm run build --silent || exit 1
failed=()
for s in "${chosen[@]}"; do
  echo "== test:shared: $s"
  "suite_$s" || failed+=("$s")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "test:shared: failed: ${failed[*]}" >&2
  exit 1
fi
echo "test:shared: passed: ${chosen[*]}"
