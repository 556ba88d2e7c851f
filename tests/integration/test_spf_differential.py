#!/usr/bin/env python3
"""test_spf_differential - `authsink spf` against pyspf (Debian python3-spf,
the reference implementation the openspf suite comes from) on generated
worlds: random records built from every mechanism and qualifier, include and
redirect chains (loops too), macros, CIDR lengths, void lookups, missing
records, TXT timeouts and a few syntax errors.  Each world is one zone file
for authsink (--zone, --dns-fault) and the same data served to pyspf through
its DNSLookup hook.  The results must be equal, and so must the
explanations of fail (exp= texts using most macro letters and transformers,
or the default, set to "DEFAULT" on both sides).

Deterministic (fixed seed); nothing reaches real DNS.  Worlds are generated
so that the two programs' documented choices cannot differ: every host
named by MX or PTR has A and AAAA records (pyspf counts void lookups on
those address lookups, RFC 7208 4.6.4 counts void "terms"), PTR names never
time out (RFC 7208 5.5 skips such a name, pyspf gives temperror), and %{p}
is not used: pyspf counts the PTR lookup behind %{p} as a void lookup, also
when it expands the exp= text of an included record (which RFC 7208 6.2
never evaluates), where we count void lookups per DNS-querying term only
(4.6.4) and never for exp= (the suite's test exp-void).  A record never includes
or redirects to its own domain: pyspf refuses that as "trivial recursion"
before evaluating, where RFC 7208 evaluates terms in order (the lookup limit
of 4.6.4 ends a real loop); longer loops are generated and must agree.

Env: AUTHSINK, the binary.  SPF_DIFF_CASES (default 400).
"""
import ipaddress
import os
import random
import subprocess
import sys
import tempfile

try:
    import spf  # Debian python3-spf
except ImportError:
    # ctest may run another python3 first on PATH; Debian's has the module.
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("test_spf_differential: python3-spf is missing (scripts/deps --test installs it)")
    sys.exit(1)

AUTHSINK = os.environ["AUTHSINK"]
CASES = int(os.environ.get("SPF_DIFF_CASES", "400"))
Z = "t.example"
CLIENTS = ["192.0.2.1", "192.0.2.2", "192.0.2.130", "198.51.100.7", "2001:db8::1",
           "2001:db8::2", "2001:db8:1::5", "::ffff:192.0.2.1"]
V4 = ["192.0.2.1", "192.0.2.2", "192.0.2.130", "198.51.100.7", "198.51.100.8"]
EXP_TEXTS = ["%{s} is not allowed to send for %{d}", "%{l}/%{o}/%{d2}/%{dr}/%{l1r.}",
             "%{ir}.%{v}.arpa %{c} %{h} %{r}", "%{L} %{S} %{H2r} %%%_%-", "plain text"]
V6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::5", "2001:db8:2::9"]


def gen_world(rng):
    """Returns (zonedata, timeouts): name -> list of (type, value)."""
    zd = {}
    hosts = ["h%d.%s" % (i, Z) for i in range(5)]
    doms = ["d%d.%s" % (i, Z) for i in range(7)]
    nx = ["nx%d.%s" % (i, Z) for i in range(3)]
    for h in hosts:
        zd[h] = [("A", a) for a in rng.sample(V4, rng.randint(1, 2))] + \
                [("AAAA", a) for a in rng.sample(V6, rng.randint(1, 2))]
    for c in CLIENTS:
        ip = ipaddress.ip_address(c)
        if getattr(ip, "ipv4_mapped", None):
            continue
        if rng.random() < 0.7:
            zd[ip.reverse_pointer] = [("PTR", h) for h in rng.sample(hosts, rng.randint(1, 3))]
    timeouts = set()
    for d in doms:
        recs = []
        if rng.random() < 0.5:
            recs += [("MX", (10 * (k + 1), h)) for k, h in enumerate(rng.sample(hosts, rng.randint(1, 3)))]
        if rng.random() < 0.4:
            recs += [("A", rng.choice(V4))]
        if rng.random() < 0.3:
            recs += [("AAAA", rng.choice(V6))]
        r = rng.random()
        if r < 0.08:
            pass                                    # no SPF record: none
        elif r < 0.12:
            timeouts.add(d)                         # TXT times out: temperror
        else:
            recs.append(("TXT", gen_record(rng, [x for x in doms if x != d], hosts, nx)))
            if rng.random() < 0.1:
                recs.append(("TXT", "some other text"))
            if rng.random() < 0.03:
                recs.append(("TXT", "v=spf1 -all"))  # two SPF records: permerror
        if recs:
            zd[d] = recs
    # %{l}-driven exists targets.
    zd["user.lp.%s" % Z] = [("A", "127.0.0.2")]
    zd["a.lp.%s" % Z] = [("A", "127.0.0.2")]
    zd["192.0.2.1.ip.%s" % Z] = [("A", "127.0.0.2")]
    # The explanation of exp=exp.t.example: macros of RFC 7208 7.1 and 7.3.
    zd["exp." + Z] = [("TXT", rng.choice(EXP_TEXTS))]
    return zd, timeouts


