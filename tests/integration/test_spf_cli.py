#!/usr/bin/env python3
"""test_spf_cli - `authsink spf` as spec/cli.md describes it: RESULT on the
first line, the explanation on the second, --json with the spf object, the
DNS options (zone files, faults), usage errors with exit status 2.  Every
answer comes from a stub zone written here; nothing reaches real DNS."""
import json
import os
import subprocess
import sys
import tempfile

AUTHSINK = os.environ["AUTHSINK"]
ZONE = """$ORIGIN example.com.
$TTL 300
@        TXT "v=spf1 a:mail.example.com include:_spf.example.net -all exp=why.%{d}"
mail     A   192.0.2.10
why      TXT "%{i} is not one of %{d}'s designated mail servers."
helo     A   192.0.2.20
helo     TXT "v=spf1 a -all"
soft     TXT "v=spf1 ~all"
_spf.example.net. TXT "v=spf1 ip4:198.51.100.0/24 ~all"
"""
failures = 0


def run(*args):
    p = subprocess.run([AUTHSINK, "spf", *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    global failures
    if not cond:
        failures += 1
        print("FAIL %s %s" % (name, detail))
    else:
        print("ok   %s" % name)


with tempfile.TemporaryDirectory() as d:
    zone = os.path.join(d, "example.com.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    z = ["--zone", zone]

    rc, out, err = run("--ip", "192.0.2.10", "--mail-from", "a@example.com", *z)
    check("pass", rc == 0 and out == "pass\n", repr((rc, out, err)))

    # RFC 7208 6.2: exp= text, macros expanded, on the second line.
    rc, out, err = run("--ip", "203.0.113.5", "--mail-from", "a@example.com", *z)
    check("fail with exp", rc == 0 and out.splitlines() == [
        "fail", "203.0.113.5 is not one of example.com's designated mail servers."],
        repr((rc, out, err)))

    # include of a softfail does not match (5.2), so -all decides.
    rc, out, err = run("--ip", "198.51.100.7", "--mail-from", "a@example.com", "--json", *z)
    o = json.loads(out)
    check("json pass through include", rc == 0 and o["result"] == "pass"
          and o["domain"] == "example.com" and o["ip"] == "198.51.100.7"
          and o["lookups"] == 2 and o["explanation"] is None
          and o["decided"]["text"] == "include:_spf.example.net", repr(o))
    kinds = [t["kind"] for t in o["trace"]]
    check("json trace", kinds[0] == "record" and "term" in kinds and kinds[-1] == "result",
          repr(kinds))

    # The null sender checks the HELO identity (RFC 7208 2.4).
    rc, out, err = run("--ip", "192.0.2.20", "--mail-from", "", "--helo", "helo.example.com",
                       "--json", *z)
    o = json.loads(out)
    check("helo identity", o["result"] == "pass" and o["identity"] == "helo"
          and o["sender"] == "postmaster@helo.example.com"
          and "smtp.helo=helo.example.com" in o["headers"]["authentication_results"], repr(o))

    # Gmail's header texts (REFERENCE.md 5.2).
    rc, out, err = run("--ip", "203.0.113.9", "--mail-from", "x@soft.example.com", "--headers", *z)
    check("headers", "Received-SPF: softfail (google.com: domain of transitioning "
          "x@soft.example.com does not designate 203.0.113.9 as permitted sender) "
          "client-ip=203.0.113.9;" in out, repr(out))

    # Stub faults: a TXT timeout is temperror (RFC 7208 4.4).
    rc, out, err = run("--ip", "192.0.2.10", "--mail-from", "a@example.com", *z,
                       "--dns-fault", "example.com/TXT=timeout")
    check("temperror", rc == 0 and out.splitlines()[0] == "temperror", repr((rc, out, err)))

    # A domain without any record: none.
    rc, out, err = run("--ip", "192.0.2.10", "--mail-from", "a@nowhere.example.com", *z)
    check("none", rc == 0 and out == "none\n", repr((rc, out, err)))

    # Usage errors.
    for args in (["--mail-from", "a@example.com"], ["--ip", "300.1.1.1", "--mail-from", "a@b.c"],
                 ["--ip", "192.0.2.1"], ["--ip", "192.0.2.1", "--mail-from", "a@b.c", "--bogus"],
                 ["--ip", "192.0.2.1", "--mail-from", "a@b.c", "--identity", "x"]):
        rc, out, err = run(*args, *z)
        check("usage %s" % " ".join(args), rc == 2 and err.startswith("authsink: ") or
              (rc == 2 and "usage:" in err), repr((rc, out, err)))
    rc, out, err = run("--help")
    check("help", rc == 0 and out.startswith("usage: authsink spf") and "--zone" in out, "")

print("%d failure(s)" % failures)
sys.exit(1 if failures else 0)
