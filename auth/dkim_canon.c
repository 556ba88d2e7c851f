/*
 * dkim_canon - DKIM canonicalization, RFC 6376 section 3.4.
 *
 * Public: au_dkim_canon_header, au_dkim_canon_signed_headers,
 * au_dkim_body_canon_{init,feed,finish},
 * au_dkim_canon_parse, au_dkim_canon_name.
 *
 * Headers (3.4.1, 3.4.2): "simple" is the field as received; "relaxed"
 * lowercases the name, unfolds, turns WSP runs into one SP, and drops WSP at
 * the end of the value and around the colon.
 *
 * Bodies (3.4.3, 3.4.4) are canonicalized as they stream.  Line ends are
 * held back as a count, because empty lines at the end of the body are
 * dropped and we only learn they were trailing when the body ends; a CR at
 * the end of a chunk is held until the next byte says whether it begins a
 * CRLF.  Only CRLF is a line end here: a bare CR or LF is content, as the
 * RFC defines lines on CRLF.  Relaxed text, header value or body, is
 * mostly left as it is, so it is scanned sixteen bytes at a time (SSE2;
 * elsewhere eight, in a 64-bit word, or define AU_DKIM_CANON_PORTABLE) for
 * the few places that may change, and the runs between them are copied
 * whole.  The canonical bytes are staged
 * in a small array so that the hash sees few, large updates.
 *
 * Limits: AU_DKIM_CANON_STAGE bytes staged; l= cuts the output, while the
 * full canonical length is still counted (a signature with l= beyond the
 * body must not pass).
 */
#include "dkim_canon.h"

#include <string.h>
#include <strings.h>

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/*
 * The scanner both relaxed forms use to find where their output may
 * differ from their input.  A byte is odd when it is a control byte (below
 * SP: HTAB, CR and LF are among them), or SP followed by a byte <= SP or by
 * the end of the text.  Everything else is copied as it is once content has
 * begun, so the callers copy the runs between odd bytes whole and judge
 * each odd byte on its own.
 */
#if defined(__SSE2__) && !defined(AU_DKIM_CANON_PORTABLE)
#include <emmintrin.h>

/* The offset of the first odd byte of p[0..n), or n.  Sixteen bytes at a
 * time with SSE2, which every x86-64 has. */
static size_t scan_odd(const char *p, size_t n)
{
    const __m128i below_sp = _mm_set1_epi8(0x1f), sp = _mm_set1_epi8(' ');
    size_t j = 0;
    for (; j + 17 <= n; j += 16) { /* sixteen bytes and the one after them */
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + j));
        __m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + j + 1));
        /* min(a, b) == a is the unsigned a <= b that SSE2 lacks. */
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, below_sp), x);
        __m128i sp_x = _mm_cmpeq_epi8(x, sp);
        __m128i le_sp_y = _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y);
        unsigned odd = (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_and_si128(sp_x, le_sp_y)));
        if (odd != 0)
            return j + (size_t)__builtin_ctz(odd);
    }
    for (; j < n; j++) {
        unsigned char ch = (unsigned char)p[j];
        if (ch < 0x20 || (ch == ' ' && (j + 1 == n || (unsigned char)p[j + 1] <= 0x20)))
            return j;
    }
    return n;
}
#else
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* The high bit of each byte of x that is below b (1 <= b <= 0x80), none
 * elsewhere.  Exact per byte: the sum of the low seven bits and 0x80 - b
 * stays within its byte, so no carry reaches a neighbour. */
static inline uint64_t bytes_below(uint64_t x, unsigned b)
{
    return ~(((x & ~HIGHS) + ONES * (0x80 - b)) | x) & HIGHS;
}

static inline uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x); /* unaligned and aliasing-safe; compiles to one load */
    return x;
}

/* The offset of the first odd byte of p[0..n), or n.  Portable: words of
 * eight bytes with no odd byte are passed whole, the first other word is
 * looked at byte by byte. */
static size_t scan_odd(const char *p, size_t n)
{
    size_t j = 0;
    for (; j + 9 <= n; j += 8) { /* a word and the byte after it */
        uint64_t x = load8(p + j), y = load8(p + j + 1);
        if ((bytes_below(x, 0x20) | (bytes_below(x ^ (ONES * ' '), 1) & bytes_below(y, 0x21))) != 0)
            break;
    }
    for (; j < n; j++) {
        unsigned char ch = (unsigned char)p[j];
        if (ch < 0x20 || (ch == ' ' && (j + 1 == n || (unsigned char)p[j + 1] <= 0x20)))
            return j;
    }
    return n;
}
#endif

static inline bool is_fws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* Whether p[j], an odd byte of a relaxed header value met after content
 * with no WSP held, is copied as it is: HTAB, CR and LF never are (WSP is
 * shortened, folding undone), SP is when content follows it. */
static inline bool header_keeps(const char *p, size_t n, size_t j)
{
    switch (p[j]) {
    case '\t':
    case '\r':
    case '\n':
        return false;
    case ' ':
        return j + 1 < n && !is_fws(p[j + 1]);
    default:
        return true;
    }
}

