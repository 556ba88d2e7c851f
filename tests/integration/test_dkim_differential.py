#!/usr/bin/env python3
"""test_dkim_differential - authsink's DKIM against two independent
implementations from Debian: dkimpy (python3-dkim) and Mail::DKIM
(libmail-dkim-perl).

1. Messages signed by dkimpy (each canonicalization, l=, rsa-sha256 and
   ed25519-sha256, two signatures, folded headers) verify with ours.
2. Messages signed by `authsink dkim sign` verify with dkimpy and with
   Mail::DKIM (this Mail::DKIM predates ed25519: RSA only there).
3. Tampered copies (body, a signed header, whitespace in the body and in a
   header under simple and relaxed) give the same pass/no-pass in all.

No network: keys come from `authsink dkim keygen`, every DNS answer from
in-memory tables (a zone file for ours, dnsfunc for dkimpy, a replaced
Mail::DKIM::DNS::query for Mail::DKIM).  Env: AUTHSINK (the binary).
"""
import os
import subprocess
import sys
import tempfile

try:
    import dkim  # noqa: F401
except ImportError:
    # python3-dkim lives in Debian's Python; re-run there if another is first on PATH.
    if os.path.exists("/usr/bin/python3") and sys.executable != "/usr/bin/python3":
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("test_dkim_differential: python3-dkim is not installed (scripts/deps --test)")
    sys.exit(1)
import dkim

AUTHSINK = os.environ.get("AUTHSINK")
NOW = 1764000000
DOMAIN = "example.com"

MESSAGE = (
    b"Received: from mail.example.com (mail.example.com [192.0.2.1])\r\n"
    b"\tby mx.example.org with ESMTPS id abc123\r\n"
    b"\tfor <bob@example.org>; Tue, 25 Nov 2025 10:00:00 +0000\r\n"
    b"From: \"Joe Q. Public\" <joe@example.com>\r\n"
    b"To: Bob <bob@example.org>,\r\n"
    b"  Carol <carol@example.org>\r\n"
    b"Subject: A folded\r\n"
    b"   subject   with  spaces \r\n"
    b"Date: Tue, 25 Nov 2025 10:00:00 +0000\r\n"
    b"Message-ID: <diff-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Hello Bob,  \r\n"
    b"\tthis line starts with a tab\t and has  double spaces.\r\n"
    b"\r\n"
    b"-- \r\n"
    b"Joe\r\n"
    b"\r\n"
    b"\r\n"
)
HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]

checks = 0
failures = 0


def check(ok, what):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        print("FAIL " + what)


def run(args, data=None):
    return subprocess.run(args, input=data, capture_output=True, check=False)


