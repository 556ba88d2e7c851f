#!/usr/bin/env python3
"""test_resolver - the real DNS backend against NSD on loopback, compared
with the stub over the same zone file.

Starts NSD (Debian's nsd package) on 127.0.0.1 and a free high port with its
own configuration and zone in a temporary directory, then for each case runs

    authsink dns lookup NAME TYPE --zone ZONE
    authsink dns lookup NAME TYPE --resolver 127.0.0.1:PORT

and requires the same output, and the status the case expects.  The cases:
plain answers, NXDOMAIN against NODATA (and an empty non-terminal), a CNAME
chain, a dangling CNAME and a loop, a wildcard, SPF type 99, and a TXT record
too big for a 1232-byte UDP answer (only TCP can bring it whole).  Last, a
UDP socket that never answers must give TEMPFAIL "timeout" within
--dns-timeout.  NSD is killed at the end, also on failure.  Nothing leaves
loopback.

Env: AUTHSINK (the binary), AUTHSINK_SOURCE.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

AUTHSINK = os.environ.get("AUTHSINK")
NSD = shutil.which("nsd") or "/usr/sbin/nsd"

# 12 strings of 250 bytes: 3012 bytes of TXT, more than 1232.
BIG = " ".join('"%s"' % (chr(ord("a") + i) * 250) for i in range(12))

ZONE = """$ORIGIN example.com.
$TTL 3600
@        IN SOA ns1 hostmaster 1 7200 3600 1209600 600
@        NS   ns1
ns1      A    192.0.2.53
@        TXT  "v=spf1 " "ip4:192.0.2.0/24 -all"
@        MX   10 mx1
         MX   20 mx2.example.net.
mx1      A    192.0.2.25
www      A    192.0.2.1
         A    192.0.2.2
         AAAA 2001:db8::1
spf99    SPF  "v=spf1 -all"
quote    TXT  "a\\"b" "c\\\\d" "\\200x"
a1       CNAME a2
a2       CNAME a3
a3       A    192.0.2.3
dangling CNAME nowhere
loop1    CNAME loop2
loop2    CNAME loop1
x.y.ent  A    192.0.2.4
*.wild   TXT  "wild"
big      TXT  %s
""" % BIG

REVERSE = """$ORIGIN 2.0.192.in-addr.arpa.
$TTL 1800
@ 600 IN SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@ NS ns1.example.com.
1 PTR www.example.com.
"""

# name, type, expected status, a string the output must contain (or None)
CASES = [
    ("www.example.com", "A", "RECORDS", "192.0.2.2"),
    ("www.example.com", "AAAA", "RECORDS", "2001:db8::1"),
    ("example.com", "MX", "RECORDS", "20 mx2.example.net."),
    ("example.com", "TXT", "RECORDS", '"v=spf1 " "ip4:192.0.2.0/24 -all"'),
    ("quote.example.com", "TXT", "RECORDS", '"a\\"b" "c\\\\d" "\\200x"'),
    ("spf99.example.com", "SPF", "RECORDS", '"v=spf1 -all"'),
    ("spf99.example.com", "TXT", "NODATA", None),
    ("nope.example.com", "A", "NXDOMAIN", None),
    ("www.example.com", "MX", "NODATA", None),
    ("y.ent.example.com", "A", "NODATA", None),
    ("a1.example.com", "A", "RECORDS", "cname: a3.example.com."),
    ("dangling.example.com", "A", "NXDOMAIN", "cname: nowhere.example.com."),
    ("loop1.example.com", "A", "TEMPFAIL", "CNAME loop"),
    ("anything.wild.example.com", "TXT", "RECORDS", '"wild"'),
    ("WWW.Example.COM", "A", "RECORDS", "192.0.2.1"),
    ("big.example.com", "TXT", "RECORDS", "l" * 250),
    ("1.2.0.192.in-addr.arpa", "PTR", "RECORDS", "PTR\twww.example.com."),
    ("9.2.0.192.in-addr.arpa", "PTR", "NXDOMAIN", None),
]


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def dns_ready(port):
    """True when something answers an SOA query on 127.0.0.1:port."""
    q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0)
    q += b"\x07example\x03com\x00" + struct.pack(">HH", 6, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.2)
    try:
        s.sendto(q, ("127.0.0.1", port))
        data, _ = s.recvfrom(4096)
        return data[:2] == q[:2]
    except OSError:
        return False
    finally:
        s.close()


def start_nsd(tmp):
    zone = os.path.join(tmp, "example.com.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    with open(os.path.join(tmp, "reverse.zone"), "w") as f:
        f.write(REVERSE)
    for attempt in range(3):
        port = free_port()
        conf = os.path.join(tmp, "nsd.conf")
        with open(conf, "w") as f:
            f.write(f"""server:
    ip-address: 127.0.0.1
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{tmp}"
    database: ""
    zonelistfile: "{tmp}/zone.list"
    xfrdfile: "{tmp}/xfrd.state"
    xfrdir: "{tmp}"
    pidfile: "{tmp}/nsd.pid"
    logfile: "{tmp}/nsd.log"
    server-count: 1
    verbosity: 1
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: example.com
    zonefile: "example.com.zone"
