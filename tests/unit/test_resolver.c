/*
 * test_resolver - the libuv resolver (smtpd/resolver.c) against a fake DNS
 * server in the same loop, on 127.0.0.1 only.  The server's answers are
 * built with ldns from record text, per name:
 *
 *   plain.test   A 192.0.2.1, TTL 60
 *   merge.test   A 192.0.2.2 (asked twice at once: one exchange)
 *   spoof.test   first a correct-looking answer from another port, one with
 *                the wrong id, one for another name; then the real one
 *   big.test     TXT too big for UDP: TC over UDP, the whole over TCP
 *   silent.test  never answered
 *   slow.test    the first attempt is ignored, the second answered
 *   nx.test      NXDOMAIN, SOA minimum 30
 *   fail.test    SERVFAIL
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "resolver.h"

enum behaviour { B_PLAIN, B_MERGE, B_SPOOF, B_BIG, B_SILENT, B_SLOW, B_NX, B_FAIL, B_COUNT };
static const char *const bnames[B_COUNT] = {"plain", "merge", "spoof", "big",
                                            "silent", "slow", "nx", "fail"};

struct server {
    uv_loop_t *loop;
    uv_udp_t udp, spoofer;
    uv_tcp_t tcp;
    int port;
    int udp_count[B_COUNT], tcp_count[B_COUNT];
    uint16_t ids[8];
    int ports[8];
    int nids;
    int edns_size;
};

static struct server srv;

static enum behaviour behaviour_of(const ldns_pkt *q, char *owner, size_t len)
{
    const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
    char *s = ldns_rdf2str(ldns_rr_owner(qr));
    snprintf(owner, len, "%s", s);
    free(s);
    for (int b = 0; b < B_COUNT; b++)
        if (strncasecmp(owner, bnames[b], strlen(bnames[b])) == 0 &&
            owner[strlen(bnames[b])] == '.')
            return (enum behaviour)b;
    return B_SILENT;
}

static void push(ldns_pkt *r, ldns_pkt_section sec, const char *text)
{
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
    ldns_pkt_push_rr(r, sec, rr);
}

/* The answer to q per its name; tcp says which transport asked. */
static ldns_pkt *respond(const ldns_pkt *q, enum behaviour b, const char *owner, int tcp)
{
    ldns_pkt *r = ldns_pkt_new();
    ldns_pkt_set_id(r, ldns_pkt_id(q));
    ldns_pkt_set_qr(r, true);
    ldns_pkt_set_rd(r, ldns_pkt_rd(q));
    ldns_pkt_set_ra(r, true);
    ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION,
                     ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0)));
    char text[4096];
    switch (b) {
    case B_PLAIN:
    case B_SPOOF:
    case B_SLOW:
        snprintf(text, sizeof text, "%s 60 IN A 192.0.2.1", owner);
        push(r, LDNS_SECTION_ANSWER, text);
        break;
    case B_MERGE:
        snprintf(text, sizeof text, "%s 60 IN A 192.0.2.2", owner);
        push(r, LDNS_SECTION_ANSWER, text);
        break;
    case B_BIG:
        if (!tcp) {
            ldns_pkt_set_tc(r, true);
            break;
        }
        {
            size_t n = (size_t)snprintf(text, sizeof text, "%s 60 IN TXT", owner);
            for (int i = 0; i < 10; i++)
                n += (size_t)snprintf(text + n, sizeof text - n, " \"%0200d\"", i);
        }
        push(r, LDNS_SECTION_ANSWER, text);
        break;
    case B_NX:
        ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
        push(r, LDNS_SECTION_AUTHORITY, "test. 300 IN SOA ns.test. h.test. 1 2 3 4 30");
        break;
    case B_FAIL:
        ldns_pkt_set_rcode(r, LDNS_RCODE_SERVFAIL);
        break;
    default:
        break;
    }
    return r;
}

static void send_pkt(uv_udp_t *h, ldns_pkt *p, const struct sockaddr *to)
{
    uint8_t *wire = NULL;
    size_t size = 0;
    assert_int_equal(ldns_pkt2wire(&wire, p, &size), LDNS_STATUS_OK);
    uv_buf_t b = uv_buf_init((char *)wire, (unsigned)size);
    assert_int_equal(uv_udp_try_send(h, &b, 1, to), (int)size);
    free(wire);
    ldns_pkt_free(p);
}