class World:
    def __init__(self, tmp):
        self.tmp = tmp
        self.records = {}   # name -> record text
        self.keys = {}      # selector -> (alg, pem path, dkimpy private key bytes)
        for sel, alg in (("rsa1", "rsa-sha256"), ("ed1", "ed25519-sha256")):
            prefix = os.path.join(tmp, sel)
            r = run([AUTHSINK, "dkim", "keygen", "--algorithm", alg, "--selector", sel,
                     "--domain", DOMAIN, "--out", prefix])
            if r.returncode != 0:
                raise SystemExit("keygen failed: " + r.stderr.decode())
            zone = open(prefix + ".txt").read()
            # The record is the joined strings of the zone line.
            parts = zone.split('"')[1::2]
            self.records["%s._domainkey.%s" % (sel, DOMAIN)] = "".join(parts)
            pem = prefix + ".pem"
            if alg == "rsa-sha256":
                # dkimpy reads PKCS#1 ("traditional") PEM.
                priv = run(["openssl", "rsa", "-in", pem, "-traditional"]).stdout
            else:
                # dkimpy takes the base64 32-byte seed: the end of the PKCS#8 DER.
                der = run(["openssl", "pkey", "-in", pem, "-outform", "DER"]).stdout
                import base64
                priv = base64.b64encode(der[-32:])
            self.keys[sel] = (alg, pem, priv)
        self.zone = os.path.join(tmp, "zone")
        with open(self.zone, "w") as f:
            for name, rec in self.records.items():
                chunks = [rec[i:i + 255] for i in range(0, len(rec), 255)]
                f.write("%s. 300 IN TXT %s\n" % (name, " ".join('"%s"' % c for c in chunks)))
        self.mailkeys = os.path.join(tmp, "mailkeys")
        with open(self.mailkeys, "w") as f:
            for name, rec in self.records.items():
                f.write("%s\t%s\n" % (name, rec))

    def dnsfunc(self, name, timeout=5):
        n = name.decode() if isinstance(name, bytes) else name
        rec = self.records.get(n.rstrip(".").lower())
        return rec.encode() if rec is not None else None

    # --- signers -------------------------------------------------------
    def sign_dkimpy(self, msg, sel, canon, length=False):
        alg, _, priv = self.keys[sel]
        h, b = canon.split("/")
        sig = dkim.sign(msg, sel.encode(), DOMAIN.encode(), priv,
                        canonicalize=(h.encode(), b.encode()),
                        signature_algorithm=alg.encode(), include_headers=HEADERS,
                        length=length)
        return sig + msg

    def sign_ours(self, msg, sel, canon, length=False):
        _, pem, _ = self.keys[sel]
        args = [AUTHSINK, "dkim", "sign", "--key", pem, "--domain", DOMAIN, "--selector", sel,
                "--canonicalization", canon, "--headers", ",".join(h.decode() for h in HEADERS),
                "--now", str(NOW)]
        if length:
            args.append("--body-length")
        r = run(args, msg)
        if r.returncode != 0:
            raise SystemExit("authsink dkim sign failed: " + r.stderr.decode())
        return r.stdout

    # --- verifiers: a list of booleans, one per signature, top down ----
    def verify_ours(self, msg):
        r = run([AUTHSINK, "dkim", "verify", "--zone", self.zone, "--now", str(NOW + 60)], msg)
        lines = [l for l in r.stdout.decode().splitlines() if l and not l.startswith("(")]
        return [l.startswith("pass ") for l in lines], r.stdout.decode()

    def verify_dkimpy(self, msg):
        d = dkim.DKIM(msg, minkey=1024)
        n = sum(1 for line in msg.split(b"\r\n\r\n")[0].split(b"\r\n")
                if line.lower().startswith(b"dkim-signature:"))
        out = []
        for i in range(n):
            try:
                out.append(bool(d.verify(idx=i, dnsfunc=self.dnsfunc)))
            except Exception:
                out.append(False)
        return out

    def verify_mail_dkim(self, msg):
        script = r'''
use strict; use warnings;
use Mail::DKIM::Verifier; use Net::DNS;
my %recs;
open(my $fh, "<", $ARGV[0]) or die;
while (<$fh>) { chomp; my ($n, $r) = split /\t/, $_, 2; $recs{lc $n} = $r; }
no warnings "redefine";
*Mail::DKIM::DNS::query = sub {
    my ($d, $t) = @_;
    my $r = $recs{lc $d};
    if (!defined $r) { $@ = "NXDOMAIN"; return; }
    my @chunks = ($r =~ /(.{1,255})/gs);
    return Net::DNS::RR->new(name => $d, type => "TXT", txtdata => [@chunks]);
};
my $v = Mail::DKIM::Verifier->new();
binmode STDIN;
local $/;
my $m = <STDIN>;
$v->PRINT($m);
$v->CLOSE;
foreach my $s ($v->signatures) { print $s->result, "\n"; }
'''
        r = run(["perl", "-e", script, self.mailkeys], msg)
        if r.returncode != 0:
            check(False, "Mail::DKIM ran: " + r.stderr.decode()[:300])
        return [l == "pass" for l in r.stdout.decode().split()]


