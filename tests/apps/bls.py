#!/usr/bin/env python3
"""bls.py - a test business-logic server for ilpd's local delivery (the
POST /handle-packet contract, docs/applications.md), Python standard library
only (http.server, HTTP/1.1 keep-alive). Behaves like tests/apps/bls.js:

    python3 bls.py PORT [SLOW_MS [TRANSIT_MS]]   prints "listening port=PORT" when ready

The last segment of the destination picks the answer: accept (and anything
unknown), echo, reject-REASON, slow, garbage, wrongtypes, huge, toolong,
big, err500, close (see bls.js). Every request is checked against the
contract; GET /stats returns {"requests", "transit", "bad", "badWhy",
"connections", "last"} (connections: TCP connections that carried a POST /handle-packet). isTransit requests are answered accept (after TRANSIT_MS, the optional
third argument: a server slow to answer them) and counted in transit.
"""
import base64
import binascii
import datetime
import json
import re
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

B64 = re.compile(r'^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$')
B64URL16 = re.compile(r'^[A-Za-z0-9_-]{21}[AQgw]$')
ISO = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$')
DEST = re.compile(r'^[a-z0-9]+(\.[A-Za-z0-9_~-]+)+$')
AMOUNT = re.compile(r'^(0|[1-9][0-9]*)$')

lock = threading.Lock()
stats = {'requests': 0, 'transit': 0, 'bad': 0, 'badWhy': '', 'connections': 0,
         'last': None}
slow_ms = 5000
transit_ms = 0


def check(b):
    """The reason a request body breaks the contract, or ''."""
    if not isinstance(b, dict):
        return 'not an object'
    pid = b.get('paymentId')
    if not isinstance(pid, str) or not B64URL16.match(pid):
        return 'paymentId'
    d = b.get('destination')
    if not isinstance(d, str) or not DEST.match(d):
        return 'destination'
    a = b.get('amount')
    if not isinstance(a, str) or not AMOUNT.match(a):
        return 'amount'
    e = b.get('expiresAt')
    if not isinstance(e, str) or not ISO.match(e):
        return 'expiresAt'
    try:
        datetime.datetime.strptime(e, '%Y-%m-%dT%H:%M:%S.%fZ')
    except ValueError:
        return 'expiresAt'
    data = b.get('data')
    if not isinstance(data, str) or not B64.match(data):
        return 'data'
    if not isinstance(b.get('isTransit'), bool):
        return 'isTransit'
    return ''


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'   # keep-alive

    def log_message(self, fmt, *args):   # quiet
        pass

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def accept(self, data):
        self.send_json(200, {'accept': True, 'data': base64.b64encode(data).decode()})

    def do_GET(self):
        if self.path == '/stats':
            with lock:
                self.send_json(200, stats)
        else:
            self.send_json(404, {'error': 'not found'})

    def do_POST(self):
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n)
        if self.path != '/handle-packet':
            self.send_json(404, {'error': 'not found'})
            return
        if not getattr(self, 'counted', False):   # one handler per connection
            self.counted = True
            with lock:
                stats['connections'] += 1
        try:
            b = json.loads(raw.decode('utf-8'))
        except (ValueError, UnicodeDecodeError):
            b = None
        why = check(b)
        with lock:
            stats['requests'] += 1
            stats['last'] = b
            if why:
                stats['bad'] += 1
                stats['badWhy'] = why
            elif b['isTransit']:
                stats['transit'] += 1
        if why:
            self.send_json(400, {'error': 'bad request: ' + why})
            return
        if b['isTransit']:
            if transit_ms > 0:
                time.sleep(transit_ms / 1000.0)
            self.send_json(200, {'accept': True})
            return
        mode = b['destination'].split('.')[-1]
        if mode.startswith('reject-'):
            reason = mode[7:]
            self.send_json(200, {'accept': False, 'rejectReason': {
                'code': reason, 'message': 'bls says ' + reason}})
        elif mode == 'echo':
            try:
                self.accept(base64.b64decode(b['data'], validate=True))
            except binascii.Error:
                self.send_json(400, {'error': 'bad data'})
        elif mode == 'slow':
            time.sleep(slow_ms / 1000.0)
            self.accept(b'bls slow')
        elif mode == 'garbage':
            self.send_response(200)
            self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', '12')
            self.end_headers()
            self.wfile.write(b'{"accept":tr')
        elif mode == 'wrongtypes':
            self.send_json(200, {'accept': 'yes', 'data': 5})
        elif mode == 'huge':
            self.accept(b'a' * 40000)
        elif mode == 'toolong':
            self.accept(b'b' * 32768)
        elif mode == 'big':
            self.accept(b'c' * 32767)
        elif mode == 'err500':
            self.send_json(500, {'error': 'bls internal error'})
        elif mode == 'close':
            self.close_connection = True
            self.connection.shutdown(2)
        else:
            self.accept(b'bls accept')


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global slow_ms, transit_ms
    if len(sys.argv) < 2:
        print('usage: python3 bls.py PORT [SLOW_MS [TRANSIT_MS]]', file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        slow_ms = int(sys.argv[2])
    if len(sys.argv) > 3:
        transit_ms = int(sys.argv[3])
    srv = Server(('127.0.0.1', port), Handler)
    print('listening port=%d' % port, flush=True)
    srv.serve_forever()


if __name__ == '__main__':
    main()