def gen_record(rng, doms, hosts, nx):
    terms = []
    for _ in range(rng.randint(0, 6)):
        q = rng.choice(["", "", "+", "-", "~", "?"])
        k = rng.random()
        cidr4 = rng.choice(["", "", "/24", "/32", "/16", "/0"])
        cidr6 = rng.choice(["", "", "//64", "//128", "//32"])
        if k < 0.15:
            t = "ip4:%s%s" % (rng.choice(V4 + ["192.0.2.0", "198.51.100.0"]), cidr4)
        elif k < 0.25:
            t = "ip6:%s%s" % (rng.choice(V6 + ["2001:db8::"]), rng.choice(["", "/64", "/32", "/128"]))
        elif k < 0.40:
            t = rng.choice(["a", "a:" + rng.choice(hosts), "a:" + rng.choice(nx),
                            "a:%{d}", "a:" + rng.choice(hosts) + cidr4 + cidr6]) + \
                (cidr4 if rng.random() < 0.2 else "")
        elif k < 0.52:
            t = rng.choice(["mx", "mx:" + rng.choice(doms), "mx:" + rng.choice(nx)]) + cidr4 + cidr6
        elif k < 0.60:
            t = rng.choice(["ptr", "ptr:" + Z, "ptr:" + rng.choice(hosts), "ptr:other.example"])
        elif k < 0.70:
            t = rng.choice(["exists:" + rng.choice(hosts), "exists:" + rng.choice(nx),
                            "exists:%{l}.lp." + Z, "exists:%{ir}.%{v}.nx0." + Z,
                            "exists:%{d2}", "exists:%{l1r.}.lp." + Z, "exists:%{L}.lp." + Z,
                            "a:%{o}", "a:%{h}", "mx:%{o}", "exists:%{i}.ip." + Z])
        elif k < 0.85:
            t = "include:" + rng.choice(doms + nx[:1])
        elif k < 0.97:
            t = "all"
        else:
            q = ""
            t = rng.choice(["moo", "ip4:1.2.3", "a:foo-bar", "a/33", "exists:%(x)", "ip6::x::y"])
        terms.append(q + t)
    if rng.random() < 0.3:
        terms.append("redirect=" + rng.choice(doms + nx[:1]))
    elif rng.random() < 0.3:
        terms.append("-all")
    if rng.random() < 0.15:
        terms.append("foo=bar")
    if rng.random() < 0.5:
        terms.append("exp=exp." + Z)
    return " ".join(["v=spf1"] + terms)


def zone_text(zd):
    out = ["$TTL 300"]
    for name, recs in zd.items():
        for t, v in recs:
            if t == "TXT":
                out.append('%s. IN TXT "%s"' % (name, v))
            elif t == "MX":
                out.append("%s. IN MX %d %s." % (name, v[0], v[1]))
            elif t == "PTR":
                out.append("%s. IN PTR %s." % (name, v))
            else:
                out.append("%s. IN %s %s" % (name, t, v))
    return "\n".join(out) + "\n"


def make_lookup(zd, timeouts):
    def lookup(name, qtype, strict=True, timeout=None):
        name = name.lower().rstrip(".")
        if name in timeouts and qtype == "TXT":
            raise spf.TempError("DNS timeout")
        out = []
        for t, v in zd.get(name, []):
            if t != qtype:
                continue
            if t == "TXT":
                v = [v.encode()]
            out.append(((name, t), v))
        return out
    return lookup


def main():
    rng = random.Random(7208)
    failures = 0
    counts = {}
    exps_compared, exps_differ, exps_custom = [0], [0], [0]
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(CASES):
            zd, timeouts = gen_world(rng)
            zone = os.path.join(tmp, "w.zone")
            with open(zone, "w") as f:
                f.write(zone_text(zd))
            client = rng.choice(CLIENTS)
            dom = "d%d.%s" % (rng.randint(0, 6), Z)
            local = rng.choice(["user", "h1", "a.b"])
            mail_from = "" if rng.random() < 0.1 else "%s@%s" % (local, dom)
            helo = dom
            spf.DNSLookup = make_lookup(zd, timeouts)
            q = spf.query(i=client, s=mail_from, h=helo, receiver="mx.google.com")
            q.set_default_explanation("DEFAULT")
            want, _, want_exp = q.check()
            args = [AUTHSINK, "spf", "--ip", client, "--mail-from", mail_from, "--helo", helo,
                    "--zone", zone, "--default-explanation", "DEFAULT"]
            for d in sorted(timeouts):
                args += ["--dns-fault", "%s/TXT=timeout" % d]
            p = subprocess.run(args, capture_output=True, text=True, timeout=60)
            lines = p.stdout.split("\n")
            got = lines[0] if p.returncode == 0 else "exit %d: %s" % (p.returncode, p.stderr)
            got_exp = lines[1] if len(lines) > 1 else ""
            counts[want] = counts.get(want, 0) + 1
            # Explanations of fail compared ignoring case: pyspf writes the
            # nibbles of an IPv6 %{i} in uppercase, RFC 7208 7.4 in lowercase.
            exp_differs = want == "fail" and got == "fail" and want_exp.lower() != got_exp.lower()
            if exp_differs:
                exps_differ[0] += 1
                print("EXP DIFF case %d: pyspf %r, authsink %r" % (n, want_exp, got_exp))
            elif want == "fail":
                exps_compared[0] += 1
                exps_custom[0] += want_exp != "DEFAULT"
            if got != want or exp_differs:
                failures += 1
                print("DIFF case %d: client %s mail-from <%s> helo %s: pyspf %s, authsink %s"
                      % (n, client, mail_from, helo, want, got))
                for name in sorted(zd):
                    for t, v in zd[name]:
                        print("    %s %s %s" % (name, t, v))
                for d in sorted(timeouts):
                    print("    %s TXT TIMEOUT" % d)
                subprocess.run(args + ["--trace"])
    print("results (pyspf): %s" % ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    print("explanations of fail equal: %d (%d from exp=), different: %d"
          % (exps_compared[0], exps_custom[0], exps_differ[0]))
    print("SPF differential against pyspf %s: %d/%d equal" % (spf.__version__, CASES - failures, CASES))
    return 1 if failures else 0


sys.exit(main())