def tamper(msg, kind):
    """Returns a changed copy of a signed message."""
    head, body = msg.split(b"\r\n\r\n", 1)
    if kind == "body":
        return head + b"\r\n\r\n" + body.replace(b"Hello Bob", b"Hello Eve")
    if kind == "header":
        return head.replace(b"Date: Tue, 25 Nov", b"Date: Wed, 26 Nov") + b"\r\n\r\n" + body
    if kind == "body-whitespace":
        return head + b"\r\n\r\n" + body.replace(b"double spaces.", b"double    spaces. \t")
    if kind == "header-whitespace":
        return head.replace(b"Subject: A folded", b"Subject:  A   folded") + b"\r\n\r\n" + body
    raise ValueError(kind)


def expected_after(kind, canon):
    h, b = canon.split("/")
    return {"body": False, "header": False,
            "body-whitespace": b == "relaxed",
            "header-whitespace": h == "relaxed"}[kind]


def main():
    if not AUTHSINK:
        print("test_dkim_differential: set AUTHSINK")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        w = World(tmp)
        canons = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]
        for signer in ("dkimpy", "ours"):
            sign = w.sign_dkimpy if signer == "dkimpy" else w.sign_ours
            for sel in ("rsa1", "ed1"):
                for canon in canons:
                    for length in (False, True):
                        what = "%s-signed %s %s%s" % (signer, w.keys[sel][0], canon,
                                                      " l=" if length else "")
                        m = sign(MESSAGE, sel, canon, length)
                        ours, text = w.verify_ours(m)
                        py = w.verify_dkimpy(m)
                        check(ours == [True], what + ": ours says " + text.strip())
                        check(py == [True], what + ": dkimpy says %r" % py)
                        if sel == "rsa1":
                            pl = w.verify_mail_dkim(m)
                            check(pl == [True], what + ": Mail::DKIM says %r" % pl)
                        if length:
                            continue
                        for kind in ("body", "header", "body-whitespace", "header-whitespace"):
                            t = tamper(m, kind)
                            want = expected_after(kind, canon)
                            o, text = w.verify_ours(t)
                            p = w.verify_dkimpy(t)
                            check(o == [want], "%s, %s: ours %s (want %s)" % (what, kind, text.strip(), want))
                            check(p == [want], "%s, %s: dkimpy %r (want %s)" % (what, kind, p, want))
                            if sel == "rsa1":
                                pl = w.verify_mail_dkim(t)
                                check(pl == [want], "%s, %s: Mail::DKIM %r (want %s)" % (what, kind, pl, want))
            # Two signatures: rsa below, ed25519 on top; a body change breaks both,
            # appended text breaks neither under l= ... checked on ours and dkimpy.
            m = sign(sign(MESSAGE, "rsa1", "relaxed/simple"), "ed1", "simple/relaxed")
            ours, text = w.verify_ours(m)
            check(ours == [True, True], "%s two signatures: ours %s" % (signer, text.strip()))
            check(w.verify_dkimpy(m) == [True, True], "%s two signatures: dkimpy" % signer)
            t = tamper(m, "body")
            check(w.verify_ours(t)[0] == [False, False], "%s two signatures, body changed: ours" % signer)
            check(w.verify_dkimpy(t) == [False, False], "%s two signatures, body changed: dkimpy" % signer)
            # l= lets appended text through, in all verifiers alike.
            m = sign(MESSAGE, "rsa1", "relaxed/relaxed", True) + b"Appended by a list.\r\n"
            check(w.verify_ours(m)[0] == [True], "%s l= with appended text: ours" % signer)
            check(w.verify_dkimpy(m) == [True], "%s l= with appended text: dkimpy" % signer)
            check(w.verify_mail_dkim(m) == [True], "%s l= with appended text: Mail::DKIM" % signer)
    print("test_dkim_differential: %d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