static void srv_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char mem[65536];
    *buf = uv_buf_init(mem, sizeof mem);
}

static void srv_udp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                         const struct sockaddr *addr, unsigned flags)
{
    if (n <= 0 || addr == NULL)
        return;
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_wire2pkt(&q, (const uint8_t *)buf->base, (size_t)n), LDNS_STATUS_OK);
    char owner[300];
    enum behaviour b = behaviour_of(q, owner, sizeof owner);
    int count = ++srv.udp_count[b];
    srv.edns_size = ldns_pkt_edns_udp_size(q);
    if (srv.nids < 8) {
        srv.ids[srv.nids] = ldns_pkt_id(q);
        srv.ports[srv.nids++] = ntohs(((const struct sockaddr_in *)addr)->sin_port);
    }
    if (b == B_SILENT || (b == B_SLOW && count == 1)) {
        ldns_pkt_free(q);
        return;
    }
    if (b == B_SPOOF) {
        /* The right id and question, from the wrong port. */
        ldns_pkt *fake = respond(q, B_MERGE, owner, 0);
        send_pkt(&srv.spoofer, fake, addr);
        /* The right port, the wrong id. */
        fake = respond(q, B_MERGE, owner, 0);
        ldns_pkt_set_id(fake, (uint16_t)(ldns_pkt_id(q) + 1));
        send_pkt(h, fake, addr);
        /* The right port and id, another name. */
        ldns_pkt *other = ldns_pkt_clone(q);
        ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(other), 0);
        ldns_rdf_deep_free(ldns_rr_owner(qrr));
        ldns_rr_set_owner(qrr, ldns_dname_new_frm_str("other.test."));
        fake = respond(other, B_MERGE, "other.test.", 0);
        ldns_pkt_free(other);
        send_pkt(h, fake, addr);
    }
    send_pkt(h, respond(q, b, owner, 0), addr);
    ldns_pkt_free(q);
}

struct tcp_client {
    uv_tcp_t h;
    uv_write_t w;
    uint8_t in[4096];
    size_t inlen;
    uint8_t *out;
};

static void client_closed(uv_handle_t *h)
{
    struct tcp_client *c = h->data;
    free(c->out);
    free(c);
}

static void client_written(uv_write_t *w, int status)
{
    struct tcp_client *c = w->data;
    uv_close((uv_handle_t *)&c->h, client_closed);
}

static void client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct tcp_client *c = h->data;
    *buf = uv_buf_init((char *)c->in + c->inlen, (unsigned)(sizeof c->in - c->inlen));
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    struct tcp_client *c = s->data;
    if (n < 0) {
        uv_close((uv_handle_t *)&c->h, client_closed);
        return;
    }
    c->inlen += (size_t)n;
    if (c->inlen < 2 || c->inlen < 2 + (size_t)(c->in[0] << 8 | c->in[1]))
        return;
    uv_read_stop(s);
    ldns_pkt *q = NULL;
    assert_int_equal(ldns_wire2pkt(&q, c->in + 2, c->inlen - 2), LDNS_STATUS_OK);
    char owner[300];
    enum behaviour b = behaviour_of(q, owner, sizeof owner);
    srv.tcp_count[b]++;
    ldns_pkt *r = respond(q, b, owner, 1);
    uint8_t *wire = NULL;
    size_t size = 0;
    assert_int_equal(ldns_pkt2wire(&wire, r, &size), LDNS_STATUS_OK);
    c->out = malloc(size + 2);
    c->out[0] = (uint8_t)(size >> 8);
    c->out[1] = (uint8_t)size;
    memcpy(c->out + 2, wire, size);
    free(wire);
    ldns_pkt_free(r);
    ldns_pkt_free(q);
    uv_buf_t ob = uv_buf_init((char *)c->out, (unsigned)size + 2);
    c->w.data = c;
    uv_write(&c->w, s, &ob, 1, client_written);
}

static void srv_accept(uv_stream_t *server, int status)
{
    struct tcp_client *c = calloc(1, sizeof *c);
    uv_tcp_init(srv.loop, &c->h);
    c->h.data = c;
    assert_int_equal(uv_accept(server, (uv_stream_t *)&c->h), 0);
    uv_read_start((uv_stream_t *)&c->h, client_alloc, client_read);
}

