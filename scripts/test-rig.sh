#!/usr/bin/env bash
# The USB path end to end (test/usb): two virtual keys shown to node-hid as /dev/hidraw0 and /dev/hidraw1
# by ../shared/hidraw/rig.sh (Linux, root, /dev/fuse, libfuse3). Run from the repository root after a build:
#   bash scripts/test-rig.sh [SHARED_DIR]        (npm run test:shared runs it)
# Key 1 touches at once and is the one unplugged on SIGUSR1; key 2 delays every touch for 10 minutes, so
# that a command waiting on it can only end by Ctrl-C, a timeout or another key's touch.
set -uo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared}
rig=$shared/hidraw/rig.sh
[ -f "$rig" ] || { echo "test-rig: $rig is missing" >&2; exit 2; }
[ "$(id -u)" = 0 ] && [ -e /dev/fuse ] || { echo "test-rig: the hidraw rig needs root and /dev/fuse" >&2; exit 2; }

work=$(mktemp -d)
pids=() addrs=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_key N SIM_ARGS...: a virtual key on a free loopback port (the sim picks it: port 0).
start_key() {
  local n=$1 log=$work/key$1.log addr
  shift
  node bin/fido2-manage.js sim --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do
    addr=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$log")
    [ -n "$addr" ] && { addrs+=("$addr"); return 0; }
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "test-rig: virtual key $n did not print 'listening on':" >&2
  cat "$log" >&2
  exit 2
}
start_key 1 --presence confirm
start_key 2 --presence delay:600000

status=0
RIG_SIM_PIDS=$(IFS=,; echo "${pids[*]}") RIG_SIM_ADDRS=$(IFS=,; echo "${addrs[*]}") \
  bash "$rig" --hotplug "${addrs[@]}" -- npx vitest run test/usb/rig.test.ts --testTimeout 120000 || status=1

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A listed node whose key is gone: without --hotplug the rig keeps /dev/hidraw0, and open() gets ENODEV.
dead=$(free_port)
RIG_GONE=1 bash "$rig" "127.0.0.1:$dead" -- npx vitest run test/usb/rig-gone.test.ts --testTimeout 120000 || status=1

# The provisioning station on hot-plugged keys (test/usb/station.test.ts): key A (serial STATION-1) is
# plugged in at the start and keeps its state in a file; key B's address is served by nobody yet, so the
# rig shows it unplugged until the test starts a key there.
start_key A --state "$work/a.state"
later=127.0.0.1:$(free_port)
RIG_STATION=1 RIG_SIM_PIDS=${pids[-1]} RIG_SIM_ADDRS="${addrs[-1]},$later" RIG_STATE_A="$work/a.state" \
  bash "$rig" --hotplug --serial STATION "${addrs[-1]}" "$later" -- npx vitest run test/usb/station.test.ts --testTimeout 60000 || status=1
exit $status
