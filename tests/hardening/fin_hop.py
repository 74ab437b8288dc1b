#!/usr/bin/env python3
"""fin_hop.py - a hostile next hop for t_wss_fin.sh (issue 10).

Speaks BTP over wss://, collects N ILP Prepares, then writes N Fulfills
(one TLS record each) and closes TCP at once WITHOUT close_notify. TCP_CORK
is set before the Fulfills, so the last of them and the FIN leave in the
same segment: ilpd reads the Fulfills and the end of the stream together.

  fin_hop.py serve PORT CERT KEY TOKEN N   ilpd dials it (outbound wss:// peer)
  fin_hop.py dial PORT CA TOKEN N          it dials ilpd's wss:// listener
                                           (inbound peer, server name localhost)

Prints 'listening port=P' (serve), 'auth ok' once BTP auth is done, then
'prepares=P fulfills=F' when it has written the Fulfills and closed.
Fulfillments follow ilpctl's preimage scheme ilpctl-sink-v1:
SHA-256("ilpctl-sink-v1" || data). Only 127.0.0.1; every wait is bounded
(30 s). Exit status 0 when N Fulfills were written.
"""
import base64
import hashlib
import os
import socket
import ssl
import struct
import sys

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 30


def die(msg):
    print("fin_hop: " + msg, flush=True)
    sys.exit(1)


# ---- OER and BTP ---------------------------------------------------------

def enc_len(n):
    if n < 128:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def dec_len(buf, off):
    b = buf[off]
    if b < 128:
        return b, off + 1
    k = b & 0x7F
    return int.from_bytes(buf[off + 1:off + 1 + k], "big"), off + 1 + k


def var(b):
    return enc_len(len(b)) + b


def btp_frame(typ, req_id, entries):
    """entries: list of (name, content_type, data)."""
    n = len(entries)
    count = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    body = var(count)
    for name, ct, data in entries:
        body += var(name.encode()) + bytes([ct]) + var(data)
    return bytes([typ]) + struct.pack(">I", req_id) + var(body)


def btp_parse(frame):
    """-> (type, request id, [(name, content_type, data)])"""
    typ = frame[0]
    req_id = struct.unpack(">I", frame[1:5])[0]
    ln, off = dec_len(frame, 5)
    body = frame[off:off + ln]
    entries = []
    if typ in (1, 6):
        cl, o = dec_len(body, 0)
        count = int.from_bytes(body[o:o + cl], "big")
        o += cl
        for _ in range(count):
            nl, o = dec_len(body, o)
            name = body[o:o + nl].decode()
            o += nl
            ct = body[o]
            o += 1
            dl, o = dec_len(body, o)
            entries.append((name, ct, body[o:o + dl]))
            o += dl
    return typ, req_id, entries


def prepare_data(ilp):
    """The data of an ILP Prepare, or None if ilp is not one."""
    if not ilp or ilp[0] != 12:
        return None
    ln, off = dec_len(ilp, 1)
    c = ilp[off:off + ln]
    o = 8 + 17 + 32
    dl, o = dec_len(c, o)          # destination
    o += dl
    dl, o = dec_len(c, o)          # data
    return c[o:o + dl]


def fulfill(data):
    f = hashlib.sha256(b"ilpctl-sink-v1" + data).digest()
    return bytes([13]) + var(f + var(b""))


# ---- WebSocket -----------------------------------------------------------

class WS:
    def __init__(self, sock, client):
        self.s = sock
        self.client = client
        self.buf = b""

    def recv_more(self):
        d = self.s.recv(65536)
        if not d:
            die("connection closed by ilpd")
        self.buf += d

    def head(self):
        while b"\r\n\r\n" not in self.buf:
            self.recv_more()
        h, self.buf = self.buf.split(b"\r\n\r\n", 1)
        return h.decode("latin1")

    def frame(self, op, payload):
        b0 = 0x80 | op
        n = len(payload)
        mask = 0x80 if self.client else 0
        if n < 126:
            h = bytes([b0, mask | n])
        elif n < 65536:
            h = bytes([b0, mask | 126]) + struct.pack(">H", n)
        else:
            h = bytes([b0, mask | 127]) + struct.pack(">Q", n)
        if self.client:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            h += key
        return h + payload

    def send(self, op, payload):
        self.s.sendall(self.frame(op, payload))

    def read(self):
        """-> (opcode, payload) of the next message; answers pings."""
        while True:
            while len(self.buf) < 2:
                self.recv_more()
            b0, b1 = self.buf[0], self.buf[1]
            n, o = b1 & 0x7F, 2
            if n == 126:
                while len(self.buf) < 4:
                    self.recv_more()
                n, o = struct.unpack(">H", self.buf[2:4])[0], 4
            elif n == 127:
                while len(self.buf) < 10:
                    self.recv_more()
                n, o = struct.unpack(">Q", self.buf[2:10])[0], 10
            key = None
            if b1 & 0x80:
                while len(self.buf) < o + 4:
                    self.recv_more()
                key, o = self.buf[o:o + 4], o + 4
            while len(self.buf) < o + n:
                self.recv_more()
            p, self.buf = self.buf[o:o + n], self.buf[o + n:]
            if key:
                p = bytes(b ^ key[i % 4] for i, b in enumerate(p))
            op = b0 & 0x0F
            if op == 9:
                self.send(10, p)
                continue
            if op == 10:
                continue
            if op == 8:
                die("ilpd sent a WebSocket close")
            return op, p


