#!/usr/bin/env python3
"""Connection flood on 127.0.0.1:PORT for SECONDS: opens TCP connections as
fast as it can (or RATE per second) and sends nothing, keeping at most KEEP
open (the oldest is closed first). Prints how many it opened.
--burst: non-blocking connects, up to KEEP in flight at once (a flooder
that does not wait for each connect).
Usage: flood.py PORT SECONDS [--rate R] [--keep K] [--burst]"""
import argparse, collections, socket, sys, time

ap = argparse.ArgumentParser()
ap.add_argument('port', type=int)
ap.add_argument('seconds', type=float)
ap.add_argument('--rate', type=float, default=0)
ap.add_argument('--keep', type=int, default=800)
ap.add_argument('--burst', action='store_true')
a = ap.parse_args()
q = collections.deque()
n = fails = 0
t0 = time.time()
while time.time() - t0 < a.seconds:
    s = socket.socket()
    try:
        if a.burst:
            s.setblocking(False)
            s.connect_ex(('127.0.0.1', a.port))
        else:
            s.settimeout(2)
            s.connect(('127.0.0.1', a.port))
        q.append(s)
        n += 1
    except OSError:
        fails += 1
        s.close()
    while len(q) > a.keep:
        q.popleft().close()
    if a.rate > 0:
        time.sleep(1.0 / a.rate)
for s in q:
    s.close()
print('flood: opened %d connections in %.0f s (%d failed)' % (n, a.seconds, fails))
