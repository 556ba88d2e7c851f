#!/usr/bin/env bash
# scripts/bench.d/spf.sh: SPF check_host() evaluations per second through
# the stub DNS, over the zones and cases of the openspf RFC 7208 suite
# (203 cases, 16 stub worlds): `authsink spf --bench-suite FILE --bench N`
# evaluates every case N times (no sockets, no real DNS) and prints the rate.
# Bounded: a fixed number of rounds, under `timeout`.
# Env: AUTHSINK (the release binary); optional AUTHSINK_CONFORMANCE,
# SPF_BENCH_ROUNDS (default 200).
set -euo pipefail
: "${AUTHSINK:?AUTHSINK must name the authsink binary}"
root=${AUTHSINK_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
conf=${AUTHSINK_CONFORMANCE:-$root/../shared/conformance}
suite=$conf/spf-openspf-rfc7208/files/test/rfc7208-tests.yml
rounds=${SPF_BENCH_ROUNDS:-200}
[ -f "$suite" ] || { echo "authsink: $suite not found" >&2; exit 1; }
timeout 300 "$AUTHSINK" spf --bench-suite "$suite" --bench "$rounds"
