#!/usr/bin/env python3
"""test_dkim_cli - `authsink dkim keygen|sign|verify|bench` as spec/cli.md
and the --help texts say: files written, exit statuses (0 ok, 1 failure,
2 usage), one line per signature, --json, --now (epoch and RFC 3339) against
x=, DNS faults through the stub, LF-only messages.  No network: DNS is a
zone file.  Env: AUTHSINK.
"""
import json
import os
import re
import stat
import subprocess
import sys
import tempfile

AUTHSINK = os.environ.get("AUTHSINK")
checks = failures = 0


def check(ok, what):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        print("FAIL " + what)


def run(*args, data=None):
    return subprocess.run([AUTHSINK, "dkim"] + list(args), input=data, capture_output=True)


MSG = (b"From: Joe <joe@example.com>\r\nTo: bob@example.org\r\nSubject: cli\r\n"
       b"Date: Tue, 25 Nov 2025 10:00:00 +0000\r\nMessage-ID: <cli@example.com>\r\n\r\nHello.\r\n")


def main():
    if not AUTHSINK:
        print("test_dkim_cli: set AUTHSINK")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        p = lambda n: os.path.join(tmp, n)
        # keygen
        r = run("keygen", "--selector", "s1", "--domain", "example.com", "--out", p("rsa"))
        check(r.returncode == 0, "keygen rsa: %r" % r.stderr)
        check(stat.S_IMODE(os.stat(p("rsa.pem")).st_mode) == 0o600, "private key mode 0600")
        check(open(p("rsa.pem")).read().startswith("-----BEGIN PRIVATE KEY-----"), "PKCS#8 PEM")
        zone = open(p("rsa.txt")).read()
        check(zone.startswith('s1._domainkey.example.com. 3600 IN TXT ( "v=DKIM1; k=rsa; p=MIIBIjAN'),
              "zone line, 2048-bit key: " + zone[:80])
        strings = re.findall(r'"([^"]*)"', zone)
        check(len(strings) == 2 and all(len(s) <= 255 for s in strings), "255-byte strings")
        r = run("keygen", "--algorithm", "ed25519-sha256", "--selector", "s2",
                "--domain", "example.com", "--out", p("ed"))
        check(r.returncode == 0 and "k=ed25519; p=" in open(p("ed.txt")).read(), "keygen ed25519")
        check(run("keygen", "--bits", "100", "--selector", "s", "--domain", "d.example",
                  "--out", p("x")).returncode == 2, "keygen --bits 100 is a usage error")
        check(run("keygen", "--selector", "s").returncode == 2, "keygen without --domain/--out")
        check(run("keygen", "--help").returncode == 0, "keygen --help")
        with open(p("zone"), "w") as f:
            f.write(open(p("rsa.txt")).read() + open(p("ed.txt")).read())
        with open(p("m.eml"), "wb") as f:
            f.write(MSG)

        # sign
        r = run("sign", "--key", p("rsa.pem"), "--domain", "example.com", "--selector", "s1",
                "--now", "2025-11-25T10:00:00Z", "--expire", "+3600", p("m.eml"))
        check(r.returncode == 0 and r.stdout.startswith(b"DKIM-Signature: v=1; a=rsa-sha256;"),
              "sign: %r" % r.stderr)
        check(b"t=1764064800;" in r.stdout and b"x=1764068400;" in r.stdout, "t= from RFC 3339, x= = t+3600")
        check(r.stdout.endswith(MSG), "the message follows the signature unchanged")
        signed = r.stdout
        r = run("sign", "--key", p("ed.pem"), "--domain", "example.com", "--selector", "s2",
                "--canonicalization", "simple/simple", "--headers", "from,subject,from", "-", data=signed)
        check(r.returncode == 0 and b"c=simple/simple" in r.stdout and b"h=from:subject:from" in r.stdout,
              "sign ed25519 from stdin with c= and h=")
        twice = r.stdout
        check(run("sign", "--domain", "example.com", "--selector", "s1", p("m.eml")).returncode == 2,
              "sign without --key is a usage error")
        check(run("sign", "--key", p("rsa.pem"), "--domain", "example.com", "--selector", "s1",
                  "--canonicalization", "loose", p("m.eml")).returncode == 2, "bad --canonicalization")
        r = run("sign", "--key", p("rsa.pem"), "--domain", "example.com", "--selector", "s1",
                data=b"To: x@example.org\r\n\r\nno from\r\n")
        check(r.returncode == 1 and r.stderr.startswith(b"authsink: cannot sign:"), "no From: %r" % r.stderr)
        r = run("sign", "--key", p("m.eml"), "--domain", "example.com", "--selector", "s1", p("m.eml"))
        check(r.returncode == 1 and r.stderr.startswith(b"authsink: "), "a key file that is no key")

        # verify
        r = run("verify", "--zone", p("zone"), "--now", "1764065000", data=twice)
        lines = r.stdout.decode().splitlines()
        check(r.returncode == 0 and lines == ["pass d=example.com s=s2 a=ed25519-sha256",
                                              "pass d=example.com s=s1 a=rsa-sha256"],
              "verify two signatures: %r" % lines)
        r = run("verify", "--zone", p("zone"), "--now", "2025-11-25T11:00:01Z", data=signed)
        out = r.stdout.decode()
        check(r.returncode == 1 and out.startswith("permerror d=example.com s=s1 a=rsa-sha256: signature expired at 2025-11-25T11:00:00Z"),
              "x= in the past: %r" % out)
        r = run("verify", "--zone", p("zone"), "--now", "1764065000", "--json", data=twice)
        try:
            j = json.loads(r.stdout)
        except ValueError:
            j = None
        check(isinstance(j, list) and len(j) == 2 and j[1]["result"] == "pass" and j[1]["key_bits"] == 2048
              and j[1]["ar"].startswith("dkim=pass header.i=@example.com header.s=s1 header.b="),
              "--json: %r" % r.stdout[:200])
        r = run("verify", "--zone", p("zone"), "--dns-fault", "s1._domainkey.example.com/TXT=timeout",
                "--now", "1764065000", data=signed)
        check(r.returncode == 1 and r.stdout.decode().startswith("temperror d=example.com s=s1"),
              "DNS timeout gives temperror: %r" % r.stdout)
        tampered = signed.replace(b"Hello.", b"Hello!")
        r = run("verify", "--zone", p("zone"), "--now", "1764065000", data=tampered)
        check(r.returncode == 1 and b"neutral d=example.com s=s1 a=rsa-sha256: body hash mismatch (signed bh=" in r.stdout,
              "body changed: %r" % r.stdout)
        r = run("verify", "--zone", p("zone"), data=MSG)
        check(r.returncode == 1 and r.stdout == b"none: no DKIM-Signature\n", "no signature")
        check(run("verify", "--bogus").returncode == 2, "unknown option is a usage error")
        check(run("verify", "--now", "yesterday", data=MSG).returncode == 2, "bad --now")
        r = run("verify", "--help")
        check(r.returncode == 0 and b"--zone" in r.stdout, "verify --help lists the DNS options")
        check(run("frobnicate").returncode == 2 and run("--help").returncode == 0, "dkim subcommands")

        # LF-only files: signed as CRLF, printed back with LF, verified.
        lf = MSG.replace(b"\r\n", b"\n")
        r = run("sign", "--key", p("rsa.pem"), "--domain", "example.com", "--selector", "s1",
                "--now", "1764064800", data=lf)
        check(r.returncode == 0 and b"\r" not in r.stdout, "LF in, LF out")
        r = run("verify", "--zone", p("zone"), "--now", "1764065000", data=r.stdout)
        check(r.returncode == 0 and r.stdout.startswith(b"pass "), "LF-only message verifies: %r" % r.stdout)

        # bench prints a figure.
        r = run("bench", "--algorithm", "ed25519-sha256", "--size", "1000", "--seconds", "0.2")
        check(r.returncode == 0 and re.match(rb"ed25519-sha256 256 \d+: \d+ verifications/s", r.stdout),
              "bench: %r" % r.stdout)
    print("test_dkim_cli: %d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