# ---- the two roles -------------------------------------------------------

def serve(port, cert, key):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(4)
    ls.settimeout(TIMEOUT)
    print("listening port=%d" % ls.getsockname()[1], flush=True)
    # The first connection that completes TLS and sends its upgrade is
    # ilpd's; others (a port probe by a test running alongside) are dropped.
    while True:
        raw, _ = ls.accept()
        raw.settimeout(TIMEOUT)
        try:
            s = ctx.wrap_socket(raw, server_side=True)
            ws = WS(s, client=False)
            while b"\r\n\r\n" not in ws.buf:
                d = s.recv(65536)
                if not d:
                    raise OSError("closed before the upgrade")
                ws.buf += d
            break
        except (OSError, ssl.SSLError) as e:
            print("fin_hop: dropped a connection: %s" % e, flush=True)
            raw.close()
    ls.close()
    req = ws.head()
    k = [ln.split(":", 1)[1].strip() for ln in req.split("\r\n")
         if ln.lower().startswith("sec-websocket-key:")]
    if not k:
        die("no Sec-WebSocket-Key")
    acc = base64.b64encode(hashlib.sha1(k[0].encode() + WS_GUID).digest()).decode()
    s.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % acc).encode())
    return s, ws


def dial(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s = ctx.wrap_socket(raw, server_hostname="localhost")
    ws = WS(s, client=True)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET / HTTP/1.1\r\nHost: localhost:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (port, key)).encode())
    if " 101 " not in ws.head().split("\r\n")[0] + " ":
        die("upgrade refused")
    return s, ws


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "dial"):
        die("usage: fin_hop.py serve PORT CERT KEY TOKEN N | dial PORT CA TOKEN N")
    if sys.argv[1] == "serve":
        port, cert, key, token, n = sys.argv[2:7]
        s, ws = serve(int(port), cert, key)
        outbound_auth = False
    else:
        port, ca, token, n = sys.argv[2:6]
        s, ws = dial(int(port), ca)
        outbound_auth = True
    n = int(n)

    if outbound_auth:              # we authenticate to ilpd
        ws.send(2, btp_frame(6, 1, [("auth", 0, b""), ("auth_username", 1, b""),
                                    ("auth_token", 1, token.encode())]))
    pending = []                   # (request id, Prepare data)
    authed = False
    while len(pending) < n:
        op, p = ws.read()
        if op != 2:
            continue
        typ, req_id, entries = btp_parse(p)
        names = {e[0]: e[2] for e in entries}
        if outbound_auth and not authed:
            if typ != 1 or req_id != 1:
                die("auth refused (BTP type %d)" % typ)
            authed = True
            print("auth ok", flush=True)
            continue
        if not authed:             # ilpd authenticates to us
            if typ != 6 or names.get("auth_token") != token.encode():
                die("bad auth from ilpd")
            ws.send(2, btp_frame(1, req_id, []))
            authed = True
            print("auth ok", flush=True)
            continue
        if typ != 6:
            continue
        data = prepare_data(names.get("ilp"))
        if data is None:           # anything else: an empty Response
            ws.send(2, btp_frame(1, req_id, []))
            continue
        pending.append((req_id, data))

    # The Fulfills, one record each, the last one in the FIN's segment.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
    for req_id, data in pending:
        ws.send(2, btp_frame(1, req_id, [("ilp", 0, fulfill(data))]))
    # SSLSocket.shutdown drops TLS without close_notify, then shuts TCP.
    s.shutdown(socket.SHUT_RDWR)
    s.close()
    print("prepares=%d fulfills=%d" % (len(pending), len(pending)), flush=True)


if __name__ == "__main__":
    main()
