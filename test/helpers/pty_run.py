"""Runs a command on a pseudo-terminal, as a person at a terminal would.

Usage: pty_run.py WAIT_FOR SEND [--then WAIT_FOR SEND ...] -- COMMAND...
Waits until the output contains WAIT_FOR, writes SEND (Python escapes such as
\\x03 for Ctrl-C are decoded), and so on; then reads to the end and prints one
JSON line: {"exitCode": N, "output": "...", "sentAt": [...]} (sentAt: how much of the
output, in characters, had arrived when each SEND was written, to see the screen as the person saw it). Gives up after 20 s per step,
and kills a child still running 5 s after its output ends.
"""
import json, os, pty, select, sys, time

def main():
    args = sys.argv[1:]
    sep = args.index('--')
    steps_raw, cmd = args[:sep], args[sep + 1:]
    steps = []
    i = 0
    while i < len(steps_raw):
        if steps_raw[i] == '--then':
            i += 1
            continue
        steps.append((steps_raw[i], steps_raw[i + 1].encode().decode('unicode_escape').encode('latin-1')))
        i += 2
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b''
    def read_some(deadline):
        nonlocal out
        r, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
        if not r:
            return False
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return None
        if not chunk:
            return None
        out += chunk
        return True
    sent_at = []
    for wait_for, send in steps:
        deadline = time.time() + 20
        while wait_for.encode() not in out:
            got = read_some(deadline)
            if got is None or (got is False and time.time() >= deadline):
                break
        sent_at.append(len(out))
        os.write(fd, send)
    deadline = time.time() + 20
    while read_some(deadline) not in (None,) and time.time() < deadline:
        pass
    # A child that never ends is killed, so a hung prompt fails the test instead of hanging it.
    for _ in range(50):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    print(json.dumps({"exitCode": code, "output": out.decode('utf-8', 'replace'), "sentAt": [len(out[:n].decode('utf-8', 'replace')) for n in sent_at]}))

main()
