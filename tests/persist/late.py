#!/usr/bin/env python3
"""A peer that answers requests ilpd never sent it (or sent before a
restart): it connects to ilpd's BTP listener, authenticates as USER with
TOKEN, then sends one BTP Response carrying an ILP Fulfill for each request
id given, waits HOLD seconds (so ilpd reads them before the link closes)
and exits. Prints "late: authenticated" and "late: sent N responses".
Usage: late.py PORT USER TOKEN ID [ID ...] [--hold S]
Only 127.0.0.1. Exit 1 if the connection or the auth fails."""
import argparse, base64, os, socket, struct, sys, time


def varoct(b):
    if len(b) < 128:
        return bytes([len(b)]) + b
    n = (len(b).bit_length() + 7) // 8
    return bytes([0x80 | n]) + len(b).to_bytes(n, 'big') + b


def proto_data(entries):
    pd = b'\x01' + bytes([len(entries)])
    for name, ct, data in entries:
        pd += varoct(name) + bytes([ct]) + varoct(data)
    return pd


def btp(kind, rid, entries):
    return bytes([kind]) + struct.pack('>I', rid) + varoct(proto_data(entries))


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


def read_ws(s, buf, deadline):
    """(opcode, payload, rest) of the next data or close frame."""
    while True:
        if len(buf) >= 2:
            op, n, off = buf[0] & 0x0f, buf[1] & 0x7f, 2
            if n == 126 and len(buf) >= 4:
                n, off = struct.unpack('>H', buf[2:4])[0], 4
            elif n == 127 and len(buf) >= 10:
                n, off = struct.unpack('>Q', buf[2:10])[0], 10
            if n < 126 or off > 2:
                if len(buf) >= off + n:
                    if op in (9, 10):
                        buf = buf[off + n:]
                        continue
                    return op, buf[off:off + n], buf[off + n:]
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(65536)
        if not d:
            raise EOFError('closed by ilpd')
        buf += d


def fulfill(n):
    ful = n.to_bytes(4, 'big') + b'\x00' * 27 + b'\x5a'
    return bytes([13]) + varoct(ful + varoct(b'late'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('port', type=int)
    ap.add_argument('user')
    ap.add_argument('token')
    ap.add_argument('ids', nargs='+', type=lambda x: int(x, 0))
    ap.add_argument('--hold', type=float, default=0.5)
    a = ap.parse_args()
    deadline = time.time() + 10
    s = socket.create_connection(('127.0.0.1', a.port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(('GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
               'Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n'
               'Sec-WebSocket-Version: 13\r\n\r\n' % (a.port, key)).encode())
    buf = b''
    while b'\r\n\r\n' not in buf:
        s.settimeout(max(0.01, deadline - time.time()))
        d = s.recv(4096)
        if not d:
            print('late: closed during the upgrade')
            return 1
        buf += d
    head, rest = buf.split(b'\r\n\r\n', 1)
    if b' 101 ' not in head.split(b'\r\n')[0]:
        print('late: no 101: %r' % head[:60])
        return 1
    auth = [(b'auth', 0, b''), (b'auth_username', 1, a.user.encode()),
            (b'auth_token', 1, a.token.encode())]
    s.sendall(ws_frame(btp(6, 7, auth)))
    op, msg, rest = read_ws(s, rest, deadline)
    if op == 8 or msg[:1] != b'\x01':
        print('late: auth refused')
        return 1
    print('late: authenticated', flush=True)
    for i, rid in enumerate(a.ids):
        s.sendall(ws_frame(btp(1, rid, [(b'ilp', 0, fulfill(i + 1))])))
    print('late: sent %d responses' % len(a.ids), flush=True)
    # answer nothing, read whatever ilpd sends (IL-DCP, pings) until HOLD ends
    end = time.time() + a.hold
    try:
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            if not s.recv(65536):
                break
    except (socket.timeout, OSError):
        pass
    s.close()
    return 0


sys.exit(main())