zone:
    name: 2.0.192.in-addr.arpa
    zonefile: "reverse.zone"
""")
        proc = subprocess.Popen([NSD, "-d", "-c", conf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if dns_ready(port):
                return proc, port, [zone, os.path.join(tmp, "reverse.zone")]
            time.sleep(0.05)
        stop(proc)
    log = open(os.path.join(tmp, "nsd.log")).read() if os.path.exists(
        os.path.join(tmp, "nsd.log")) else ""
    raise RuntimeError("NSD did not start:\n" + log)


def stop(proc):
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def lookup(*args):
    r = subprocess.run([AUTHSINK, "dns", "lookup", *args], capture_output=True, text=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"exit {r.returncode}: {r.stderr}")
    return r.stdout


def main():
    if not AUTHSINK:
        print("AUTHSINK is not set", file=sys.stderr)
        return 1
    if not os.path.exists(NSD):
        print("nsd is not installed: run scripts/deps --test", file=sys.stderr)
        return 1
    failures = json_failures = spf_cases = 0
    proc = None
    tmp = tempfile.mkdtemp(prefix="authsink-nsd-")
    try:
        proc, port, zones = start_nsd(tmp)
        zone = ["--zone", zones[0], "--zone", zones[1]]
        server = f"127.0.0.1:{port}"
        for name, typ, status, needle in CASES:
            stub = lookup(name, typ, *zone)
            real = lookup(name, typ, "--resolver", server)
            ok = stub == real and stub.startswith(f"status: {status}\n") and (
                needle is None or needle in stub)
            print(f"{'ok  ' if ok else 'FAIL'} {name} {typ}: {stub.splitlines()[0]}")
            if not ok:
                failures += 1
                print(f"  stub:\n{stub}  real:\n{real}")
            # The same through --json, both ways.
            js = lookup(name, typ, *zone, "--json")
            jr = lookup(name, typ, "--resolver", server, "--json")
            if js != jr:
                json_failures += 1
                print(f"FAIL {name} {typ} --json:\n  stub: {js}  real: {jr}")

        # A server that never answers: a UDP socket nobody reads.
        mute = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        mute.bind(("127.0.0.1", 0))
        t0 = time.monotonic()
        out = lookup("www.example.com", "A", "--resolver",
                     f"127.0.0.1:{mute.getsockname()[1]}", "--dns-timeout", "1")
        took = time.monotonic() - t0
        mute.close()
        ok = out == "status: TEMPFAIL\ndetail: timeout\n" and 0.9 <= took < 5
        print(f"{'ok  ' if ok else 'FAIL'} never-answering server: "
              f"{out.splitlines()[0] if out else '(nothing)'} after {took:.2f}s")
        failures += not ok

        # SPF (issue 3's done-condition): check_host through the stub and
        # through NSD with the same zone gives the same result and words.
        # RFC 7208: 192.0.2.1 is in ip4:192.0.2.0/24 (pass); 198.51.100.1 is
        # not (-all: fail).
        spf_cases = 0
        for ip, want in (("192.0.2.1", "pass"), ("198.51.100.1", "fail")):
            args = [AUTHSINK, "spf", "--ip", ip, "--mail-from", "a@example.com"]
            stub = subprocess.run(args + zone, capture_output=True, text=True,
                                  timeout=30).stdout
            real = subprocess.run(args + ["--resolver", server], capture_output=True,
                                  text=True, timeout=30).stdout
            ok = stub == real and stub.splitlines()[:1] == [want]
            print(f"{'ok  ' if ok else 'FAIL'} spf {ip}: stub {stub.splitlines()[:1]} "
                  f"real {real.splitlines()[:1]}")
            failures += not ok
            spf_cases += 1

        # The stub's fault gives the same words.
        out = lookup("www.example.com", "A", *zone, "--dns-fault",
                     "www.example.com/A=timeout")
        ok = out == "status: TEMPFAIL\ndetail: timeout\n"
        print(f"{'ok  ' if ok else 'FAIL'} stub timeout fault")
        failures += not ok
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    total = len(CASES) + 2 + spf_cases
    print(f"{total - failures}/{total} passed; --json differed in {json_failures} of "
          f"{len(CASES)}")
    return 1 if failures or json_failures else 0


if __name__ == "__main__":
    sys.exit(main())
