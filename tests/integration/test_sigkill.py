"""Nothing acknowledged is lost: 200 messages, the server killed with
SIGKILL right after each 250, restarted on the same Maildir; every message
that got its 250 is in new/, whole."""
import os
import signal

from harness import Checks, Server, connect, read_reply

N = 200
c = Checks("sigkill")
work = None
acked = 0
for i in range(N):
    srv = Server(workdir=work)
    work = srv.dir
    srv.start()
    s = connect(srv)
    read_reply(s)
    body = b"Subject: kill %d\r\nMessage-ID: <kill-%d@example.com>\r\n\r\n" % (i, i) + \
        b"x" * (i * 37 % 5000) + b"\r\nend of message %d\r\n.\r\n" % i
    s.sendall(b"EHLO k.example\r\nMAIL FROM:<k@example.com>\r\nRCPT TO:<alice@gmail.com>\r\nDATA\r\n")
    codes = []
    buf = b""
    for _ in range(4):
        code, _, buf = read_reply(s, buf)
        codes.append(code)
    s.sendall(body)
    code, lines, buf = read_reply(s, buf)
    if code == 250:
        acked += 1
    # The 250 has been read: kill at once, no goodbye, no flush.
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.stderr.close()
    s.close()
    if codes != [250, 250, 250, 354] or code != 250:
        c.eq("replies of message %d" % i, (codes, code), ([250, 250, 250, 354], 250))
c.eq("messages acknowledged", acked, N)
files = srv.stored()
c.eq("messages in new/", len(files), N)
found = set()
for f in files:
    data = open(f, "rb").read()
    for i in range(N):
        if data.endswith(b"\r\nend of message %d\r\n" % i):
            found.add(i)
c.eq("every message whole, once", sorted(found), list(range(N)))
c.eq("nothing left in tmp/", os.listdir(os.path.join(srv.maildir, "tmp")), [])
c.done()