static void srv_start(uv_loop_t *loop)
{
    memset(&srv, 0, sizeof srv);
    srv.loop = loop;
    struct sockaddr_in a;
    /* UDP and TCP on the same loopback port: try a few kernel-chosen ones. */
    for (int tries = 0; tries < 20; tries++) {
        uv_udp_init(loop, &srv.udp);
        uv_ip4_addr("127.0.0.1", 0, &a);
        assert_int_equal(uv_udp_bind(&srv.udp, (const struct sockaddr *)&a, 0), 0);
        struct sockaddr_storage ss;
        int len = sizeof ss;
        uv_udp_getsockname(&srv.udp, (struct sockaddr *)&ss, &len);
        srv.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        uv_tcp_init(loop, &srv.tcp);
        uv_ip4_addr("127.0.0.1", srv.port, &a);
        if (uv_tcp_bind(&srv.tcp, (const struct sockaddr *)&a, 0) == 0 &&
            uv_listen((uv_stream_t *)&srv.tcp, 16, srv_accept) == 0)
            break;
        uv_close((uv_handle_t *)&srv.udp, NULL);
        uv_close((uv_handle_t *)&srv.tcp, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        srv.port = 0;
    }
    assert_true(srv.port > 0);
    uv_udp_recv_start(&srv.udp, srv_alloc, srv_udp_recv);
    uv_udp_init(loop, &srv.spoofer);
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_udp_bind(&srv.spoofer, (const struct sockaddr *)&a, 0), 0);
}

static void srv_stop(void)
{
    uv_close((uv_handle_t *)&srv.udp, NULL);
    uv_close((uv_handle_t *)&srv.tcp, NULL);
    uv_close((uv_handle_t *)&srv.spoofer, NULL);
}

/* ---- the client side ---- */

struct got {
    int called;
    int inside;
    struct au_dns_answer *a;
};

static int in_query;

static void got_cb(void *arg, struct au_dns_answer *a)
{
    struct got *g = arg;
    g->called++;
    g->inside |= in_query;
    au_dns_answer_unref(g->a);
    g->a = a;
}

struct fixture {
    uv_loop_t loop;
    struct resolver *r;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    uv_loop_init(&f->loop);
    srv_start(&f->loop);
    struct resolver_config c;
    char addr[64], err[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", srv.port);
    assert_int_equal(resolver_config_init(&c, addr, 1000, err, sizeof err), 0);
    f->r = resolver_new(&f->loop, &c);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    resolver_free(f->r);
    srv_stop();
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0);
    free(f);
    return 0;
}

static struct au_dns_answer *ask(struct fixture *f, const char *name, uint16_t type,
                                 struct got *g)
{
    struct au_dns_query q = {.type = type};
    snprintf(q.name, sizeof q.name, "%s", name);
    memset(g, 0, sizeof *g);
    in_query = 1;
    resolver_query(f->r, &q, got_cb, g);
    in_query = 0;
    assert_int_equal(g->called, 0);   /* never inside the call */
    while (!g->called)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(g->called, 1);
    assert_int_equal(g->inside, 0);
    return g->a;
}

static void test_plain_and_cache(void **state)
{
    struct fixture *f = *state;
    struct got g;
    struct au_dns_answer *a = ask(f, "plain.test", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    assert_int_equal(a->count, 1);
    assert_int_equal(a->rr[0].u.a[0], 192);
    assert_int_equal(a->rr[0].u.a[3], 1);
    assert_int_equal(a->ttl, 60);
    assert_int_equal(srv.edns_size, 1232);
    au_dns_answer_unref(a);
    /* Again, with other case: from the cache, still on a later turn. */
    a = ask(f, "PLAIN.test.", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_PLAIN], 1);
    struct resolver_stats st;
    resolver_get_stats(f->r, &st);
    assert_int_equal(st.cache_hits, 1);
    /* Cache off: the server is asked again. */
    resolver_set_cache(f->r, 0);
    a = ask(f, "plain.test", AU_DNS_A, &g);
    au_dns_answer_unref(a);
    a = ask(f, "plain.test", AU_DNS_A, &g);
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_PLAIN], 3);
}

