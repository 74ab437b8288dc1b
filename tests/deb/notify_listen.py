# The service manager's side of sd_notify for tests/deb/run.sh: binds the
# abstract datagram socket "@NAME" and writes each message it receives, as
# a Python repr, one per line to OUT, until STOPPING=1 or TIMEOUT seconds
# pass without a message. OUT is created only once the socket is bound, so
# a caller may wait for it to exist before it starts the service.
# Usage: python3 notify_listen.py NAME TIMEOUT OUT
import socket
import sys

name, timeout, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name)
s.settimeout(timeout)
with open(out, "w", buffering=1) as f:
    try:
        while True:
            m = s.recv(4096).decode("utf-8", "replace")
            f.write(repr(m) + "\n")
            if m.startswith("STOPPING=1"):
                break
    except socket.timeout:
        pass
