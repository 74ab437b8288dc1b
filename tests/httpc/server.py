#!/usr/bin/env python3
"""server.py - the HTTP/1.1 server test_httpc_glue talks to (tests/httpc/run.sh).

A raw-socket server (one thread per connection) so every framing the
client must handle can be produced exactly. Usage: server.py PORT READYFILE
[UNIXPATH] (127.0.0.1 only; with UNIXPATH the same server also listens on
a unix stream socket there). Writes READYFILE once listening. Paths:
  /conn          200, body "conn=N" (N: this connection's number)
  /via           200, body "unix" or "tcp": the listener the connection
                 came in on
  /host          200, body: the request's Host header
  /echo          200, the request body back (Content-Length)
  /len?n=N       200, N bytes of 'x'
  /chunked       200, chunked in pieces with pauses, trailers
  /slow?ms=N     200 after N ms
  /close-mid     Content-Length 100, 10 bytes, then close
  /http10        HTTP/1.0 close-delimited body
  /close         200 with Connection: close
  /garbage       not HTTP
  /drop-next     200; the next request on this connection is dropped
                 (closed unanswered)
  /status?c=N    status N, empty body
  /interim       100 Continue, then 200
  /stats         200, body "conns=N requests=M"
"""
import socket
import sys
import threading
import time

lock = threading.Lock()
conns = 0
requests = 0


def read_request(f):
    line = f.readline()
    if not line:
        return None
    method, target, _ = line.decode().split(" ", 2)
    headers = {}
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        k, v = h.decode().split(":", 1)
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    body = f.read(n) if n else b""
    return method, target, headers, body


def resp(sock, status, body, extra=""):
    sock.sendall(("HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n"
                  % (status, len(body), extra)).encode() + body)


def query(target, key, default):
    if "?" not in target:
        return default
    for kv in target.split("?", 1)[1].split("&"):
        k, _, v = kv.partition("=")
        if k == key:
            return int(v)
    return default


def serve(sock, num, via):
    global requests
    f = sock.makefile("rb")
    drop_next = False
    try:
        while True:
            req = read_request(f)
            if req is None:
                return
            method, target, headers, body = req
            with lock:
                requests += 1
            if drop_next:
                return
            path = target.split("?", 1)[0]
            if path == "/conn":
                resp(sock, 200, b"conn=%d" % num)
            elif path == "/via":
                resp(sock, 200, via.encode())
            elif path == "/host":
                resp(sock, 200, headers.get("host", "").encode())
            elif path == "/echo":
                resp(sock, 200, body, "Content-Type: %s\r\nX-Method: %s\r\n"
                     % (headers.get("content-type", "none"), method))
            elif path == "/len":
                resp(sock, 200, b"x" * query(target, "n", 0))
            elif path == "/chunked":
                sock.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                for part in (b"5\r\nhello\r\n", b"1;ext=1\r\n \r\n",
                             b"5\r\nworld\r\n", b"0\r\nX-T: 1\r\n\r\n"):
                    time.sleep(0.02)
                    sock.sendall(part)
            elif path == "/slow":
                time.sleep(query(target, "ms", 100) / 1000.0)
                resp(sock, 200, b"slow")
            elif path == "/close-mid":
                sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
                time.sleep(0.05)
                return
            elif path == "/http10":
                sock.sendall(b"HTTP/1.0 200 OK\r\n\r\nuntil close")
                return
            elif path == "/close":
                resp(sock, 200, b"bye", "Connection: close\r\n")
                return
            elif path == "/garbage":
                sock.sendall(b"HELLO THERE\r\n\r\n")
                time.sleep(0.05)
                return
            elif path == "/drop-next":
                drop_next = True
                resp(sock, 200, b"armed")
            elif path == "/status":
                resp(sock, query(target, "c", 200), b"")
            elif path == "/interim":
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                time.sleep(0.02)
                resp(sock, 200, b"final")
            elif path == "/stats":
                with lock:
                    b = b"conns=%d requests=%d" % (conns, requests)
                resp(sock, 200, b)
            else:
                resp(sock, 404, b"no")
    except (OSError, ValueError):
        return
    finally:
        try:
            sock.close()
        except OSError:
            pass


def accept_loop(ls, via):
    global conns
    while True:
        s, _ = ls.accept()
        with lock:
            conns += 1
            num = conns
        threading.Thread(target=serve, args=(s, num, via), daemon=True).start()


def main():
    port, ready = int(sys.argv[1]), sys.argv[2]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(64)
    if len(sys.argv) > 3:
        us = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        us.bind(sys.argv[3])
        us.listen(64)
        threading.Thread(target=accept_loop, args=(us, "unix"), daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    accept_loop(ls, "tcp")


if __name__ == "__main__":
    main()
