#!/usr/bin/env python3
"""A BTP peer that is slow on purpose, as over Tor: it connects, waits
STEP seconds, sends its WebSocket upgrade, waits STEP seconds after the 101,
then sends its BTP auth and waits for the answer. It makes TRIES such
attempts one after another and prints one line per try and a summary:
    try N ok SECONDS | try N fail REASON SECONDS
    slowpeer: OK of TRIES authenticated
Usage: slowpeer.py PORT TOKEN [--step S] [--tries N] [--timeout S]
Only 127.0.0.1."""
import argparse, base64, os, socket, struct, sys, time


def varoct(b):
    if len(b) < 128:
        return bytes([len(b)]) + b
    n = (len(b).bit_length() + 7) // 8
    return bytes([0x80 | n]) + len(b).to_bytes(n, 'big') + b


def auth_frame(token, rid):
    entries = [(b'auth', 0, b''), (b'auth_username', 1, b''), (b'auth_token', 1, token)]
    pd = b'\x01' + bytes([len(entries)])
    for name, ct, data in entries:
        pd += varoct(name) + bytes([ct]) + varoct(data)
    return bytes([6]) + struct.pack('>I', rid) + varoct(pd)


def ws_frame(payload):
    mask = os.urandom(4)
    n = len(payload)
    head = bytes([0x82])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack('>H', n)
    else:
        head += bytes([0x80 | 127]) + struct.pack('>Q', n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_until(s, marker, deadline):
    buf = b''
    while marker not in buf:
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(4096)
        if not d:
            raise EOFError('closed by ilpd')
        buf += d
    return buf


def read_ws_message(s, buf, deadline):
    while True:
        if len(buf) >= 2:
            op, n = buf[0] & 0x0f, buf[1] & 0x7f
            off = 2
            if n == 126:
                if len(buf) < 4:
                    n = None
                else:
                    n = struct.unpack('>H', buf[2:4])[0]; off = 4
            elif n == 127:
                if len(buf) < 10:
                    n = None
                else:
                    n = struct.unpack('>Q', buf[2:10])[0]; off = 10
            if n is not None and len(buf) >= off + n:
                if op in (9, 10):  # ping/pong: skip
                    buf = buf[off + n:]
                    continue
                return op, buf[off:off + n]
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(65536)
        if not d:
            raise EOFError('closed by ilpd')
        buf += d


def attempt(port, token, step, timeout):
    deadline = time.time() + timeout
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    try:
        time.sleep(step)
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(('GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
                   'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
                   'Sec-WebSocket-Version: 13\r\n\r\n' % (port, key)).encode())
        buf = read_until(s, b'\r\n\r\n', deadline)
        head, rest = buf.split(b'\r\n\r\n', 1)
        if b' 101 ' not in head.split(b'\r\n')[0]:
            raise RuntimeError('no 101: %r' % head[:40])
        time.sleep(step)
        s.sendall(ws_frame(auth_frame(token, 7)))
        op, msg = read_ws_message(s, rest, deadline)
        if op == 8:
            raise RuntimeError('close frame')
        if msg[:1] != b'\x01':
            raise RuntimeError('auth refused (type %d)' % msg[0])
        return True
    finally:
        s.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('token')
    ap.add_argument('--step', type=float, default=0.5)
    ap.add_argument('--tries', type=int, default=5)
    ap.add_argument('--timeout', type=float, default=10.0)
    a = ap.parse_args()
    ok = 0
    for i in range(a.tries):
        t0 = time.time()
        try:
            attempt(a.port, a.token.encode(), a.step, a.timeout)
            ok += 1
            print('try %d ok %.2f' % (i, time.time() - t0), flush=True)
        except Exception as e:  # any failure is one failed try
            print('try %d fail %s %.2f' % (i, e or type(e).__name__, time.time() - t0), flush=True)
    print('slowpeer: %d of %d authenticated' % (ok, a.tries))
    return 0


sys.exit(main())