static void test_merge(void **state)
{
    struct fixture *f = *state;
    struct got g1 = {0}, g2 = {0};
    struct au_dns_query q = {.type = AU_DNS_A, .name = "merge.test"};
    resolver_query(f->r, &q, got_cb, &g1);
    resolver_query(f->r, &q, got_cb, &g2);
    while (!g1.called || !g2.called)
        uv_run(&f->loop, UV_RUN_ONCE);
    assert_int_equal(srv.udp_count[B_MERGE], 1);
    assert_ptr_equal(g1.a, g2.a);   /* one answer, two references */
    assert_int_equal(g1.a->rr[0].u.a[3], 2);
    au_dns_answer_unref(g1.a);
    au_dns_answer_unref(g2.a);
    struct resolver_stats st;
    resolver_get_stats(f->r, &st);
    assert_int_equal(st.merged, 1);
}

static void test_spoof_ignored(void **state)
{
    struct fixture *f = *state;
    struct got g;
    struct au_dns_answer *a = ask(f, "spoof.test", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    assert_int_equal(a->rr[0].u.a[3], 1);   /* not .2 of the fakes */
    au_dns_answer_unref(a);
    /* Let any fake still in flight arrive; the exchange is over. */
    uv_run(&f->loop, UV_RUN_NOWAIT);
    struct resolver_stats st;
    resolver_get_stats(f->r, &st);
    assert_true(st.ignored >= 2);   /* wrong port, wrong id (and wrong name) */
}

static void test_tcp_fallback(void **state)
{
    struct fixture *f = *state;
    struct got g;
    struct au_dns_answer *a = ask(f, "big.test", AU_DNS_TXT, &g);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    assert_int_equal(a->rr[0].u.txt.count, 10);
    assert_int_equal(a->rr[0].u.txt.str[9].len, 200);
    assert_int_equal(a->rr[0].u.txt.str[9].ptr[199], '9');
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_BIG], 1);
    assert_int_equal(srv.tcp_count[B_BIG], 1);
}

static void test_timeout_and_retry(void **state)
{
    struct fixture *f = *state;
    struct got g;
    uint64_t t0 = uv_now(&f->loop);
    struct au_dns_answer *a = ask(f, "silent.test", AU_DNS_A, &g);
    uint64_t took = uv_now(&f->loop) - t0;
    assert_int_equal(a->status, AU_DNS_TEMPFAIL);
    assert_string_equal(a->detail, "timeout");
    au_dns_answer_unref(a);
    assert_true(took >= 900 && took < 3000);
    /* Two attempts, each with its own id or source port. */
    assert_int_equal(srv.udp_count[B_SILENT], 2);
    assert_true(srv.ids[0] != srv.ids[1] || srv.ports[0] != srv.ports[1]);

    a = ask(f, "slow.test", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_RECORDS);
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_SLOW], 2);
}

static void test_negative_and_failure(void **state)
{
    struct fixture *f = *state;
    struct got g;
    struct au_dns_answer *a = ask(f, "nx.test", AU_DNS_MX, &g);
    assert_int_equal(a->status, AU_DNS_NXDOMAIN);
    assert_int_equal(a->ttl, 30);
    au_dns_answer_unref(a);
    a = ask(f, "nx.test", AU_DNS_MX, &g);   /* negative answers are cached */
    assert_int_equal(a->status, AU_DNS_NXDOMAIN);
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_NX], 1);

    a = ask(f, "fail.test", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_TEMPFAIL);
    assert_string_equal(a->detail, "SERVFAIL");
    au_dns_answer_unref(a);
    a = ask(f, "fail.test", AU_DNS_A, &g);  /* failures are not */
    au_dns_answer_unref(a);
    assert_int_equal(srv.udp_count[B_FAIL], 2);

    a = ask(f, "bad..name", AU_DNS_A, &g);
    assert_int_equal(a->status, AU_DNS_MALFORMED);
    au_dns_answer_unref(a);
}

