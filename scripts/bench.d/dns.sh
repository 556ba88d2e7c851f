#!/usr/bin/env bash
# scripts/bench.d/dns.sh: DNS lookups per second through the receiver's
# asynchronous path (authsink dns bench -> dnsq), side by side:
#   - the stub (a zone file in memory);
#   - real DNS against NSD on 127.0.0.1 (a high port), cache off;
#   - real DNS with the cache on: a cold pass (distinct names) then a warm one.
# Names are n0.bench.example, n1..., answered by a wildcard, so every
# lookup of a pass is a different name.  Bounded: fixed counts, each run
# under `timeout`; NSD is stopped on exit, also on failure.
# NSD's response rate limiting is off (it would drop or truncate answers).
# The cached passes use as many names as the cache holds at most
# (RESOLVER_CACHE_MAX, 10000): a bigger sweep evicts its own entries first.
# Env: AUTHSINK (the release binary). Optional: DNS_BENCH_STUB_COUNT,
# DNS_BENCH_REAL_COUNT, DNS_BENCH_CACHED_COUNT, DNS_BENCH_PARALLEL.
set -euo pipefail
: "${AUTHSINK:?AUTHSINK must name the authsink binary}"
stub_count=${DNS_BENCH_STUB_COUNT:-200000}
real_count=${DNS_BENCH_REAL_COUNT:-20000}
cached_count=${DNS_BENCH_CACHED_COUNT:-10000}
parallel=${DNS_BENCH_PARALLEL:-64}
nsd=$(command -v nsd || echo /usr/sbin/nsd)

tmp=$(mktemp -d /tmp/authsink-bench-dns.XXXXXX)
nsd_pid=
cleanup() {
  if [ -n "$nsd_pid" ]; then
    kill "$nsd_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$nsd_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$nsd_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

cat >"$tmp/bench.zone" <<'EOF'
$ORIGIN bench.example.
$TTL 3600
@   IN SOA ns1 hostmaster 1 7200 3600 1209600 600
@   NS  ns1
ns1 A   192.0.2.53
*   A   192.0.2.1
EOF

# A port free for UDP and TCP on loopback.
port=$(python3 - <<'EOF'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
EOF
)

cat >"$tmp/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $port
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "$tmp"
    database: ""
    zonelistfile: "$tmp/zone.list"
    xfrdfile: "$tmp/xfrd.state"
    xfrdir: "$tmp"
    pidfile: "$tmp/nsd.pid"
    logfile: "$tmp/nsd.log"
    server-count: 1
    verbosity: 0
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: bench.example
    zonefile: "bench.zone"
EOF
"$nsd" -d -c "$tmp/nsd.conf" >/dev/null 2>&1 &
nsd_pid=$!
ready=
for _ in $(seq 100); do
  if "$AUTHSINK" dns lookup ready.bench.example A --resolver "127.0.0.1:$port" \
       --dns-timeout 0.2 2>/dev/null | grep -q '^status: RECORDS'; then
    ready=1; break
  fi
  sleep 0.1
done
[ -n "$ready" ] || { echo "dns bench: NSD did not start" >&2; cat "$tmp/nsd.log" >&2 || true; exit 1; }

rate() { sed -n "s/^pass $1: .*: \([0-9]*\) lookups\/s.*/\1/p"; }

echo "-- stub, $stub_count lookups"
stub_out=$(timeout 120 "$AUTHSINK" dns bench 'n{}.bench.example' A --zone "$tmp/bench.zone" \
           --count "$stub_count" --parallel "$parallel")
echo "$stub_out"
echo "-- real DNS (NSD on 127.0.0.1:$port), cache off, $real_count lookups"
off_out=$(timeout 120 "$AUTHSINK" dns bench 'n{}.bench.example' A --resolver "127.0.0.1:$port" \
          --no-cache --count "$real_count" --parallel "$parallel")
echo "$off_out"
echo "-- real DNS, cache on, $cached_count names: pass 1 cold, passes 2-10 warm"
on_out=$(timeout 120 "$AUTHSINK" dns bench 'n{}.bench.example' A --resolver "127.0.0.1:$port" \
         --passes 10 --count "$cached_count" --parallel "$parallel")
echo "$on_out"

stub=$(echo "$stub_out" | rate 1)
off=$(echo "$off_out" | rate 1)
cold=$(echo "$on_out" | rate 1)
python3 - "$stub" "$off" "$cold" "$on_out" <<'EOF'
import re, sys
stub, off, cold = (float(x or 0) for x in sys.argv[1:4])
# warm: all lookups of passes 2.. over all their time
n = t = 0.0
for m in re.finditer(r"^pass (\d+): (\d+) lookups in ([0-9.]+) s", sys.argv[4], re.M):
    if int(m.group(1)) > 1:
        n += float(m.group(2)); t += float(m.group(3))
warm = n / t if t else 0.0
print("summary: lookups/s stub %.0f, real cache off %.0f, real cold %.0f, real warm %.0f"
      % (stub, off, cold, warm))
if off and cold:
    print("ratios: stub/real-off %.1fx, warm/cold %.1fx, cold/off %.2fx"
          % (stub / off, warm / cold, cold / off))
EOF