/* The length of the prefix of a header value that relaxed copies as it is. */
static size_t header_verbatim(const char *p, size_t n)
{
    size_t j = 0;
    while ((j += scan_odd(p + j, n - j)) < n && header_keeps(p, n, j))
        j++;
    return j;
}

int au_dkim_canon_header(enum au_dkim_canon c, struct au_slice raw, bool is_sig, struct au_buf *out)
{
    if (c == AU_DKIM_CANON_SIMPLE) {
        size_t n = raw.len;
        if (is_sig) {
            if (n > 0 && raw.ptr[n - 1] == '\n')
                n--;
            if (n > 0 && raw.ptr[n - 1] == '\r')
                n--;
        }
        return au_buf_append(out, raw.ptr, n);
    }
    const char *colon = memchr(raw.ptr, ':', raw.len);
    size_t nlen = colon ? (size_t)(colon - raw.ptr) : raw.len;
    while (nlen > 0 &&
           (is_wsp(raw.ptr[nlen - 1]) || raw.ptr[nlen - 1] == '\r' || raw.ptr[nlen - 1] == '\n'))
        nlen--;
    /* The canonical form is never longer than the raw field plus CRLF. */
    size_t avail;
    char *w = au_buf_space(out, raw.len + 3, &avail);
    if (w == NULL)
        return -1;
    char *start = w;
    for (size_t i = 0; i < nlen; i++) {
        char ch = raw.ptr[i];
        *w++ = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    *w++ = ':';
    if (colon) {
        const char *p = colon + 1, *end = raw.ptr + raw.len;
        bool space = false, started = false;
        while (p < end) {
            if (started && !space) {
                /* Content with no WSP held: the common case, copied in runs. */
                size_t k = header_verbatim(p, (size_t)(end - p));
                memcpy(w, p, k);
                w += k;
                p += k;
                if (p == end)
                    break;
            }
            char ch = *p++;
            if (ch == '\r' || ch == '\n')
                continue; /* unfolding; the final line end goes too */
            if (is_wsp(ch)) {
                space = true;
                continue;
            }
            if (space && started)
                *w++ = ' ';
            space = false;
            started = true;
            *w++ = ch;
        }
    }
    if (!is_sig) {
        *w++ = '\r';
        *w++ = '\n';
    }
    au_buf_commit(out, (size_t)(w - start));
    return 0;
}

int au_dkim_canon_signed_headers(enum au_dkim_canon c, const struct au_dkim_field *f, size_t nf,
                                 const struct au_slice *hnames, size_t nh, size_t skip,
                                 struct au_buf *out)
{
    for (size_t k = 0; k < nh; k++) {
        /* The n-th use of a name takes the n-th instance from the bottom. */
        size_t seen = 0;
        for (size_t j = 0; j < k; j++)
            if (hnames[j].len == hnames[k].len &&
                strncasecmp(hnames[j].ptr, hnames[k].ptr, hnames[k].len) == 0)
                seen++;
        for (size_t i = nf; i-- > 0;) {
            if (i == skip || f[i].name.len != hnames[k].len ||
                strncasecmp(f[i].name.ptr, hnames[k].ptr, hnames[k].len) != 0)
                continue;
            if (seen > 0) {
                seen--;
                continue;
            }
            if (au_dkim_canon_header(c, f[i].raw, false, out) < 0)
                return -1;
            break;
        }
    }
    return 0;
}

void au_dkim_body_canon_init(struct au_dkim_body_canon *c, enum au_dkim_canon canon, uint64_t limit,
                             au_dkim_canon_out_fn out, void *arg)
{
    c->canon = canon;
    c->limit = limit;
    c->emitted = 0;
    c->total = 0;
    c->crlf_pending = 0;
    c->cr_pending = false;
    c->wsp_pending = false;
    c->any = false;
    c->out = out;
    c->arg = arg;
    c->staged = 0;
}

/* Hands the staged bytes on, cut at l=; every byte is counted in total. */
static void flush_stage(struct au_dkim_body_canon *c)
{
    if (c->staged == 0)
        return;
    c->total += c->staged;
    uint64_t room = c->limit - c->emitted;
    size_t n = c->staged;
    if ((uint64_t)n > room)
        n = (size_t)room;
    if (n > 0) {
        c->out(c->arg, c->stage, n);
        c->emitted += n;
    }
    c->staged = 0;
}

static inline void put(struct au_dkim_body_canon *c, const char *p, size_t n)
{
    while (n > 0) {
        size_t room = AU_DKIM_CANON_STAGE - c->staged;
        size_t k = n < room ? n : room;
        memcpy(c->stage + c->staged, p, k);
        c->staged += k;
        p += k;
        n -= k;
        if (c->staged == AU_DKIM_CANON_STAGE)
            flush_stage(c);
    }
}

static inline void put1(struct au_dkim_body_canon *c, char ch)
{
    c->stage[c->staged++] = ch;
    if (c->staged == AU_DKIM_CANON_STAGE)
        flush_stage(c);
}

/* Content follows: the held line ends (and relaxed's WSP) were not trailing. */
static void release(struct au_dkim_body_canon *c)
{
    for (; c->crlf_pending > 0; c->crlf_pending--) {
        put1(c, '\r');
        put1(c, '\n');
    }
    if (c->wsp_pending) {
        put1(c, ' ');
        c->wsp_pending = false;
    }
}

/* simple: only CR is special (it may begin a held line end). */
static void feed_simple(struct au_dkim_body_canon *c, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        if (c->cr_pending) {
            c->cr_pending = false;
            if (*p == '\n') {
                c->crlf_pending++;
                p++;
                continue;
            }
            release(c);
            c->any = true;
            put1(c, '\r');
        }
        if (*p == '\r') {
            c->cr_pending = true;
            p++;
            continue;
        }
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        const char *stop = cr ? cr : end;
        if (c->crlf_pending)
            release(c);
        c->any = true;
        put(c, p, (size_t)(stop - p));
        p = stop;
    }
}

