#!/usr/bin/env bash
# SMTP throughput: Postfix's smtp-source drives authsink and Postfix's
# smtp-sink (which does nothing) side by side on loopback, with the same
# message size, count and concurrency, connections reused (-d).  Prints
# messages per second for both and their ratio.  Bounded: a fixed message
# count per run and a timeout on every run; both servers are stopped.
set -euo pipefail
: "${AUTHSINK:?run through scripts/bench}"
SIZE=${BENCH_MSG_SIZE:-5120}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The world of the benchmark: a stub zone (never real DNS) in which the
# smtp-source client passes every check, so each message costs a full
# judgement: iprev (per connection), SPF, DMARC discovery and the profile.
cat > "$tmp/bench.zone" <<'EOF'
$TTL 300
example.com.            IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.example.com.     IN TXT "v=DMARC1; p=reject"
1.0.0.127.in-addr.arpa. IN PTR localhost.
localhost.              IN A   127.0.0.1
EOF
# A 5 KB message signed with rsa-sha256 2048, so DKIM verification is part of
# every judgement too (smtp-source -F sends it as is, dot-stuffed).
"$AUTHSINK" dkim keygen --selector bench --domain example.com --out "$tmp/bench" >/dev/null
cat "$tmp/bench.txt" >> "$tmp/bench.zone"
python3 - "$tmp/plain.eml" "$SIZE" <<'EOF'
import sys
path, size = sys.argv[1], int(sys.argv[2])
head = ("From: Bench <bench@example.com>\nTo: alice@gmail.com\nSubject: bench\n"
        "Date: Thu, 26 Nov 2026 10:00:00 +0000\nMessage-ID: <bench@example.com>\n\n")
line = "The quick brown fox jumps over the lazy dog, again and again and again.\n"
body = line * max(1, (size - len(head)) // len(line))
open(path, "w").write(head + body)
EOF
"$AUTHSINK" dkim sign --key "$tmp/bench.pem" --domain example.com --selector bench \
  "$tmp/plain.eml" > "$tmp/signed.eml"
pa=$(free_port)
"$AUTHSINK" serve --listen 127.0.0.1:"$pa" --maildir none --log /dev/null --zone "$tmp/bench.zone" \
  --profile gmail 2>"$tmp/authsink.err" &
pids+=($!)
ps_=$(free_port)
smtp-sink -u nobody 127.0.0.1:"$ps_" 1024 &
pids+=($!)
for port in "$pa" "$ps_"; do
  for _ in $(seq 100); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.1
  done
done

rate() {   # port sessions messages -> messages per second
  local start end
  start=$(date +%s.%N)
  timeout 120 smtp-source -d -s "$2" -m "$3" -F "$tmp/signed.eml" -f bench@example.com \
    -t alice@gmail.com 127.0.0.1:"$1"
  end=$(date +%s.%N)
  python3 -c "print(round($3 / ($end - $start)))"
}

printf '%-14s %12s %12s %8s\n' concurrency authsink smtp-sink ratio
for conc in 1 50; do
  msgs=$(( conc == 1 ? 5000 : 40000 ))
  a=$(rate "$pa" "$conc" "$msgs")
  s=$(rate "$ps_" "$conc" "$msgs")
  printf '%-14s %10s/s %10s/s %8s\n' "$conc" "$a" "$s" "$(python3 -c "print(round($a/$s, 2))")"
done
echo "(a DKIM-signed message of about $SIZE bytes; authsink: profile gmail, every check"
echo " (iprev, SPF, DKIM rsa-sha256-2048, DMARC) on a stub zone, --maildir none)"
