"""A raw socket sends two whole transactions in one write; the replies
come back in order, the replies of each pipelined group in one piece."""
import socket

from harness import Checks, Server, connect, read_reply

c = Checks("pipeline_raw")
with Server() as srv:
    s = connect(srv)
    code, lines, buf = read_reply(s)
    c.eq("banner", code, 220)
    sid = lines[0].split()[3]
    txn = (b"EHLO raw.example\r\n"
           b"MAIL FROM:<a@example.com>\r\nRCPT TO:<alice@gmail.com>\r\n"
           b"RCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@gmail.com>\r\nDATA\r\n"
           b"Subject: one\r\n\r\nfirst\r\n.\r\n"
           b"MAIL FROM:<b@example.com>\r\nRCPT TO:<carol@gmail.com>\r\nDATA\r\n"
           b"Subject: two\r\n\r\nsecond\r\n.\r\nQUIT\r\n")
    s.sendall(txn)
    codes = []
    data = buf
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    replies = []
    rest = data
    import io
    for raw in data.split(b"\r\n"):
        if len(raw) >= 4 and raw[3:4] == b" ":
            replies.append(raw.decode())
    codes = [int(r[:3]) for r in replies]
    c.eq("reply codes in order", codes, [250, 250, 250, 550, 250, 354, 250, 250, 250, 354, 250, 221])
    c.true("every reply carries the session id", all(sid in r for r in replies[1:]), replies)
    s.close()

    # One group: its four replies arrive in one segment, as one write.
    s = connect(srv)
    read_reply(s)
    s.sendall(b"EHLO raw.example\r\n")
    read_reply(s)
    s.sendall(b"MAIL FROM:<a@example.com>\r\nRCPT TO:<alice@gmail.com>\r\n"
              b"RCPT TO:<bob@gmail.com>\r\nDATA\r\n")
    first = s.recv(65536)
    c.eq("a pipelined group's replies in one read", first.count(b"\r\n"), 4)
    s.sendall(b".\r\nQUIT\r\n")
    s.close()
    srv.stop()
    c.eq("both messages of the first connection stored", len(srv.stored()) >= 2, True)
c.done()
