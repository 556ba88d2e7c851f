#!/usr/bin/env bash
# Idle sessions: 10 000 connections to authsink on loopback, each past its
# EHLO and then silent; prints the receiver's resident memory (VmRSS) before
# and with them, and per session.  Bounded: a fixed count, a timeout.
set -euo pipefail
: "${AUTHSINK:?run through scripts/bench}"
N=${BENCH_IDLE_SESSIONS:-10000}
ulimit -n $((N + 1024))
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cat > "$tmp/loopback.zone" <<'EOF'
1.0.0.127.in-addr.arpa. 300 IN PTR localhost.
localhost.              300 IN A   127.0.0.1
EOF
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$AUTHSINK" serve --listen 127.0.0.1:"$port" --maildir none --log /dev/null \
  --zone "$tmp/loopback.zone" --connections-max $((N + 100)) 2>"$tmp/err" &
pid=$!
timeout 300 python3 - "$port" "$N" "$pid" <<'EOF'
import socket, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]

def rss_kb():
    for line in open("/proc/%s/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])

for _ in range(100):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        break
    except OSError:
        time.sleep(0.1)
time.sleep(0.2)
before = rss_kb()
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), 10)
    socks.append(s)
for s in socks:   # each session greeted, then EHLO, then silence
    s.recv(512)
    s.sendall(b"EHLO idle.example\r\n")
for s in socks:
    buf = b""
    while not buf.endswith(b"250 SMTPUTF8\r\n"):
        buf += s.recv(4096)
with_sessions = rss_kb()
print("idle sessions:        %d" % n)
print("receiver RSS before:  %.1f MB" % (before / 1024))
print("receiver RSS with:    %.1f MB" % (with_sessions / 1024))
print("per idle session:     %.2f KB" % ((with_sessions - before) / n))
for s in socks:
    s.close()
EOF