/*
 * relaxed: most of a body comes out exactly as it goes in, so the work is
 * finding where it does not.  From a clean state (no CR, WSP or line end
 * held back) a byte is copied as it is unless it is
 *   - HTAB (it becomes SP, or goes),
 *   - SP followed by SP, HTAB or CR (a run to shorten, or WSP that may end
 *     a line),
 *   - CR, unless LF and then a byte other than SP, HTAB or CR follow (a
 *     line end may be trailing, or end a line of nothing but WSP).
 * relaxed_verbatim measures such a run, many bytes at a time, and the run
 * is copied whole; the byte that ends it goes through the state machine of
 * relaxed_byte, which hands back to the fast path once the state is clean.
 * A byte whose lookahead lies beyond the chunk ends the run too: the state
 * machine holds it until the next chunk says what it was.
 */
static inline bool is_wsp_or_cr(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

/* Whether p[j] is copied as it is from a clean state (see above). */
static inline bool relaxed_keeps(const char *p, size_t n, size_t j)
{
    switch (p[j]) {
    case '\t':
        return false;
    case ' ':
        return j + 1 < n && !is_wsp_or_cr(p[j + 1]);
    case '\r':
        return j + 2 < n && p[j + 1] == '\n' && !is_wsp_or_cr(p[j + 2]);
    default:
        return true;
    }
}

/* The length of the prefix of p that relaxed canonicalization copies as it
 * is, from a clean state: odd bytes are rare in text (about one per line),
 * and most of them are line ends that stay. */
static size_t relaxed_verbatim(const char *p, size_t n)
{
    size_t j = 0;
    while ((j += scan_odd(p + j, n - j)) < n && relaxed_keeps(p, n, j))
        j++;
    return j;
}

/* One byte through the relaxed state machine. */
static void relaxed_byte(struct au_dkim_body_canon *c, char ch)
{
    if (c->cr_pending) {
        c->cr_pending = false;
        if (ch == '\n') {
            c->wsp_pending = false; /* WSP at the end of a line goes */
            c->crlf_pending++;
            return;
        }
        release(c); /* a bare CR is content */
        c->any = true;
        put1(c, '\r');
    }
    if (ch == '\r') {
        c->cr_pending = true;
    } else if (ch == ' ' || ch == '\t') {
        c->wsp_pending = true;
    } else {
        release(c);
        c->any = true;
        put1(c, ch);
    }
}

static void feed_relaxed(struct au_dkim_body_canon *c, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (!c->cr_pending && !c->wsp_pending && c->crlf_pending == 0) {
            size_t k = relaxed_verbatim(p + i, n - i);
            if (k > 0) {
                put(c, p + i, k);
                c->any = true;
                i += k;
                if (i == n)
                    break;
            }
        }
        relaxed_byte(c, p[i++]);
    }
}

void au_dkim_body_canon_feed(struct au_dkim_body_canon *c, const char *p, size_t n)
{
    if (c->canon == AU_DKIM_CANON_RELAXED)
        feed_relaxed(c, p, n);
    else
        feed_simple(c, p, n);
}

void au_dkim_body_canon_finish(struct au_dkim_body_canon *c)
{
    if (c->cr_pending) {
        c->cr_pending = false;
        release(c);
        c->any = true;
        put1(c, '\r');
    }
    c->wsp_pending = false;
    c->crlf_pending = 0;
    /* simple: an empty body is one CRLF, and a body always ends in one;
     * relaxed: an empty body stays empty, a non-empty one ends in CRLF. */
    if (c->canon == AU_DKIM_CANON_SIMPLE || c->any) {
        put1(c, '\r');
        put1(c, '\n');
    }
    flush_stage(c);
}

int au_dkim_canon_parse(struct au_slice s)
{
    if (au_slice_eq_ci(s, "simple"))
        return AU_DKIM_CANON_SIMPLE;
    if (au_slice_eq_ci(s, "relaxed"))
        return AU_DKIM_CANON_RELAXED;
    return -1;
}

const char *au_dkim_canon_name(enum au_dkim_canon c)
{
    return c == AU_DKIM_CANON_RELAXED ? "relaxed" : "simple";
}