static void test_cancel_and_free(void **state)
{
    struct fixture *f = *state;
    struct got g1 = {0}, g2 = {0}, g3 = {0};
    struct au_dns_query q = {.type = AU_DNS_A, .name = "silent.test"};
    struct resolver_req *r1 = resolver_query(f->r, &q, got_cb, &g1);
    resolver_query(f->r, &q, got_cb, &g2);
    resolver_cancel(r1);
    /* A cache hit cancelled before its turn. */
    struct au_dns_query p = {.type = AU_DNS_A, .name = "plain.test"};
    struct got gp = {0};
    resolver_query(f->r, &p, got_cb, &gp);
    while (!gp.called)
        uv_run(&f->loop, UV_RUN_ONCE);
    au_dns_answer_unref(gp.a);
    struct resolver_req *r3 = resolver_query(f->r, &p, got_cb, &g3);
    resolver_cancel(r3);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(g1.called + g3.called, 0);
    /* g2 is still waiting on silent.test: freeing drops it silently. */
    resolver_free(f->r);
    f->r = NULL;
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(g2.called, 0);
}

/* Nobody on the port: the ICMP error fails each attempt at once. */
static void test_refused(void **state)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_udp_t probe;
    uv_udp_init(&loop, &probe);
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_udp_bind(&probe, (const struct sockaddr *)&a, 0), 0);
    struct sockaddr_storage ss;
    int len = sizeof ss;
    uv_udp_getsockname(&probe, (struct sockaddr *)&ss, &len);
    int port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
    uv_close((uv_handle_t *)&probe, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);

    struct resolver_config c;
    char addr[64], err[128];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    assert_int_equal(resolver_config_init(&c, addr, 5000, err, sizeof err), 0);
    struct resolver *r = resolver_new(&loop, &c);
    struct got g = {0};
    struct au_dns_query q = {.type = AU_DNS_A, .name = "plain.test"};
    resolver_query(r, &q, got_cb, &g);
    uint64_t t0 = uv_now(&loop);
    while (!g.called)
        uv_run(&loop, UV_RUN_ONCE);
    assert_true(uv_now(&loop) - t0 < 2000);   /* not the 5 s timeout */
    assert_int_equal(g.a->status, AU_DNS_TEMPFAIL);
    assert_string_equal(g.a->detail, "connection refused");
    au_dns_answer_unref(g.a);
    resolver_free(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_parse_addr(void **state)
{
    static const struct {
        const char *text;
        int rc, family, port;
    } table[] = {
        {"127.0.0.1", 0, AF_INET, 53},     {"127.0.0.1:5353", 0, AF_INET, 5353},
        {"::1", 0, AF_INET6, 53},          {"[::1]:5300", 0, AF_INET6, 5300},
        {"[::1]", 0, AF_INET6, 53},        {"2001:db8::53", 0, AF_INET6, 53},
        {"127.0.0.1:0", -1, 0, 0},         {"127.0.0.1:65536", -1, 0, 0},
        {"127.0.0.1:x", -1, 0, 0},         {"127.0.0.1:", -1, 0, 0},
        {"localhost", -1, 0, 0},           {"1.2.3", -1, 0, 0},
        {"[::1", -1, 0, 0},                {"[::1]x", -1, 0, 0},
        {"", -1, 0, 0},                    {"[]:53", -1, 0, 0},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        struct sockaddr_storage sa;
        int rc = resolver_parse_addr(table[i].text, &sa);
        print_message("%-18s -> %d\n", table[i].text, rc);
        assert_int_equal(rc, table[i].rc);
        if (rc == 0) {
            assert_int_equal(sa.ss_family, table[i].family);
            int port = sa.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&sa)->sin_port)
                                               : ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
            assert_int_equal(port, table[i].port);
        }
    }
    const char conf[] = "# comment\nsearch example.com\nnameserver 192.0.2.53\n"
                        "  nameserver ::1\nnameserver bogus\nnameserver 192.0.2.54 extra\n"
                        "nameserver 192.0.2.55\nnameserver 192.0.2.56\n";
    struct resolver_config c;
    memset(&c, 0, sizeof c);
    assert_int_equal(resolver_parse_resolv_conf(&c, conf, strlen(conf)), 3);
    assert_int_equal(c.nservers, 3);
    assert_int_equal(c.server[1].ss_family, AF_INET6);
    assert_int_equal(ntohl(((struct sockaddr_in *)&c.server[2])->sin_addr.s_addr) & 0xff, 54);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spoof_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tcp_fallback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_negative_and_failure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_and_free, setup, teardown),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_parse_addr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
