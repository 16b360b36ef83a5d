#!/usr/bin/env bash
# python-fido2-device-tests.sh: runs python-fido2's own device tests
# (tests/device/ of Yubico/python-fido2, tag 2.2.1 by default) against the
# virtual key, seen as a USB security key on hidraw through
# ../shared/hidraw/rig.sh --hotplug (needs root, FUSE, unshare).
#
#   scripts/python-fido2-device-tests.sh PYTHON_FIDO2 [pytest args...]
#
# PYTHON_FIDO2 is a copy you fetched yourself (nothing of it is kept in this
# repository): a git directory (bare or not; the tag in $PYFIDO2_REF is
# exported to a temporary directory) or a plain work tree with fido2/ and
# tests/. Environment: PROFILE (sim profile, default fido-2.3), PYFIDO2_REF
# (default 2.2.1), RIG (default ../shared/hidraw/rig.sh beside the repo).
#
# The tests unplug and replug the key around every factory reset. They are
# driven with their own "Pico controller" option (--controller): a small HTTP
# server here that, on /usbN/power/off, stops the virtual key (its state file
# keeps everything) and, on /power/on, starts it again on the same port; the
# rig's --hotplug makes /dev/hidraw0 go away and come back meanwhile. Touch
# requests need nothing: the virtual key confirms presence itself.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=${1:?usage: $0 PYTHON_FIDO2 [pytest args...]}
shift
profile=${PROFILE:-fido-2.3}
ref=${PYFIDO2_REF:-2.2.1}
rig=${RIG:-$root/../shared/hidraw/rig.sh}
[[ -x $rig || -f $rig ]] || { echo "$0: no rig at $rig (set RIG)" >&2; exit 2; }
[[ -f $root/dist/cli.js ]] || { echo "$0: build first (npm run build)" >&2; exit 2; }

work=$(mktemp -d)
ctl_pid=""
cleanup() {
  [[ -n $ctl_pid ]] && kill "$ctl_pid" 2>/dev/null && wait "$ctl_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if git --git-dir "$src" rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
  git --git-dir "$src" archive "$ref" fido2 tests | tar -x -C "$work"
elif git -C "$src" rev-parse --verify -q "$ref^{commit}" >/dev/null 2>&1; then
  git -C "$src" archive "$ref" fido2 tests | tar -x -C "$work"
elif [[ -d $src/fido2 && -d $src/tests/device ]]; then
  cp -r "$src/fido2" "$src/tests" "$work/"
else
  echo "$0: $src is neither a python-fido2 git directory with $ref nor a work tree" >&2
  exit 2
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
key_port=$(free_port)
ctl_port=$(free_port)

cat >"$work/controller.py" <<'PY'
import http.server, signal, socket, subprocess, sys, time
node, cli, profile, key_port, state, ctl_port = sys.argv[1:7]
sim = None

def start():
    global sim
    if sim is not None:
        return
    sim = subprocess.Popen([node, cli, "sim", "--profile", profile, "--listen", f"127.0.0.1:{key_port}", "--state", state],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", int(key_port)), 0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("virtual key did not start")

def stop():
    global sim
    if sim is None:
        return
    sim.terminate()
    sim.wait(10)
    sim = None

class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.endswith("/power/off"):
            stop()
        elif self.path.endswith("/power/on"):
            start()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass

# The script ends the controller with SIGTERM: leave through `finally`, so the virtual key stops too.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
start()
print("ready", flush=True)
try:
    http.server.HTTPServer(("127.0.0.1", int(ctl_port)), H).serve_forever()
finally:
    stop()
PY

python3 "$work/controller.py" "$(command -v node)" "$root/bin/fido2-manage.js" "$profile" "$key_port" "$work/key.json" "$ctl_port" >"$work/ctl.out" &
ctl_pid=$!
for _ in $(seq 100); do grep -q ready "$work/ctl.out" 2>/dev/null && break; sleep 0.1; done
grep -q ready "$work/ctl.out" || { echo "$0: the controller did not start" >&2; exit 1; }

set +e
bash "$rig" --hotplug "127.0.0.1:$key_port" -- \
  env PYTHONPATH="$work" python3 -m pytest -p no:cacheprovider --rootdir "$work" "$work/tests/device" \
  --controller "http://127.0.0.1:$ctl_port" --pico-port 0 "$@"
rc=$?
set -e
exit $rc
