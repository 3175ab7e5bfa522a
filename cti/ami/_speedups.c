/* The AMI hot path in C: the optional accelerator of cti.ami.protocol, cti.calls.listener and
 * the events' make (cti.events).
 *
 * Types, each doing exactly what a piece of pure Python does (which stays, and is used when
 * this module is not built or HOTLINE_NO_SPEEDUPS is set; tests run both on the same input):
 *
 * Framer  -- AmiProtocol._scan_parts: a buffer cut at its separators, the wanted events made
 *            into Frames straight away (their name read from the first line), unwanted events
 *            skipped without a copy, every other frame handed to Frame() as before.
 * Listener -- cti.calls.listener: a handler's fields read out of a frame (FieldPicker's
 *            answer: the first line starting "Key:", one space after the colon dropped, "" when
 *            absent), the Timestamp: turned into a float exactly as float() does, the handler
 *            called with them.
 * Maker   -- cti.events' written-out ``make`` of an event class: the instance built without a
 *            Python frame (and, its fields all plain values, out of the collector's sight).
 * Dispatcher -- AmiClient._on_frames: each live event frame handed to its listeners, every
 *            other frame to the Python loop's body for one frame (AmiClient._on_frame).
 * Searcher -- cti.ami.fields.searcher: a listener's only_if pattern searched from where its
 *            literal start is (memmem), not tried at every line of the frame.
 * ChannelBook -- cti.channel_calls.ChannelEvents' bookkeeping of channels and bridges
 *            (Newchannel, Hangup, BridgeEnter, BridgeLeave, NewCallerid) and app_queue's join,
 *            ring and answer (QueueCallerJoin, AgentCalled, AgentConnect), the rest left to the
 *            model's Python.
 * QueueDesk -- cti.queues.QueueBoard's publish, join, leave, outcome and its watcher of the
 *            agents' states (the wallboard's counters and their QueueUpdated).
 *
 * And functions: round3, timestamp, untrack_plain, and channel_and_variable (the bridge's look at
 * a queue join: its Channel and HOTLINE_IVR_PATH, cti.bridge.ivr_path_seen).
 *
 * cti/ami/speedups.py says how one of the two implementations is chosen.
 */
#define PY_SSIZE_T_CLEAN
#define _GNU_SOURCE
#include <Python.h>
#include <structmember.h>
#include <string.h>
#include <stdint.h>
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static PyObject *str_event;  /* "event", interned: Frame.kind of an event */
static PyObject *str_kind;
static PyObject *str_raw;
static PyObject *str_unknown;
static PyObject *str_time;

/* The pattern's PAD ([ \t\r\x0b\x0c]): whitespace around a wanted name in its Event: line. */
static inline int
is_pad(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\x0b' || c == '\x0c';
}

/* The first "\r\n" in [p, end), or NULL. */
static inline const char *
find_crlf(const char *p, const char *end)
{
    while (p < end) {
        const char *cr = memchr(p, '\r', (size_t)(end - p));
        if (cr == NULL || cr + 1 >= end)
            return NULL;
        if (cr[1] == '\n')
            return cr;
        p = cr + 1;
    }
    return NULL;
}

/* The first "\r\n\r\n" in [p, end), or NULL. glibc's memmem took 4 instructions a byte for it
 * (a fifth of the bridge's work): here 32 bytes (AVX2, where the processor has it) or 16 (SSE2)
 * are compared at once, and a separator is where a CRLF starts two bytes after another one. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
static int have_avx2;

__attribute__((target("avx2"))) static const char *
find_sep_avx2(const char *p, const char *end)
{
    const __m256i cr = _mm256_set1_epi8('\r'), lf = _mm256_set1_epi8('\n');
    while (end - p >= 33) {
        __m256i at = _mm256_loadu_si256((const __m256i *)p);
        __m256i next = _mm256_loadu_si256((const __m256i *)(p + 1));
        uint32_t crlf = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(_mm256_cmpeq_epi8(at, cr), _mm256_cmpeq_epi8(next, lf)));
        uint32_t sep = crlf & (crlf >> 2) & 0x3fffffffu; /* bits 0-29: their second CRLF is in this block */
        if (sep)
            return p + __builtin_ctz(sep);
        p += 30;
    }
    return p; /* the rest: fewer than 33 bytes */
}
#endif

static const char *
find_sep(const char *p, const char *end)
{
#if defined(HAVE_AVX2_PATH)
    if (have_avx2) {
        p = find_sep_avx2(p, end);
        if (end - p >= 4 && p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
            return p;
    }
#endif
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
    while (end - p >= 17) {
        __m128i at = _mm_loadu_si128((const __m128i *)p);
        __m128i next = _mm_loadu_si128((const __m128i *)(p + 1));
        unsigned crlf = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(at, cr), _mm_cmpeq_epi8(next, lf)));
        unsigned sep = crlf & (crlf >> 2) & 0x3fff; /* bits 0-13: their second CRLF is in this block */
        if (sep)
            return p + __builtin_ctz(sep);
        p += 14;
    }
#endif
    return memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
}

/* ---------------------------------------------------------------- shared by the types */

/* a slot's value, at its offset in an object */
#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

/* The functions a type holding Python objects has alike: its traverse and clear go over the
 * members its T##_OBJECTS(X) list names, and its dealloc clears them. */
#define VISIT_MEMBER(f) Py_VISIT(self->f);
#define CLEAR_MEMBER(f) Py_CLEAR(self->f);
#define GC_FUNCTIONS(T)                                                                              \
    static int T##_traverse(T *self, visitproc visit, void *arg)                                     \
    {                                                                                                \
        T##_OBJECTS(VISIT_MEMBER)                                                                    \
        return 0;                                                                                    \
    }                                                                                                \
    static int T##_clear(T *self)                                                                    \
    {                                                                                                \
        T##_OBJECTS(CLEAR_MEMBER)                                                                    \
        return 0;                                                                                    \
    }                                                                                                \
    static void T##_dealloc(T *self)                                                                 \
    {                                                                                                \
        PyObject_GC_UnTrack(self);                                                                   \
        T##_clear(self);                                                                             \
        Py_TYPE(self)->tp_free((PyObject *)self);                                                    \
    }

/* A type whose objects are called like functions (T##_vectorcall), set up by T##_init: callable
 * once that succeeded (until then, or after a failed __init__, its vectorcall is NULL and
 * PyVectorcall_Call refuses the call instead of running on members half set). */
#define CALLABLE_TYPE(T, doc, ...)                                                                   \
    GC_FUNCTIONS(T)                                                                                  \
    static int T##_init_vectorcall(T *self, PyObject *args, PyObject *kwds)                          \
    {                                                                                                \
        int rc = T##_init(self, args, kwds);                                                         \
        self->vectorcall = rc == 0 ? T##_vectorcall : NULL;                                          \
        return rc;                                                                                   \
    }                                                                                                \
    static PyTypeObject T##Type = {                                                                  \
        PyVarObject_HEAD_INIT(NULL, 0)                                                               \
        .tp_name = "cti.ami._speedups." #T,                                                          \
        .tp_doc = PyDoc_STR(doc),                                                                    \
        .tp_basicsize = sizeof(T),                                                                   \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,             \
        .tp_new = PyType_GenericNew,                                                                 \
        .tp_init = (initproc)T##_init_vectorcall,                                                    \
        .tp_dealloc = (destructor)T##_dealloc,                                                       \
        .tp_traverse = (traverseproc)T##_traverse,                                                   \
        .tp_clear = (inquiry)T##_clear,                                                              \
        .tp_call = PyVectorcall_Call,                                                                \
        .tp_vectorcall_offset = offsetof(T, vectorcall),                                             \
        __VA_ARGS__                                                                                  \
    }

/* ---------------------------------------------------------------- Framer */

typedef struct {
    PyObject_HEAD
    PyTypeObject *frame_type;
    PyObject *names;      /* tuple of bytes: the wanted event names */
    PyObject *strnames;   /* tuple of str: Frame.name of each */
    Py_ssize_t off_raw, off_kind, off_name, off_fields, off_multi;
} Framer;

static int
slot_offset(PyTypeObject *type, const char *attr, Py_ssize_t *offset)
{
    PyObject *descr = PyObject_GetAttrString((PyObject *)type, attr);
    if (descr == NULL)
        return -1;
    if (!Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
        ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX) {
        Py_DECREF(descr);
        PyErr_Format(PyExc_TypeError, "%s.%s is not a slot", type->tp_name, attr);
        return -1;
    }
    *offset = ((PyMemberDescrObject *)descr)->d_member->offset;
    Py_DECREF(descr);
    return 0;
}

static int
Framer_init(Framer *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"frame_type", "names", "strnames", NULL};
    PyObject *type, *names, *strnames;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!", kwlist, &PyType_Type, &type, &PyTuple_Type,
                                     &names, &PyTuple_Type, &strnames))
        return -1;
    if (PyTuple_GET_SIZE(names) != PyTuple_GET_SIZE(strnames)) {
        PyErr_SetString(PyExc_ValueError, "names and strnames differ in length");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *n = PyTuple_GET_ITEM(names, i);
        if (!PyBytes_Check(n) || !PyUnicode_Check(PyTuple_GET_ITEM(strnames, i))) {
            PyErr_SetString(PyExc_TypeError, "names are bytes, strnames str");
            return -1;
        }
        const char *s = PyBytes_AS_STRING(n);
        Py_ssize_t len = PyBytes_GET_SIZE(n);
        /* A name the comparison after stripping would not find as the pattern does. */
        if (len == 0 || is_pad(s[0]) || is_pad(s[len - 1]) || memchr(s, '\n', (size_t)len) != NULL) {
            PyErr_SetString(PyExc_ValueError, "an event name the framer cannot compare");
            return -1;
        }
    }
    PyTypeObject *ftype = (PyTypeObject *)type;
    if (slot_offset(ftype, "raw", &self->off_raw) < 0 || slot_offset(ftype, "kind", &self->off_kind) < 0 ||
        slot_offset(ftype, "name", &self->off_name) < 0 ||
        slot_offset(ftype, "_fields", &self->off_fields) < 0 ||
        slot_offset(ftype, "_multi", &self->off_multi) < 0)
        return -1;
    Py_XSETREF(self->frame_type, (PyTypeObject *)Py_NewRef(ftype));
    Py_XSETREF(self->names, Py_NewRef(names));
    Py_XSETREF(self->strnames, Py_NewRef(strnames));
    return 0;
}

static void
Framer_dealloc(Framer *self)
{
    Py_XDECREF(self->frame_type);
    Py_XDECREF(self->names);
    Py_XDECREF(self->strnames);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The index of the wanted name in [s, e), -1 when none. */
static Py_ssize_t
wanted_index(Framer *self, const char *s, const char *e)
{
    Py_ssize_t len = e - s;
    PyObject *names = self->names;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(names); i++) {
        PyObject *n = PyTuple_GET_ITEM(names, i);
        if (PyBytes_GET_SIZE(n) == len && memcmp(PyBytes_AS_STRING(n), s, (size_t)len) == 0)
            return i;
    }
    return -1;
}

/* A part starting "Event: ": the index of its wanted name, -1 when it is dropped. As the pattern
 * ``Event: PAD name PAD (\r\n|\Z)`` matched at the part's start (PAD: the whitespace of is_pad; a
 * name holds no line feed, so the line ends at the first CRLF). */
static Py_ssize_t
event_part(Framer *self, const char *p, const char *end)
{
    const char *crlf = find_crlf(p + 7, end);
    if (crlf == NULL) /* the frame is only its Event: line: kept, as the pattern's \Z */
        crlf = end;
    const char *s = p + 7, *e = crlf;
    while (s < e && is_pad(*s))
        s++;
    while (e > s && is_pad(e[-1]))
        e--;
    return wanted_index(self, s, e);
}

static int
new_event_frame(Framer *self, PyObject *out, const char *p, Py_ssize_t len, Py_ssize_t index)
{
    PyObject *raw = PyBytes_FromStringAndSize(p, len);
    if (raw == NULL)
        return -1;
    PyObject *frame = self->frame_type->tp_alloc(self->frame_type, 0);
    if (frame == NULL) {
        Py_DECREF(raw);
        return -1;
    }
    PyObject *name = PyTuple_GET_ITEM(self->strnames, index);
    SLOT(frame, self->off_raw) = raw;
    Py_INCREF(str_event);
    SLOT(frame, self->off_kind) = str_event;
    Py_INCREF(name);
    SLOT(frame, self->off_name) = name;
    Py_INCREF(Py_None);
    SLOT(frame, self->off_fields) = Py_None;
    Py_INCREF(Py_None);
    SLOT(frame, self->off_multi) = Py_None;
    int rc = PyList_Append(out, frame);
    Py_DECREF(frame);
    return rc;
}

/* 1: appended (or found malformed), 0: old-style command output (the caller reads the buffer
 * again), -1: error. */
static int
other_part(Framer *self, PyObject *out, PyObject *malformed, const char *p, Py_ssize_t len)
{
    static const char follows[] = "Response: Follows";
    static const char end_command[] = "--END COMMAND--";
    if (len >= (Py_ssize_t)(sizeof(follows) - 1) && memcmp(p, follows, sizeof(follows) - 1) == 0 &&
        memmem(p, (size_t)len, end_command, sizeof(end_command) - 1) == NULL)
        return 0;
    PyObject *raw = PyBytes_FromStringAndSize(p, len);
    if (raw == NULL)
        return -1;
    PyObject *frame = PyObject_CallOneArg((PyObject *)self->frame_type, raw);
    if (frame == NULL) {
        Py_DECREF(raw);
        return -1;
    }
    PyObject *kind = PyObject_GetAttr(frame, str_kind);
    if (kind == NULL) {
        Py_DECREF(raw);
        Py_DECREF(frame);
        return -1;
    }
    int unknown = PyUnicode_Check(kind) && PyUnicode_Compare(kind, str_unknown) == 0;
    Py_DECREF(kind);
    int rc = PyList_Append(unknown ? malformed : out, unknown ? raw : frame);
    Py_DECREF(raw);
    Py_DECREF(frame);
    return rc < 0 ? -1 : 1;
}

PyDoc_STRVAR(Framer_scan_doc,
"scan(buf, end, out) -> list | None\n\n"
"AmiProtocol._scan_parts: the frames of buf[4:end-4] (cut at every separator) into out: the\n"
"wanted events, and every part that is no event nor empty. Returns the malformed parts (no\n"
"frame kind), or None when old-style command output comes (out then holds part of the frames).");

static PyObject *
Framer_scan(Framer *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyBytes_Check(args[0]) || !PyLong_Check(args[1]) || !PyList_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "scan(buf: bytes, end: int, out: list)");
        return NULL;
    }
    PyObject *buf = args[0], *out = args[2];
    Py_ssize_t end = PyLong_AsSsize_t(args[1]);
    if (end == -1 && PyErr_Occurred())
        return NULL;
    if (end < 0 || end > PyBytes_GET_SIZE(buf)) {
        PyErr_SetString(PyExc_ValueError, "end out of the buffer");
        return NULL;
    }
    PyObject *malformed = PyList_New(0);
    if (malformed == NULL || end < 8)  /* buf[4:end-4] is empty: no part */
        return malformed;
    const char *base = PyBytes_AS_STRING(buf);
    const char *p = base + 4, *stop = base + end - 4;
    for (;;) {
        const char *sep = find_sep(p, stop);
        const char *e = sep != NULL ? sep : stop;
        Py_ssize_t len = e - p;
        if (len >= 7 && memcmp(p, "Event: ", 7) == 0) {
            Py_ssize_t index = event_part(self, p, e);
            if (index >= 0 && new_event_frame(self, out, p, len, index) < 0)
                goto error;
        }
        else if (len > 0) {
            int rc = other_part(self, out, malformed, p, len);
            if (rc < 0)
                goto error;
            if (rc == 0) {
                Py_DECREF(malformed);
                Py_RETURN_NONE;
            }
        }
        if (sep == NULL)
            break;
        p = sep + 4;
    }
    return malformed;
error:
    Py_DECREF(malformed);
    return NULL;
}

static PyMethodDef Framer_methods[] = {
    {"scan", (PyCFunction)(void (*)(void))Framer_scan, METH_FASTCALL, Framer_scan_doc},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FramerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cti.ami._speedups.Framer",
    .tp_doc = PyDoc_STR("Framer(frame_type, names, strnames): AmiProtocol's framing of wanted events"),
    .tp_basicsize = sizeof(Framer),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Framer_init,
    .tp_dealloc = (destructor)Framer_dealloc,
    .tp_methods = Framer_methods,
};

/* ---------------------------------------------------------------- Listener */

#define MAX_KEYS 64

typedef struct {
    PyObject_HEAD
    PyObject *keys;      /* tuple of str, "Timestamp" first */
    PyObject *handler;
    PyObject *only_if;   /* callable(raw) -> None when the handler is not called, or None */
    PyObject *clock;     /* the time module: time.time() when the Timestamp says nothing */
    PyObject *name;
    Py_ssize_t nkeys;
    const char *key[MAX_KEYS];
    Py_ssize_t keylen[MAX_KEYS];
    uint64_t first[256]; /* first byte of a line -> the keys starting with it */
    PyTypeObject *raw_type;  /* the frames' type seen last, whose raw is a slot at raw_offset */
    Py_ssize_t raw_offset;
    vectorcallfunc vectorcall;
} Listener;
#define Listener_OBJECTS(X) X(keys) X(handler) X(only_if) X(clock) X(name) X(raw_type)

static int
Listener_init(Listener *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"keys", "handler", "only_if", "clock", "name", NULL};
    PyObject *keys, *handler, *only_if, *clock, *name;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOOU", kwlist, &PyTuple_Type, &keys, &handler,
                                     &only_if, &clock, &name))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(keys);
    if (n < 1 || n > MAX_KEYS) {
        PyErr_Format(PyExc_ValueError, "a listener reads 1 to %d fields", MAX_KEYS);
        return -1;
    }
    memset(self->first, 0, sizeof(self->first));
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *k = PyTuple_GET_ITEM(keys, i);
        if (!PyUnicode_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "keys are str");
            return -1;
        }
        Py_ssize_t len;
        const char *s = PyUnicode_AsUTF8AndSize(k, &len);
        if (s == NULL)
            return -1;
        if (len == 0 || memchr(s, ':', (size_t)len) || memchr(s, '\r', (size_t)len) ||
            memchr(s, '\n', (size_t)len)) {
            PyErr_SetString(PyExc_ValueError, "a key the byte search cannot find");
            return -1;
        }
        self->key[i] = s; /* kept alive by the tuple, which holds the str */
        self->keylen[i] = len;
        self->first[(unsigned char)s[0]] |= (uint64_t)1 << i;
    }
    Py_XSETREF(self->keys, Py_NewRef(keys));
    Py_XSETREF(self->handler, Py_NewRef(handler));
    Py_XSETREF(self->only_if, Py_NewRef(only_if));
    Py_XSETREF(self->clock, Py_NewRef(clock));
    Py_XSETREF(self->name, Py_NewRef(name));
    self->nkeys = n;
    return 0;
}

/* float(text) of an ASCII "digits[.digits]" whose digits make an integer below 2**53: that integer
 * divided by a power of ten, both exact doubles, so the quotient is the correctly rounded value,
 * as float() gives it. 0 when the text is not of that form (the caller then asks float()). */
static const double POW10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                               1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int
exact_decimal(const char *s, Py_ssize_t len, double *result)
{
    uint64_t n = 0;
    Py_ssize_t digits = 0, frac = -1;
    for (Py_ssize_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9') {
            if (++digits > 19)
                return 0;
            n = n * 10 + (uint64_t)(c - '0');
            if (frac >= 0)
                frac++;
        }
        else if (c == '.' && frac < 0 && digits > 0)
            frac = 0;
        else
            return 0;
    }
    if (digits == 0 || n > ((uint64_t)1 << 53) || frac > 22)
        return 0;
    *result = frac > 0 ? (double)n / POW10[frac] : (double)n;
    return 1;
}

/* A field's value as text: PyUnicode_DecodeUTF8(s, len, "replace"). The same values come again
 * and again (a call's Linkedid in most of its events, its channels' names and Uniqueids, queues,
 * members, contexts, caller IDs), so a short ASCII value is kept in a small table by its bytes and
 * the same str handed out again: no new str to build and free, and its hash, once computed by a
 * dict, is not computed again. An equal str either way (str is immutable). */
#define VALUES 4096        /* a power of two */
#define VALUE_MAX 64       /* longer values are decoded each time */
static PyObject *values[VALUES];

static PyObject *
value_text(const char *s, Py_ssize_t len)
{
    if (len == 0 || len > VALUE_MAX)
        return PyUnicode_DecodeUTF8(s, len, "replace");
    uint64_t h = (uint64_t)len * 0x9E3779B97F4A7C15ull, high = 0;
    Py_ssize_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        high |= w;
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, (size_t)(len - i));
        high |= w;
        h = (h ^ w) * 0x100000001B3ull;
        h ^= h >> 29;
    }
    if (high & 0x8080808080808080ull)  /* not ASCII: decoded (and "replace"d) each time */
        return PyUnicode_DecodeUTF8(s, len, "replace");
    h ^= h >> 32;
    PyObject **slot = &values[h & (VALUES - 1)];
    PyObject *known = *slot;
    if (known != NULL && PyUnicode_GET_LENGTH(known) == len &&
        memcmp(PyUnicode_1BYTE_DATA(known), s, (size_t)len) == 0)
        return Py_NewRef(known);
    PyObject *text = PyUnicode_DecodeUTF8(s, len, "replace");
    if (text != NULL && PyUnicode_IS_COMPACT_ASCII(text))
        Py_XSETREF(*slot, Py_NewRef(text));
    return text;
}

static PyObject *
Listener_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Listener *self = (Listener *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        PyErr_SetString(PyExc_TypeError, "a listener takes one frame");
        return NULL;
    }
    /* frame.raw: read straight from its slot for the type seen last (a Frame), else getattr */
    PyObject *frame = args[0], *raw = NULL;
    if (Py_TYPE(frame) == self->raw_type)
        raw = *(PyObject **)((char *)frame + self->raw_offset);
    if (raw != NULL) {
        Py_INCREF(raw);
    }
    else {
        raw = PyObject_GetAttr(frame, str_raw);
        if (raw == NULL)
            return NULL;
        Py_ssize_t offset;
        if (Py_TYPE(frame) != self->raw_type && Py_TYPE(frame)->tp_getattro == PyObject_GenericGetAttr) {
            if (slot_offset(Py_TYPE(frame), "raw", &offset) == 0) {
                Py_XSETREF(self->raw_type, (PyTypeObject *)Py_NewRef(Py_TYPE(frame)));
                self->raw_offset = offset;
            }
            else {
                PyErr_Clear();
            }
        }
    }
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "frame.raw is not bytes");
        Py_DECREF(raw);
        return NULL;
    }
    if (self->only_if != Py_None) {
        PyObject *found = PyObject_CallOneArg(self->only_if, raw);
        if (found == NULL) {
            Py_DECREF(raw);
            return NULL;
        }
        int skip = found == Py_None;
        Py_DECREF(found);
        if (skip) {
            Py_DECREF(raw);
            Py_RETURN_NONE;
        }
    }
    const char *base = PyBytes_AS_STRING(raw), *end = base + PyBytes_GET_SIZE(raw);
    Py_ssize_t nkeys = self->nkeys;
    const char *start[MAX_KEYS], *stop[MAX_KEYS];
    uint64_t missing = nkeys == 64 ? ~(uint64_t)0 : (((uint64_t)1 << nkeys) - 1);
    /* Line by line ("\r\n" ends one), each key's first line. */
    const char *line = base;
    while (missing) {
        const char *crlf = find_crlf(line, end);
        const char *line_end = crlf != NULL ? crlf : end;
        if (line < line_end) {
            uint64_t candidates = self->first[(unsigned char)*line] & missing;
            while (candidates) {
                int i = __builtin_ctzll(candidates);
                candidates &= candidates - 1;
                Py_ssize_t klen = self->keylen[i];
                if (line_end - line > klen && line[klen] == ':' && memcmp(line, self->key[i], (size_t)klen) == 0) {
                    const char *v = line + klen + 1;
                    if (v < line_end && *v == ' ')
                        v++;
                    start[i] = v;
                    stop[i] = line_end;
                    missing &= ~((uint64_t)1 << i);
                }
            }
        }
        if (crlf == NULL)
            break;
        line = crlf + 2;
    }
    /* The handler's arguments, with a slot before them (PY_VECTORCALL_ARGUMENTS_OFFSET). */
    PyObject *stack[MAX_KEYS + 1];
    PyObject **call = stack + 1;
    Py_ssize_t made = 0;
    PyObject *result = NULL;
    /* call[0]: the Timestamp's float, now when it is 0 or no number. Its text is only made for
     * float() when the exact path does not read it. */
    double at;
    if (!(missing & 1) && exact_decimal(start[0], stop[0] - start[0], &at)) {
    }
    else {
        PyObject *text = (missing & 1) ? PyUnicode_New(0, 0)
                                       : PyUnicode_DecodeUTF8(start[0], stop[0] - start[0], "replace");
        if (text == NULL)
            goto done;
        PyObject *number = PyFloat_FromString(text);
        Py_DECREF(text);
        if (number == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError))
                goto done;
            PyErr_Clear();
            at = 0.0;
        }
        else {
            at = PyFloat_AS_DOUBLE(number);
            Py_DECREF(number);
        }
    }
    if (at == 0.0)
        call[0] = PyObject_CallMethodNoArgs(self->clock, str_time);
    else
        call[0] = PyFloat_FromDouble(at);
    if (call[0] == NULL)
        goto done;
    made = 1;
    for (Py_ssize_t i = 1; i < nkeys; i++, made++) {
        if (missing & ((uint64_t)1 << i))
            call[i] = PyUnicode_New(0, 0);
        else
            call[i] = value_text(start[i], stop[i] - start[i]);
        if (call[i] == NULL)
            goto done;
    }
    result = PyObject_Vectorcall(self->handler, call, (size_t)nkeys | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
    if (result != NULL)
        Py_SETREF(result, Py_NewRef(Py_None));
done:
    for (Py_ssize_t i = 0; i < made; i++)
        Py_DECREF(call[i]);
    Py_DECREF(raw);
    return result;
}

static PyObject *
Listener_repr(Listener *self)
{
    return PyUnicode_FromFormat("<cti.ami._speedups.Listener %U>", self->name);
}

static PyObject *
Listener_get_name(Listener *self, void *closure)
{
    return Py_NewRef(self->name);
}

static PyGetSetDef Listener_getset[] = {
    {"__name__", (getter)Listener_get_name, NULL, NULL, NULL},
    {"__qualname__", (getter)Listener_get_name, NULL, NULL, NULL},
    {NULL},
};

static PyMemberDef Listener_members[] = {
    {"keys", T_OBJECT, offsetof(Listener, keys), READONLY, NULL},
    {"handler", T_OBJECT, offsetof(Listener, handler), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Listener, vectorcall), READONLY, NULL},
    {NULL},
};

CALLABLE_TYPE(Listener, "Listener(keys, handler, only_if, clock, name): cti.calls.listener in C",
              .tp_repr = (reprfunc)Listener_repr, .tp_getset = Listener_getset, .tp_members = Listener_members);

/* ---------------------------------------------------------------- Maker */

/* An event class's ``make`` (cti.events.event): Cls.make(**fields) builds the instance as the
 * written-out Python function does (object.__new__, then each field into its __dict__ in the
 * class's order, its default or its default_factory's value when not given, then
 * __post_init__), without a Python frame. Any call it does not take as is (a positional
 * argument, an unknown, repeated or missing keyword) goes to that Python function, which
 * raises what it raises.
 *
 * A dataclass with slots (the call model's Call and Channel) is built the same way, each field
 * stored in its slot, as its __init__ stores it there: Cls(**fields) without the __init__'s Python
 * frame. The slots' offsets are learnt with the class's version tag; a class changed since (an
 * attribute set on it) is called instead (``fallback``: the class). */

#define MAX_FIELDS 64

typedef struct {
    PyObject_HEAD
    PyTypeObject *cls;
    PyObject *names;     /* tuple of str: the fields in order */
    PyObject *defaults;  /* tuple: each field's default, or `missing` */
    PyObject *factories; /* tuple: each field's default_factory, or `missing` */
    PyObject *missing;   /* dataclasses.MISSING */
    PyObject *fallback;  /* the Python make (a slotted class: the class) */
    int post_init;
    int slotted;          /* the fields are slots, at these offsets, while the class has this version */
    unsigned int version;
    Py_ssize_t offsets[MAX_FIELDS];
    vectorcallfunc vectorcall;
} Maker;
#define Maker_OBJECTS(X) X(cls) X(names) X(defaults) X(factories) X(missing) X(fallback)

static PyObject *empty_tuple;
static PyObject *str_post_init;

/* Whether ``value`` can be in no reference cycle: of a type the collector does not watch (str,
 * int, float, None …), or a tuple of such, which is untracked here as the collector would untrack
 * it at its first look (an untracked tuple holds nothing else: the collector's own rule). */
static int
acyclic(PyObject *value, int depth)
{
    if (!PyType_IS_GC(Py_TYPE(value)))
        return 1;
    if (!PyTuple_CheckExact(value) || depth > 3)
        return 0;
    if (!PyObject_GC_IsTracked(value))
        return 1;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(value); i++)
        if (!acyclic(PyTuple_GET_ITEM(value, i), depth + 1))
            return 0;
    PyObject_GC_UnTrack(value);
    return 1;
}

/* a slotted class's instance, each field stored in its slot (``given``: the keywords' values by
 * field, NULL where not given); the class called when it was changed since its slots were learnt */
static PyObject *
make_slotted(Maker *self, PyObject **given)
{
    PyTypeObject *cls = self->cls;
    if (!(cls->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG) || cls->tp_version_tag != self->version) {
        PyObject *kwargs = PyDict_New();
        for (Py_ssize_t i = 0; kwargs != NULL && i < PyTuple_GET_SIZE(self->names); i++)
            if (given[i] != NULL && PyDict_SetItem(kwargs, PyTuple_GET_ITEM(self->names, i), given[i]) < 0)
                Py_CLEAR(kwargs);
        PyObject *obj = kwargs == NULL ? NULL : PyObject_Call(self->fallback, empty_tuple, kwargs);
        Py_XDECREF(kwargs);
        return obj;
    }
    PyObject *obj = PyBaseObject_Type.tp_new(cls, empty_tuple, NULL);
    if (obj == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(self->names); i++) {
        PyObject *value = given[i];
        if (value != NULL || (value = PyTuple_GET_ITEM(self->defaults, i)) != self->missing)
            Py_INCREF(value);
        else if ((value = PyObject_CallNoArgs(PyTuple_GET_ITEM(self->factories, i))) == NULL) {
            Py_DECREF(obj);
            return NULL;
        }
        Py_XSETREF(SLOT(obj, self->offsets[i]), value);
    }
    if (self->post_init) {
        PyObject *done = PyObject_CallMethodNoArgs(obj, str_post_init);
        if (done == NULL) {
            Py_DECREF(obj);
            return NULL;
        }
        Py_DECREF(done);
    }
    return obj;
}

static PyObject *
Maker_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Maker *self = (Maker *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nfields = PyTuple_GET_SIZE(self->names);
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *given[MAX_FIELDS] = {NULL};
    if (nargs != 0)
        goto fallback;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t i = 0;
        while (i < nfields && PyTuple_GET_ITEM(self->names, i) != key)
            i++;
        if (i == nfields) { /* not the same object: compare the text */
            for (i = 0; i < nfields; i++) {
                int eq = PyUnicode_Compare(PyTuple_GET_ITEM(self->names, i), key);
                if (eq == -1 && PyErr_Occurred())
                    return NULL;
                if (eq == 0)
                    break;
            }
        }
        if (i == nfields || given[i] != NULL)
            goto fallback;
        given[i] = args[k];
    }
    for (Py_ssize_t i = 0; i < nfields; i++)
        if (given[i] == NULL && PyTuple_GET_ITEM(self->defaults, i) == self->missing &&
            PyTuple_GET_ITEM(self->factories, i) == self->missing)
            goto fallback; /* a required field missing */
    if (self->slotted)
        return make_slotted(self, given);
    PyObject *obj = PyBaseObject_Type.tp_new(self->cls, empty_tuple, NULL);
    if (obj == NULL)
        return NULL;
    PyObject *dict = PyObject_GenericGetDict(obj, NULL);
    if (dict == NULL)
        goto error;
    /* An event whose fields are all acyclic is taken out of the collector's sight: it can be in no
     * cycle either (frozen: only the bus writes its seq and ts, ints; one with a __post_init__ is
     * left alone), and the bridge keeps 100,000 of them in the bus's history, which every full
     * collection walked (an instance, its __dict__ and its tuples each). An event holding anything
     * else (a customer's dict, a list) stays tracked. Each value is looked at as it is filed, its
     * tuples untracked first so that the dict stays untracked too. */
    int plain = !self->post_init;
    for (Py_ssize_t i = 0; i < nfields; i++) {
        PyObject *value = given[i];
        int rc;
        if (value != NULL || (value = PyTuple_GET_ITEM(self->defaults, i)) != self->missing) {
            plain = plain && acyclic(value, 0);
            rc = PyDict_SetItem(dict, PyTuple_GET_ITEM(self->names, i), value);
        }
        else {
            value = PyObject_CallNoArgs(PyTuple_GET_ITEM(self->factories, i));
            if (value == NULL) {
                Py_DECREF(dict);
                goto error;
            }
            plain = plain && acyclic(value, 0);
            rc = PyDict_SetItem(dict, PyTuple_GET_ITEM(self->names, i), value);
            Py_DECREF(value);
        }
        if (rc < 0) {
            Py_DECREF(dict);
            goto error;
        }
    }
    if (self->post_init) {
        PyObject *done = PyObject_CallMethodNoArgs(obj, str_post_init);
        if (done == NULL) {
            Py_DECREF(dict);
            goto error;
        }
        Py_DECREF(done);
    }
    if (plain) {
        if (PyObject_GC_IsTracked(dict))
            PyObject_GC_UnTrack(dict);
        PyObject_GC_UnTrack(obj);
    }
    Py_DECREF(dict);
    return obj;
error:
    Py_DECREF(obj);
    return NULL;
fallback:
    return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
}

static int
Maker_init(Maker *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"cls", "names", "defaults", "factories", "missing", "post_init", "fallback", NULL};
    PyObject *cls, *names, *defaults, *factories, *missing, *fallback;
    int post_init;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!O!O!O!OpO", kwlist, &PyType_Type, &cls, &PyTuple_Type, &names,
                                     &PyTuple_Type, &defaults, &PyTuple_Type, &factories, &missing, &post_init,
                                     &fallback))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    if (n > MAX_FIELDS || PyTuple_GET_SIZE(defaults) != n || PyTuple_GET_SIZE(factories) != n) {
        PyErr_Format(PyExc_ValueError, "a maker takes up to %d fields, a default and a factory each", MAX_FIELDS);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
        if (!PyUnicode_CheckExact(PyTuple_GET_ITEM(names, i))) {
            PyErr_SetString(PyExc_TypeError, "field names are str");
            return -1;
        }
    PyTypeObject *type = (PyTypeObject *)cls;
    int slotted = 0;
    if (type->tp_new == PyBaseObject_Type.tp_new && !(type->tp_flags & Py_TPFLAGS_MANAGED_DICT) &&
        type->tp_dictoffset == 0 && type->tp_setattro == PyObject_GenericSetAttr) {
        /* a class with slots and no __dict__: each field a writable object slot, read by getattr there */
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *descr = _PyType_Lookup(type, PyTuple_GET_ITEM(names, i)); /* borrowed */
            if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
                ((PyMemberDescrObject *)descr)->d_member->type != T_OBJECT_EX ||
                (((PyMemberDescrObject *)descr)->d_member->flags & READONLY)) {
                PyErr_Format(PyExc_TypeError, "%s.%U is not a slot", type->tp_name, PyTuple_GET_ITEM(names, i));
                return -1;
            }
            self->offsets[i] = ((PyMemberDescrObject *)descr)->d_member->offset;
        }
        if (!(type->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG)) {
            PyErr_Format(PyExc_TypeError, "%s has no version tag", type->tp_name);
            return -1;
        }
        self->version = type->tp_version_tag;
        slotted = 1;
    }
    else if (!(type->tp_flags & Py_TPFLAGS_MANAGED_DICT) || type->tp_new != PyBaseObject_Type.tp_new) {
        PyErr_SetString(PyExc_TypeError, "a maker builds instances of plain classes or classes with slots only");
        return -1;
    }
    self->slotted = slotted;
    Py_XSETREF(self->cls, (PyTypeObject *)Py_NewRef(cls));
    Py_XSETREF(self->names, Py_NewRef(names));
    Py_XSETREF(self->defaults, Py_NewRef(defaults));
    Py_XSETREF(self->factories, Py_NewRef(factories));
    Py_XSETREF(self->missing, Py_NewRef(missing));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    self->post_init = post_init;
    return 0;
}

static PyObject *
Maker_repr(Maker *self)
{
    if (self->cls == NULL)
        return PyUnicode_FromString("<cti.ami._speedups.Maker>");
    return PyUnicode_FromFormat("<cti.ami._speedups.Maker of %s>", self->cls->tp_name);
}

static PyMemberDef Maker_members[] = {
    {"fallback", T_OBJECT, offsetof(Maker, fallback), READONLY, NULL},
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Maker, vectorcall), READONLY, NULL},
    {NULL},
};

CALLABLE_TYPE(Maker, "Maker(cls, names, defaults, factories, missing, post_init, fallback): an event's make",
              .tp_repr = (reprfunc)Maker_repr, .tp_members = Maker_members);


/* ---------------------------------------------------------------- Dispatcher */

/* AmiClient._on_frames for the frames it hands to listeners: an event frame (Frame.kind
 * "event"), while the client is live and no list in progress claims it, is handed to each of its
 * listeners (``_targets[name]``, else ``_any_targets``) in turn; a listener's exception (an
 * Exception) goes to ``failed(cb, frame, exc)`` and the next listener runs; a result other than
 * None goes to ``awaited(result)``. Every other frame goes to ``other(frame)``: the Python loop's
 * body for one frame. The client's ``_live``, ``_targets`` and ``_any_targets`` are read for each
 * frame, as the Python loop reads them (a listener may subscribe another, or drop the link): the
 * client writes each of them to the dispatcher's ``live``, ``targets`` and ``any_targets`` too,
 * whenever it is set (AmiClient.__setattr__); until then every frame goes to ``other``. */
typedef struct {
    PyObject_HEAD
    PyObject *client, *lists, *other, *failed, *awaited;
    PyObject *live, *targets, *any_targets;
    PyTypeObject *frame_type;
    Py_ssize_t off_raw, off_kind, off_name;
    vectorcallfunc vectorcall;
} Dispatcher;
#define Dispatcher_OBJECTS(X) \
    X(client) X(lists) X(frame_type) X(other) X(failed) X(awaited) X(live) X(targets) X(any_targets)


static int
Dispatcher_init(Dispatcher *self, PyObject *args, PyObject *kwds)
{
    PyObject *client, *lists, *frame_type, *other, *failed, *awaited;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Dispatcher takes no keywords");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "OO!O!OOO:Dispatcher", &client, &PyDict_Type, &lists, &PyType_Type,
                          &frame_type, &other, &failed, &awaited))
        return -1;
    Py_ssize_t off_raw, off_kind, off_name;
    if (slot_offset((PyTypeObject *)frame_type, "raw", &off_raw) < 0 ||
        slot_offset((PyTypeObject *)frame_type, "kind", &off_kind) < 0 ||
        slot_offset((PyTypeObject *)frame_type, "name", &off_name) < 0)
        return -1;
    Py_XSETREF(self->client, Py_NewRef(client));
    Py_XSETREF(self->lists, Py_NewRef(lists));
    Py_XSETREF(self->frame_type, (PyTypeObject *)Py_NewRef(frame_type));
    Py_XSETREF(self->other, Py_NewRef(other));
    Py_XSETREF(self->failed, Py_NewRef(failed));
    Py_XSETREF(self->awaited, Py_NewRef(awaited));
    self->off_raw = off_raw;
    self->off_kind = off_kind;
    self->off_name = off_name;
    return 0;
}

/* Whether ``frame`` goes to the listeners here: 1 yes, 0 no (to ``other``), -1 an error. */
static int
plain_event(Dispatcher *self, PyObject *frame)
{
    if (Py_TYPE(frame) != self->frame_type)
        return 0;
    PyObject *kind = SLOT(frame, self->off_kind);
    if (kind == NULL || !PyUnicode_CheckExact(kind))
        return 0;
    if (kind != str_event && !_PyUnicode_Equal(kind, str_event))
        return 0;
    if (PyDict_GET_SIZE(self->lists)) {
        PyObject *raw = SLOT(frame, self->off_raw);
        if (raw == NULL || !PyBytes_CheckExact(raw))
            return 0;
        if (memmem(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), "ActionID: ", 10) != NULL)
            return 0;
    }
    PyObject *name = SLOT(frame, self->off_name);
    if (name == NULL || !PyUnicode_CheckExact(name))
        return 0;
    if (self->live == NULL || self->targets == NULL || !PyDict_CheckExact(self->targets) ||
        self->any_targets == NULL)
        return 0;
    PyObject *live = Py_NewRef(self->live);
    int truth = PyObject_IsTrue(live);
    Py_DECREF(live);
    return truth;
}

static int
dispatch_one(Dispatcher *self, PyObject *frame)
{
    PyObject *targets = self->targets, *cbs;  /* a dict: plain_event said so */
    Py_INCREF(targets);
    cbs = PyDict_GetItemWithError(targets, SLOT(frame, self->off_name));
    Py_XINCREF(cbs);
    Py_DECREF(targets);
    if (cbs == NULL) {
        if (PyErr_Occurred())
            return -1;
        if (self->any_targets == NULL)  /* cleared meanwhile: the Python body reads the client */
            goto other;
        cbs = Py_NewRef(self->any_targets);
    }
    if (!PyTuple_CheckExact(cbs)) {
        Py_DECREF(cbs);
        goto other;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cbs); i++) {
        PyObject *cb = PyTuple_GET_ITEM(cbs, i);
        PyObject *result = PyObject_Vectorcall(cb, &frame, 1, NULL);
        if (result == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_Exception))
                goto error;
            PyObject *type, *value, *tb;
            PyErr_Fetch(&type, &value, &tb);
            PyErr_NormalizeException(&type, &value, &tb);
            if (tb != NULL)
                PyException_SetTraceback(value, tb);
            PyObject *args[3] = {cb, frame, value};
            PyObject *r = PyObject_Vectorcall(self->failed, args, 3, NULL);
            Py_XDECREF(type);
            Py_XDECREF(value);
            Py_XDECREF(tb);
            if (r == NULL)
                goto error;
            Py_DECREF(r);
            continue;
        }
        if (result != Py_None) {
            PyObject *r = PyObject_CallOneArg(self->awaited, result);
            Py_DECREF(result);
            if (r == NULL)
                goto error;
            Py_DECREF(r);
        } else {
            Py_DECREF(result);
        }
    }
    Py_DECREF(cbs);
    return 0;
error:
    Py_DECREF(cbs);
    return -1;
other:;
    PyObject *r = PyObject_CallOneArg(self->other, frame);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

static PyObject *
Dispatcher_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Dispatcher *self = (Dispatcher *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "Dispatcher(frames) takes the list of frames");
        return NULL;
    }
    PyObject *frames = PySequence_Fast(args[0], "Dispatcher(frames): frames must be iterable");
    if (frames == NULL)
        return NULL;
    /* the size read at each step, as a list's iterator does */
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(frames); i++) {
        PyObject *frame = PySequence_Fast_GET_ITEM(frames, i);
        Py_INCREF(frame);
        int plain = plain_event(self, frame);
        int failed;
        if (plain < 0) {
            failed = 1;
        } else if (plain) {
            failed = dispatch_one(self, frame) < 0;
        } else {
            PyObject *r = PyObject_CallOneArg(self->other, frame);
            Py_XDECREF(r);
            failed = r == NULL;
        }
        Py_DECREF(frame);
        if (failed) {
            Py_DECREF(frames);
            return NULL;
        }
    }
    Py_DECREF(frames);
    Py_RETURN_NONE;
}

static PyMemberDef Dispatcher_members[] = {
    {"live", T_OBJECT, offsetof(Dispatcher, live), 0, "the client's _live"},
    {"targets", T_OBJECT, offsetof(Dispatcher, targets), 0, "the client's _targets"},
    {"any_targets", T_OBJECT, offsetof(Dispatcher, any_targets), 0, "the client's _any_targets"},
    {NULL},
};

CALLABLE_TYPE(Dispatcher, "Dispatcher(client, lists, Frame, other, failed, awaited): AmiClient._on_frames",
              .tp_members = Dispatcher_members);


/* ---------------------------------------------------------------- Searcher */

/* cti.ami.fields.searcher: pattern.search(raw) for a pattern whose every match starts with
 * ``literal``: the literal found with memmem, ``match(raw, at)`` tried at each place it is, from
 * the left; the first match, or None. */
typedef struct {
    PyObject_HEAD
    PyObject *literal;  /* bytes */
    PyObject *match;    /* the compiled pattern's match */
    vectorcallfunc vectorcall;
} Searcher;
#define Searcher_OBJECTS(X) X(literal) X(match)

static int
Searcher_init(Searcher *self, PyObject *args, PyObject *kwds)
{
    PyObject *literal, *match;
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        PyErr_SetString(PyExc_TypeError, "Searcher takes no keywords");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "SO:Searcher", &literal, &match))
        return -1;
    if (PyBytes_GET_SIZE(literal) == 0) {
        PyErr_SetString(PyExc_ValueError, "a Searcher looks for a literal of one byte at least");
        return -1;
    }
    Py_XSETREF(self->literal, Py_NewRef(literal));
    Py_XSETREF(self->match, Py_NewRef(match));
    return 0;
}

static PyObject *
Searcher_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Searcher *self = (Searcher *)callable;
    if (PyVectorcall_NARGS(nargsf) != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames))) {
        PyErr_SetString(PyExc_TypeError, "a Searcher takes the raw frame");
        return NULL;
    }
    PyObject *raw = args[0];
    if (!PyBytes_Check(raw)) {
        PyErr_SetString(PyExc_TypeError, "a Searcher searches bytes");
        return NULL;
    }
    const char *base = PyBytes_AS_STRING(raw);
    Py_ssize_t size = PyBytes_GET_SIZE(raw);
    const char *lit = PyBytes_AS_STRING(self->literal);
    Py_ssize_t litlen = PyBytes_GET_SIZE(self->literal);
    Py_ssize_t from = 0;
    while (from + litlen <= size) {
        const char *found = memmem(base + from, (size_t)(size - from), lit, (size_t)litlen);
        if (found == NULL)
            break;
        Py_ssize_t at = found - base;
        PyObject *pos = PyLong_FromSsize_t(at);
        if (pos == NULL)
            return NULL;
        PyObject *call[2] = {raw, pos};
        PyObject *m = PyObject_Vectorcall(self->match, call, 2, NULL);
        Py_DECREF(pos);
        if (m == NULL || m != Py_None)
            return m;
        Py_DECREF(m);
        from = at + 1;
    }
    Py_RETURN_NONE;
}

CALLABLE_TYPE(Searcher, "Searcher(literal, match): pattern.search for a pattern starting with literal");

/* ---------------------------------------------------------------- ChannelBook */

/* The call model's channel and bridge bookkeeping (cti.channel_calls.ChannelEvents): the handlers
 * of Newchannel, Hangup, BridgeEnter, BridgeLeave and NewCallerid, which their Listeners call with the same
 * arguments as the Python ones. Each does to the model's dicts (channels, by_name, bridges, calls,
 * a call's channels and agent_channels) and to the call what the Python handler does, and calls
 * the model's Python for what follows from it:
 *
 * newchannel   -- the call found or made (_call_for; a call of our own Originate, with facts
 *                 ``expect``ed, is Python's to make), its direction read off its first leg, the
 *                 Channel made and filed, a caller ID the customer's leg shows taken
 *                 (_customer_leg, _caller_from); a seat's first leg on the call that rings it goes
 *                 to model._seat_rings(call, agent, at).
 * hangup       -- the channel taken out of channels, by_name, its bridge and its call, and what
 *                 that means for the call (_hung_up): an agent's last leg to model._agent_left, the
 *                 hang-up's side and cause, a queue leg app_queue let go to model._gave_up, an
 *                 answered caller whose agent consults to model._caller_hung_up, the call's last
 *                 channel to model.end.
 * bridge_enter -- the channel filed in its bridge; model._check_answer(bridge, at) called only when
 *                 the bridge holds two channels the model knows (it does nothing otherwise).
 * bridge_leave -- all of it.
 * newcallerid  -- nothing, unless the call is inbound and lacks a caller ID the leg shows: then
 *                 the caller ID of the customer's leg taken (_customer_leg, _caller_from).
 *
 * Anything not as the model makes it (a value not a str, a call's channels not a set) goes to the
 * Python handler, before anything is changed, and so do the rare cases: a Newchannel of an ended
 * call or without its ids. */
typedef struct {
    PyObject_HEAD
    PyObject *model;
    PyObject *channels, *by_name, *bridges, *calls, *aliases, *ended, *expected; /* the model's own */
    PyObject *agents;       /* its AgentBook */
    PyObject *agents_by_id; /* the AgentBook's agents, when its get is a lookup there; else None */
    PyObject *agents_by_prefix; /* its _by_prefix, when its by_channel is a lookup there; else None */
    /* cti.channel_calls.Channel and cti.calls.Call, or their Makers (cti.calls._slot_maker), called with
     * keywords: kw_channel's (uniqueid, name, linkedid, context, exten) and kw_call's (call_id, started_at) */
    PyObject *channel_type;
    PyObject *call_type;
    PyObject *unknown;      /* UNKNOWN: the caller IDs Asterisk does not know */
    PyObject *logged_out;   /* agents.LOGGED_OUT */
    PyObject *offerable;    /* the states a leg of the agent's own rings them from (the "offer") */
    PyObject *inbound, *outbound; /* INBOUND_CONTEXTS, OUTBOUND_CONTEXTS */
    /* agents.RINGING, TALKING, ON_HOLD, for _check_answer; NULL when not given (it is asked of the
     * model's Python then) */
    PyObject *ringing, *talking, *on_hold;
    PyObject *on_newchannel, *on_hangup, *on_bridge_enter, *on_bridge_leave, *on_newcallerid; /* the Python handlers */
    PyObject *on_agent_called, *on_agent_connect, *on_queue_caller_join;
    /* for the queue join: the model's QueueBoard, cti.queue_calls.QueueLeg's Maker and CallQueued.make;
     * NULL (the last two) when not given: the Python handler's then */
    PyObject *queues, *queue_leg_type, *call_queued;
} ChannelBook;

static PyObject *str_agent_channels, *str_agent_id, *str_agent_left, *str_answered_at, *str_bridge,
    *str_by_channel, *str_call_id, *str_caller, *str_caller_hung_up, *str_caller_name, *str_channels,
    *str_check_answer, *str_consult, *str_customer_channel, *str_direction, *str_dnis, *str_empty, *str_end,
    *str_gave_up, *str_gave_up_attr, *str_hangup_cause, *str_hangup_side, *str_hung_up, *str_inbound,
    *str_internal, *str_linkedid, *str_name, *str_outbound, *str_outcome, *str_queue, *str_queue_legs,
    *str_queued_at, *str_seat_rings, *str_state, *str_uniqueid, *str_agent_side, *str_caller_side,
    *str_local, *kw_call, *kw_channel, *str_hold_started, *str_relayed_consult_from, *str_consulted,
    *str_set_hold, *str_transition, *str_answered_method, *str_join, *tr_answer, *str_ringing_at, *str_ringing,
    *str_agents_offered, *str_consult_legs, *str_waited_attr, *str_by_interface, *str_offer_method,
    *str_queue_answered, *tr_offer, *tr_cancel_ring, *kw_consult, *str_on_queued, *str_start_method,
    *str_close_leg, *str_started_published, *str_ivr_path, *str_gave_up_at, *str_join_queue, *str_overflow_at,
    *kw_queue_leg, *kw_call_queued;

#define ChannelBook_OBJECTS(X)                                                                                  \
    X(model) X(channels) X(by_name) X(bridges) X(calls) X(aliases) X(ended) X(expected) X(agents)      \
    X(agents_by_id) X(agents_by_prefix) X(channel_type) X(call_type) X(unknown) X(logged_out) X(offerable) X(inbound)      \
    X(outbound) X(ringing) X(talking) X(on_hold) X(on_newchannel) X(on_hangup) X(on_bridge_enter) X(on_bridge_leave) X(on_newcallerid) \
    X(on_agent_called) X(on_agent_connect) X(on_queue_caller_join) X(queues) X(queue_leg_type) X(call_queued)

/* An object's attributes read once into a C type's slots, when the type is made (ChannelBook from its
 * model, QueueDesk from its board): the objects it then holds never change, only their items. An
 * attribute marked is_dict must be a dict, and exactly a dict when exact_dict (QueueDesk asks that of
 * its board's; ChannelBook has always taken a dict subclass for the model's). Either way the holder
 * reads and writes them with the dict's own C calls. 0, or -1 with an exception (the slots read so
 * far keep their values, freed by the type's clear). */
typedef struct {
    PyObject **slot;
    const char *attr;
    int is_dict;
} AttrSlot;

static int
read_attr_slots(PyObject *owner, const char *owner_name, const AttrSlot *table, size_t n, int exact_dict)
{
    for (size_t i = 0; i < n; i++) {
        PyObject *value = PyObject_GetAttrString(owner, table[i].attr);
        if (value == NULL)
            return -1;
        if (table[i].is_dict && !(exact_dict ? PyDict_CheckExact(value) : PyDict_Check(value))) {
            PyErr_Format(PyExc_TypeError, "the %s's %s is not a dict", owner_name, table[i].attr);
            Py_DECREF(value);
            return -1;
        }
        Py_XSETREF(*table[i].slot, value);
    }
    return 0;
}

static int
ChannelBook_init(ChannelBook *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"model", "channel_type", "call_type", "unknown", "logged_out", "offerable",
                             "inbound", "outbound", "agents_by_id", "agents_by_prefix", "ringing",
                             "talking", "on_hold", "queue_leg", "call_queued", NULL};
    PyObject *model, *channel_type, *call_type, *unknown, *logged_out, *offerable, *inbound, *outbound,
        *agents_by_id, *agents_by_prefix = Py_None, *ringing = NULL, *talking = NULL, *on_hold = NULL,
        *queue_leg = NULL, *call_queued = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOO!UO!O!O!O|O$UUUOO:ChannelBook", kwlist, &model,
                                     &channel_type, &call_type, &PyTuple_Type, &unknown, &logged_out,
                                     &PyTuple_Type, &offerable, &PyTuple_Type, &inbound, &PyTuple_Type,
                                     &outbound, &agents_by_id, &agents_by_prefix, &ringing, &talking, &on_hold,
                                     &queue_leg, &call_queued))
        return -1;
    if ((queue_leg == NULL) != (call_queued == NULL)) {
        PyErr_SetString(PyExc_TypeError, "queue_leg, call_queued: both or neither");
        return -1;
    }
    if ((ringing == NULL) != (talking == NULL) || (ringing == NULL) != (on_hold == NULL)) {
        PyErr_SetString(PyExc_TypeError, "ringing, talking, on_hold: all three or none");
        return -1;
    }
    if ((agents_by_id != Py_None && !PyDict_CheckExact(agents_by_id)) ||
        (agents_by_prefix != Py_None && !PyDict_CheckExact(agents_by_prefix))) {
        PyErr_SetString(PyExc_TypeError, "agents_by_id, agents_by_prefix: a dict or None");
        return -1;
    }
    AttrSlot from_model[] = {
        {&self->channels, "channels", 1}, {&self->by_name, "by_name", 1}, {&self->bridges, "bridges", 1},
        {&self->calls, "calls", 1}, {&self->aliases, "aliases", 1}, {&self->ended, "ended", 1},
        {&self->expected, "expected", 1}, {&self->agents, "agents", 0},
        {&self->on_newchannel, "_on_Newchannel", 0}, {&self->on_hangup, "_on_Hangup", 0},
        {&self->on_bridge_enter, "_on_BridgeEnter", 0}, {&self->on_bridge_leave, "_on_BridgeLeave", 0},
        {&self->on_newcallerid, "_on_NewCallerid", 0}, {&self->on_agent_called, "_on_AgentCalled", 0},
        {&self->on_agent_connect, "_on_AgentConnect", 0}, {&self->on_queue_caller_join, "_on_QueueCallerJoin", 0},
        {&self->queues, "queues", 0},
    };
    if (read_attr_slots(model, "model", from_model, sizeof(from_model) / sizeof(from_model[0]), 0) < 0)
        return -1;
    Py_XSETREF(self->model, Py_NewRef(model));
    Py_XSETREF(self->channel_type, Py_NewRef(channel_type));
    Py_XSETREF(self->call_type, Py_NewRef(call_type));
    Py_XSETREF(self->unknown, Py_NewRef(unknown));
    Py_XSETREF(self->logged_out, Py_NewRef(logged_out));
    Py_XSETREF(self->offerable, Py_NewRef(offerable));
    Py_XSETREF(self->inbound, Py_NewRef(inbound));
    Py_XSETREF(self->outbound, Py_NewRef(outbound));
    Py_XSETREF(self->agents_by_id, Py_NewRef(agents_by_id));
    Py_XSETREF(self->agents_by_prefix, Py_NewRef(agents_by_prefix));
    Py_XSETREF(self->ringing, Py_XNewRef(ringing));
    Py_XSETREF(self->talking, Py_XNewRef(talking));
    Py_XSETREF(self->on_hold, Py_XNewRef(on_hold));
    Py_XSETREF(self->queue_leg_type, Py_XNewRef(queue_leg));
    Py_XSETREF(self->call_queued, Py_XNewRef(call_queued));
    return 0;
}

GC_FUNCTIONS(ChannelBook)

/* The arguments as the Listener passes them: ``n`` of them, all but the first (the time) str. */
static int
book_args(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs, Py_ssize_t n)
{
    if (self->model == NULL) {
        PyErr_SetString(PyExc_TypeError, "an uninitialised ChannelBook");
        return -1;
    }
    if (nargs != n) {
        PyErr_Format(PyExc_TypeError, "takes %zd arguments (%zd given)", n, nargs);
        return -1;
    }
    for (Py_ssize_t i = 1; i < n; i++)
        if (!PyUnicode_CheckExact(args[i]))
            return 0;
    return 1;
}

/* ---- the model's attributes, read and written in their slots ----
 *
 * Call, Channel, Agent and QueueLeg are dataclasses with __slots__. PyObject_GetAttr on one is a
 * type lookup, then the member descriptor's get (about 60-150 instructions); with the slot's
 * offset learnt it is one load. A Slot learns a type only where that gives what getattr and
 * setattr give: the type's own getattro and setattro are the generic ones and the name is a
 * writable object slot there (a member descriptor, which comes before any instance dict). The
 * type's version tag, which changes whenever the class or a base of it is changed (an attribute
 * set on the class) and is never given to another type, is checked at each use, so a class
 * changed afterwards is learnt again; any other type (a subclass of the test's, a class without
 * slots) is read with getattr, as before. One Slot per class and name, so that two classes do not
 * take turns at one. */
typedef struct {
    PyObject **name;     /* the interned name, made at the module's init */
    PyTypeObject *type;  /* the type learnt: only compared (with its version tag), not held */
    unsigned int version;
    Py_ssize_t offset;
} Slot;
#define MODEL_SLOT(var, name) static Slot var = {&name, NULL, 0, 0}

static int
slot_learn(PyTypeObject *type, Slot *s)
{
    s->type = NULL;
    if (type->tp_getattro != PyObject_GenericGetAttr || type->tp_setattro != PyObject_GenericSetAttr)
        return 0;
    /* borrowed, sets no exception; gives the type a version tag if it can have one */
    PyObject *descr = _PyType_Lookup(type, *s->name);
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type) ||
        !(type->tp_flags & Py_TPFLAGS_VALID_VERSION_TAG))
        return 0;
    PyMemberDef *member = ((PyMemberDescrObject *)descr)->d_member;
    if (member->type != T_OBJECT_EX || (member->flags & READONLY))
        return 0;
    s->type = type;
    s->version = type->tp_version_tag;
    s->offset = member->offset;
    return 1;
}

/* where obj's slot of that name is, or NULL when it is not read straight (see Slot) */
static inline PyObject **
slot_of(PyObject *obj, Slot *s)
{
    PyTypeObject *type = Py_TYPE(obj);
    if ((type == s->type && type->tp_version_tag == s->version) || slot_learn(type, s))
        return (PyObject **)((char *)obj + s->offset);
    return NULL;
}

/* obj.<name>: a new reference, or NULL with the exception set (an empty slot's AttributeError) */
static inline PyObject *
slot_get(PyObject *obj, Slot *s)
{
    PyObject **p = slot_of(obj, s);
    if (p != NULL && *p != NULL)
        return Py_NewRef(*p);
    return PyObject_GetAttr(obj, *s->name);
}

/* obj.<name> = value: 0, or -1 with the exception set */
static inline int
slot_set(PyObject *obj, Slot *s, PyObject *value)
{
    PyObject **p = slot_of(obj, s);
    if (p == NULL)
        return PyObject_SetAttr(obj, *s->name, value);
    Py_XSETREF(*p, Py_NewRef(value)); /* the member descriptor's set */
    return 0;
}

/* the Python handler, called with the arguments as they came */
static PyObject *
to_python(PyObject *handler, PyObject *const *args, Py_ssize_t nargs)
{
    return PyObject_Vectorcall(handler, args, (size_t)nargs, NULL);
}

/* model.<method>(*args): the model's Python for what follows from the bookkeeping */
static PyObject *
model_call(ChannelBook *self, PyObject *method, PyObject *a, PyObject *b, PyObject *c, PyObject *d)
{
    PyObject *argv[5] = {self->model, a, b, c, d};
    size_t n = 1 + (a != NULL) + (b != NULL) + (c != NULL) + (d != NULL);
    return PyObject_VectorcallMethod(method, argv, n, NULL);
}

/* model.<method>(*args) for its side effects: 0, or -1 with the exception set */
static int
model_do(ChannelBook *self, PyObject *method, PyObject *a, PyObject *b, PyObject *c, PyObject *d)
{
    PyObject *r = model_call(self, method, a, b, c, d);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

static inline int
str_eq(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b))
        return PyUnicode_GET_LENGTH(a) == PyUnicode_GET_LENGTH(b) && PyUnicode_Compare(a, b) == 0;
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* what the ChannelBook reads and writes of the model's objects */
MODEL_SLOT(Agent_agent_id, str_agent_id);
MODEL_SLOT(Agent_consult, str_consult);
MODEL_SLOT(Agent_state, str_state);
MODEL_SLOT(Call_agent_channels, str_agent_channels);
MODEL_SLOT(Call_agent_id, str_agent_id);
MODEL_SLOT(Call_answered_at, str_answered_at);
MODEL_SLOT(Call_call_id, str_call_id);
MODEL_SLOT(Call_caller, str_caller);
MODEL_SLOT(Call_caller_name, str_caller_name);
MODEL_SLOT(Call_channels, str_channels);
MODEL_SLOT(Call_customer_channel, str_customer_channel);
MODEL_SLOT(Call_direction, str_direction);
MODEL_SLOT(Call_dnis, str_dnis);
MODEL_SLOT(Call_hangup_cause, str_hangup_cause);
MODEL_SLOT(Call_hangup_side, str_hangup_side);
MODEL_SLOT(Call_hold_started, str_hold_started);
MODEL_SLOT(Call_relayed_consult_from, str_relayed_consult_from);
MODEL_SLOT(Call_consulted, str_consulted);
MODEL_SLOT(Call_ringing_at, str_ringing_at);
MODEL_SLOT(Call_ringing, str_ringing);
MODEL_SLOT(Call_agents_offered, str_agents_offered);
MODEL_SLOT(Call_consult_legs, str_consult_legs);
MODEL_SLOT(Call_waited, str_waited_attr);
MODEL_SLOT(Agent_call_id, str_call_id); /* AgentMoves reads and writes it too */
MODEL_SLOT(Call_queue, str_queue);
MODEL_SLOT(Call_queue_legs, str_queue_legs);
MODEL_SLOT(Call_queued_at, str_queued_at);
MODEL_SLOT(Channel_agent_id, str_agent_id);
MODEL_SLOT(Channel_bridge, str_bridge);
MODEL_SLOT(Channel_linkedid, str_linkedid);
MODEL_SLOT(Channel_name, str_name);
MODEL_SLOT(Channel_uniqueid, str_uniqueid);
MODEL_SLOT(QueueLeg_gave_up, str_gave_up_attr);
MODEL_SLOT(QueueLeg_outcome, str_outcome);

/* getattr that also says whether the value is true: 1 true, 0 false, -1 error (*out NULL) */
static int
attr_truth(PyObject *obj, Slot *name, PyObject **out)
{
    *out = slot_get(obj, name);
    if (*out == NULL)
        return -1;
    int t = PyObject_IsTrue(*out);
    if (t < 0)
        Py_CLEAR(*out);
    return t;
}

/* whether obj.name is true (the value not kept): 1, 0, -1 error */
static int
truth_of(PyObject *obj, Slot *name)
{
    PyObject *value;
    int t = attr_truth(obj, name, &value);
    Py_XDECREF(value);
    return t;
}

/* whether obj.name == text: 1, 0, -1 error */
static int
attr_is(PyObject *obj, Slot *name, PyObject *text)
{
    PyObject *value = slot_get(obj, name);
    if (value == NULL)
        return -1;
    int r = str_eq(value, text);
    Py_DECREF(value);
    return r;
}

/* if call.answered_at and not call.hangup_side: call.hangup_side = side (0, or -1 with the exception) */
static int
side_if_answered(PyObject *call, PyObject *side)
{
    int r = truth_of(call, &Call_answered_at);
    if (r <= 0)
        return r;
    if ((r = truth_of(call, &Call_hangup_side)) != 0)
        return r < 0 ? -1 : 0;
    return slot_set(call, &Call_hangup_side, side);
}

/* the length of channel_calls._party(name), both str: a Local channel's two halves (";1", ";2")
 * are one party */
static Py_ssize_t
party_length(PyObject *name)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(name);
    if (n < 2 || PyUnicode_Tailmatch(name, str_local, 0, n, -1) != 1 ||
        PyUnicode_READ_CHAR(name, n - 2) != ';')
        return n;
    Py_UCS4 last = PyUnicode_READ_CHAR(name, n - 1);
    return last == '1' || last == '2' ? n - 2 : n;
}

/* _party(a) == _party(b), both str: 1, 0, -1 error */
static int
same_party(PyObject *a, PyObject *b)
{
    Py_ssize_t la = party_length(a), lb = party_length(b);
    if (la != lb)
        return 0;
    if (la == PyUnicode_GET_LENGTH(a) && la == PyUnicode_GET_LENGTH(b))
        return PyUnicode_Compare(a, b) == 0;
    PyObject *pa = PyUnicode_Substring(a, 0, la), *pb = pa == NULL ? NULL : PyUnicode_Substring(b, 0, lb);
    int r = pb == NULL ? -1 : PyUnicode_Compare(pa, pb) == 0;
    if (r == 0 && PyErr_Occurred())
        r = -1;
    Py_XDECREF(pa);
    Py_XDECREF(pb);
    return r;
}

/* value not in UNKNOWN and not obj.name (the caller ID the call lacks and this leg shows): 1, 0, -1 */
static int
news_of(ChannelBook *self, PyObject *call, Slot *name, PyObject *value)
{
    int r = PySequence_Contains(self->unknown, value);
    if (r != 0)
        return r < 0 ? -1 : 0;
    r = truth_of(call, name);
    return r < 0 ? -1 : !r;
}

/* _customer_leg(call, linkedid, uid, name, agents): whether the leg's caller ID is the customer's;
 * ``first``: uid is the call's id, ``cc``: the call's customer_channel (a str) */
static int
customer_leg(ChannelBook *self, PyObject *call, PyObject *linkedid, int first, PyObject *name, int agents,
             PyObject *cc)
{
    if (agents)
        return 0;
    int r = PyDict_Contains(self->aliases, linkedid);
    if (r != 0)
        return r < 0 ? -1 : 0;
    if ((r = attr_is(call, &Call_direction, str_outbound)) != 0) {
        if (r < 0 || !first)
            return r < 0 ? -1 : 0;
        r = truth_of(call, &Call_caller);
        return r < 0 ? -1 : !r;
    }
    if ((r = truth_of(call, &Call_answered_at)) <= 0 || first)
        return r < 0 ? -1 : 1;
    return PyUnicode_GET_LENGTH(cc) ? same_party(name, cc) : 0;
}

/* call.agent_channels, and in it the legs of ``agent_id`` (a new reference, NULL when it has none):
 * 1; 0 when either is not as the model makes them (a dict, a set: the Python handler's case then);
 * -1 error. *agent_channels is set (a new reference) unless the getattr failed. */
static int
agent_legs(PyObject *call, PyObject *agent_id, PyObject **agent_channels, PyObject **legs)
{
    if ((*agent_channels = slot_get(call, &Call_agent_channels)) == NULL)
        return -1;
    if (!PyDict_CheckExact(*agent_channels))
        return 0;
    *legs = Py_XNewRef(PyDict_GetItemWithError(*agent_channels, agent_id));
    if (*legs == NULL && PyErr_Occurred())
        return -1;
    return *legs == NULL || PySet_CheckExact(*legs);
}

/* agents.by_channel(name), name a str: the seat's prefix (the name to its last "-") looked up in the
 * book's _by_prefix, when its by_channel is that lookup; else the book's own by_channel */
static PyObject *
seat_agent(ChannelBook *self, PyObject *name)
{
    if (self->agents_by_prefix == Py_None)
        return PyObject_CallMethodOneArg(self->agents, str_by_channel, name);
    Py_ssize_t cut = PyUnicode_FindChar(name, '-', 0, PyUnicode_GET_LENGTH(name), -1);
    if (cut < 0)
        return cut == -2 ? NULL : Py_NewRef(Py_None);
    PyObject *prefix = PyUnicode_Substring(name, 0, cut + 1);
    if (prefix == NULL)
        return NULL;
    PyObject *agent = PyDict_GetItemWithError(self->agents_by_prefix, prefix);
    Py_DECREF(prefix);
    if (agent == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    return Py_NewRef(agent);
}

/* _call_for(linkedid, at) of a linkedid that is not "" and not of an ended call: the call, under the id
 * it was aliased to (a conference's leg), or a new one (*call, a new reference): 1; 0 when it is a
 * call of our own Originate, with facts ``expect``ed, which Python makes; -1 with the exception set */
static int
call_for(ChannelBook *self, PyObject *linkedid, PyObject *at, PyObject **call)
{
    PyObject *key = PyDict_GetItemWithError(self->aliases, linkedid);
    if (key == NULL && PyErr_Occurred())
        return -1;
    key = Py_NewRef(key != NULL ? key : linkedid);
    *call = Py_XNewRef(PyDict_GetItemWithError(self->calls, key));
    int r = 1;
    if (*call == NULL) {
        if (PyErr_Occurred() || (r = PyDict_Contains(self->expected, key)) != 0) {
            Py_DECREF(key);
            return r < 0 || PyErr_Occurred() ? -1 : 0;
        }
        PyObject *made[3] = {NULL, key, at}; /* call_id, started_at */
        *call = PyObject_Vectorcall(self->call_type, made + 1, PY_VECTORCALL_ARGUMENTS_OFFSET, kw_call);
        if (*call == NULL || PyDict_SetItem(self->calls, key, *call) < 0) {
            Py_CLEAR(*call);
            Py_DECREF(key);
            return -1;
        }
        r = 1;
    }
    Py_DECREF(key);
    return r;
}

static PyObject *
ChannelBook_newchannel(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 8);
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_newchannel, args, nargs);
    PyObject *at = args[0], *linkedid = args[1], *uid = args[2], *name = args[3], *context = args[4],
             *exten = args[5], *num = args[6], *cname = args[7];
    if (!PyUnicode_GET_LENGTH(uid) || !PyUnicode_GET_LENGTH(name) || !PyUnicode_GET_LENGTH(linkedid))
        return to_python(self->on_newchannel, args, nargs);
    int r = PyDict_Contains(self->ended, linkedid);
    if (r != 0)
        return r < 0 ? NULL : to_python(self->on_newchannel, args, nargs);
    PyObject *call;
    if ((r = call_for(self, linkedid, at, &call)) <= 0) /* facts from our own Originate: Python makes that call */
        return r < 0 ? NULL : to_python(self->on_newchannel, args, nargs);
    PyObject *result = NULL, *call_id = NULL, *call_channels = NULL, *cc = NULL, *agent = NULL, *state = NULL,
             *agent_id = NULL, *agent_channels = NULL, *legs = NULL, *chan = NULL;
    r = PyDict_Contains(self->channels, uid);
    if (r != 0) {
        result = r < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    /* What decides, read before anything changes (a call made above is made as Python makes it):
     * anything not as the model makes it goes to the Python handler. */
    if ((call_id = slot_get(call, &Call_call_id)) == NULL ||
        (call_channels = slot_get(call, &Call_channels)) == NULL ||
        (cc = slot_get(call, &Call_customer_channel)) == NULL)
        goto done;
    if (!PySet_CheckExact(call_channels) || !PyUnicode_CheckExact(cc))
        goto python;
    int first = str_eq(uid, call_id);
    if (first < 0)
        goto done;
    if ((agent = seat_agent(self, name)) == NULL)
        goto done;
    int agents_leg = 0, rings = 0;
    if (agent != Py_None) {
        if ((state = slot_get(agent, &Agent_state)) == NULL)
            goto done;
        if ((agents_leg = PyObject_RichCompareBool(state, self->logged_out, Py_NE)) < 0)
            goto done;
        if (agents_leg) {
            if ((agent_id = slot_get(agent, &Agent_agent_id)) == NULL ||
                (r = agent_legs(call, agent_id, &agent_channels, &legs)) < 0)
                goto done;
            if (!r)
                goto python;
            Py_ssize_t after = 1;
            if (legs != NULL) {
                if ((r = PySet_Contains(legs, uid)) < 0)
                    goto done;
                after = PySet_GET_SIZE(legs) + !r;
            }
            /* the seat's first leg on the call, while it is free: it rings (_seat_rings) */
            if (after == 1 && (rings = PySequence_Contains(self->offerable, state)) < 0)
                goto done;
        }
    }
    /* As the Python handler does, from here on. */
    PyObject *fields[6] = {NULL, uid, name, call_id, context, exten}; /* kw_channel's order */
    if ((chan = PyObject_Vectorcall(self->channel_type, fields + 1, PY_VECTORCALL_ARGUMENTS_OFFSET, kw_channel)) == NULL)
        goto done;
    if (PyDict_SetItem(self->channels, uid, chan) < 0 || PyDict_SetItem(self->by_name, name, chan) < 0 ||
        PySet_Add(call_channels, uid) < 0)
        goto done;
    if (first && (r = attr_is(call, &Call_direction, str_internal)) != 0) {
        /* the call's own first leg says which way it goes */
        if (r < 0)
            goto done;
        PyObject *way = NULL;
        if ((r = PySequence_Contains(self->inbound, context)) < 0)
            goto done;
        if (r)
            way = str_inbound;
        else if ((r = PySequence_Contains(self->outbound, context)) < 0)
            goto done;
        else if (r)
            way = str_outbound;
        if (way != NULL &&
            (slot_set(call, &Call_direction, way) < 0 || slot_set(call, &Call_dnis, exten) < 0))
            goto done;
    }
    /* only a caller ID the call has not got yet needs the leg looked at (_customer_leg) */
    int news = news_of(self, call, &Call_caller, num);
    if (news == 0)
        news = news_of(self, call, &Call_caller_name, cname);
    if (news < 0)
        goto done;
    if (news && (r = customer_leg(self, call, linkedid, first, name, agent != Py_None, cc)) != 0) {
        /* _caller_from */
        if (r < 0 || (r = news_of(self, call, &Call_caller, num)) < 0 ||
            (r && slot_set(call, &Call_caller, num) < 0) ||
            (r = news_of(self, call, &Call_caller_name, cname)) < 0 ||
            (r && slot_set(call, &Call_caller_name, cname) < 0))
            goto done;
    }
    if (agents_leg) {
        if (slot_set(chan, &Channel_agent_id, agent_id) < 0)
            goto done;
        if (legs == NULL) { /* call.agent_channels.setdefault(agent_id, set()) */
            if ((legs = PySet_New(NULL)) == NULL || PyDict_SetItem(agent_channels, agent_id, legs) < 0)
                goto done;
        }
        if (PySet_Add(legs, uid) < 0)
            goto done;
        result = rings ? model_call(self, str_seat_rings, call, agent, at, NULL) : Py_NewRef(Py_None);
        goto done;
    }
    /* the first leg of an inbound call that is not an agent's nor the call's own: the customer's */
    if (!first && !PyUnicode_GET_LENGTH(cc)) {
        if ((r = attr_is(call, &Call_direction, str_inbound)) < 0 ||
            (r && slot_set(call, &Call_customer_channel, name) < 0))
            goto done;
    }
    result = Py_NewRef(Py_None);
    goto done;
python:
    result = to_python(self->on_newchannel, args, nargs);
done:
    Py_XDECREF(chan);
    Py_XDECREF(legs);
    Py_XDECREF(agent_channels);
    Py_XDECREF(agent_id);
    Py_XDECREF(state);
    Py_XDECREF(agent);
    Py_XDECREF(cc);
    Py_XDECREF(call_channels);
    Py_XDECREF(call_id);
    Py_DECREF(call);
    return result;
}

/* set.discard(item) on a set, or the object's own discard */
static int
discard(PyObject *set, PyObject *item)
{
    if (PyAnySet_Check(set))
        return PySet_Discard(set, item) < 0 ? -1 : 0;
    PyObject *r = PyObject_CallMethod(set, "discard", "O", item);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* channel_calls._hung_up(call, chan, at, cause): what ``chan`` hanging up means for its call. The
 * Python one gets anything not as the model makes it, before anything is changed. */
static PyObject *
hung_up(ChannelBook *self, PyObject *call, PyObject *chan, PyObject *at, PyObject *cause)
{
    PyObject *agent_id = NULL, *agent_channels = NULL, *legs = NULL, *uniqueid = NULL, *name = NULL, *cc = NULL,
             *value = NULL, *queue_legs = NULL, *last = NULL, *agent = NULL;
    int r, caller = 0, ok = -1;
    int has = attr_truth(chan, &Channel_agent_id, &agent_id);
    if (has < 0)
        return NULL;
    if (has) { /* _agent_channel_gone */
        if ((uniqueid = slot_get(chan, &Channel_uniqueid)) == NULL ||
            (r = agent_legs(call, agent_id, &agent_channels, &legs)) < 0)
            goto done;
        if (!r)
            goto python;
        if (legs != NULL && PySet_Discard(legs, uniqueid) < 0)
            goto done;
        if ((legs == NULL || !PySet_GET_SIZE(legs)) && model_do(self, str_agent_left, call, agent_id, at, NULL) < 0)
            goto done;
        if (side_if_answered(call, str_agent_side) < 0)
            goto done;
    }
    else {
        if ((name = slot_get(chan, &Channel_name)) == NULL ||
            (cc = slot_get(call, &Call_customer_channel)) == NULL ||
            (queue_legs = slot_get(call, &Call_queue_legs)) == NULL)
            goto done;
        if (!PyUnicode_CheckExact(name) || !PyUnicode_CheckExact(cc) || !PyList_CheckExact(queue_legs))
            goto python;
        /* the customer's own channel is its party; _party only for the others */
        int own = str_eq(name, cc);
        if (own < 0 || (caller = own ? 1 : same_party(name, cc)) < 0)
            goto done;
        if (caller && side_if_answered(call, str_caller_side) < 0)
            goto done;
        int set_cause = own; /* not call.hangup_cause or chan.name == call.customer_channel */
        if (!own && (r = truth_of(call, &Call_hangup_cause)) != 0) {
            if (r < 0)
                goto done;
        }
        else
            set_cause = 1;
        if (set_cause) {
            value = PyUnicode_GET_LENGTH(cause) ? PyLong_FromUnicodeObject(cause, 10) : PyLong_FromLong(0);
            if (value == NULL || slot_set(call, &Call_hangup_cause, value) < 0)
                goto done;
        }
        /* _gave_up: only a queue leg app_queue let go, waiting still, is anything to it (or a call
         * known from before a restart, whose leg _open_leg makes) */
        Py_ssize_t n = PyList_GET_SIZE(queue_legs);
        if (n) {
            last = Py_NewRef(PyList_GET_ITEM(queue_legs, n - 1));
            if ((r = truth_of(last, &QueueLeg_outcome)) == 0)
                r = truth_of(last, &QueueLeg_gave_up);
            else if (r > 0)
                r = 0;
        }
        else if ((r = truth_of(call, &Call_queue)) > 0)
            r = truth_of(call, &Call_queued_at);
        if (r < 0 || (r && model_do(self, str_gave_up, call, name, NULL, NULL) < 0))
            goto done;
        if (caller && (r = truth_of(call, &Call_answered_at)) != 0) {
            /* _consulting_holder finds somebody only if the call's agent consults */
            if (r < 0)
                goto done;
            r = 1;
            if (self->agents_by_id != Py_None) {
                PyObject *whose = slot_get(call, &Call_agent_id);
                if (whose == NULL)
                    goto done;
                agent = Py_XNewRef(PyDict_GetItemWithError(self->agents_by_id, whose));
                Py_DECREF(whose);
                if (agent == NULL && PyErr_Occurred())
                    goto done;
                r = agent == NULL ? 0 : truth_of(agent, &Agent_consult);
            }
            if (r < 0 || (r && model_do(self, str_caller_hung_up, call, at, NULL, NULL) < 0))
                goto done;
        }
    }
    if ((r = truth_of(call, &Call_channels)) < 0 || (!r && model_do(self, str_end, call, at, NULL, NULL) < 0))
        goto done;
    ok = 0;
    goto done;
python:
    ok = model_do(self, str_hung_up, call, chan, at, cause);
done:
    Py_XDECREF(agent);
    Py_XDECREF(last);
    Py_XDECREF(queue_legs);
    Py_XDECREF(value);
    Py_XDECREF(cc);
    Py_XDECREF(name);
    Py_XDECREF(uniqueid);
    Py_XDECREF(legs);
    Py_XDECREF(agent_channels);
    Py_XDECREF(agent_id);
    return ok < 0 ? NULL : Py_NewRef(Py_None);
}

static PyObject *
ChannelBook_hangup(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 3);
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_hangup, args, nargs);
    PyObject *uid = args[1];
    PyObject *chan = Py_XNewRef(PyDict_GetItemWithError(self->channels, uid));
    if (chan == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    PyObject *result = NULL, *name = NULL, *bridge = NULL, *linkedid = NULL, *call = NULL, *call_channels = NULL;
    if (PyDict_DelItem(self->channels, uid) < 0 || (name = slot_get(chan, &Channel_name)) == NULL)
        goto done;
    PyObject *filed = PyDict_GetItemWithError(self->by_name, name);
    if (filed == NULL && PyErr_Occurred())
        goto done;
    if (filed == chan && PyDict_DelItem(self->by_name, name) < 0)
        goto done;
    int has = attr_truth(chan, &Channel_bridge, &bridge);
    if (has < 0)
        goto done;
    if (has) {
        PyObject *members = PyDict_GetItemWithError(self->bridges, bridge);
        if (members == NULL && PyErr_Occurred())
            goto done;
        if (members != NULL && discard(members, name) < 0)
            goto done;
    }
    if ((linkedid = slot_get(chan, &Channel_linkedid)) == NULL)
        goto done;
    call = Py_XNewRef(PyDict_GetItemWithError(self->calls, linkedid));
    if (call == NULL) {
        result = PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    if ((call_channels = slot_get(call, &Call_channels)) == NULL || discard(call_channels, uid) < 0)
        goto done;
    result = hung_up(self, call, chan, args[0], args[2]);
done:
    Py_XDECREF(call_channels);
    Py_XDECREF(call);
    Py_XDECREF(linkedid);
    Py_XDECREF(bridge);
    Py_XDECREF(name);
    Py_DECREF(chan);
    return result;
}

/* what a bridge means for one of its channels that is an agent's leg (``chan``), the bridge's
 * channels of nobody's being ``others``: _check_answer's loop body, in its order (0, or -1 with the
 * exception set) */
static int
talker_answers(ChannelBook *self, PyObject *chan, PyObject *others, PyObject *at)
{
    int ok = -1, r;
    PyObject *linkedid = NULL, *whose = NULL, *call = NULL, *agent = NULL, *state = NULL, *agent_id = NULL,
             *holder = NULL, *value = NULL, *legs = NULL, *cc = NULL;
    if ((linkedid = slot_get(chan, &Channel_linkedid)) == NULL || (whose = slot_get(chan, &Channel_agent_id)) == NULL)
        goto done;
    call = Py_XNewRef(PyDict_GetItemWithError(self->calls, linkedid));
    if (call == NULL && PyErr_Occurred())
        goto done;
    agent = Py_XNewRef(PyDict_GetItemWithError(self->agents_by_id, whose));
    if (agent == NULL && PyErr_Occurred())
        goto done;
    if (call == NULL || agent == NULL) {
        ok = 0;
        goto done;
    }
    Py_ssize_t n_others = PyList_GET_SIZE(others);
    /* if others and not call.customer_channel: call.customer_channel = others[0].name */
    if (n_others && (r = truth_of(call, &Call_customer_channel)) <= 0) {
        if (r < 0 || (value = slot_get(PyList_GET_ITEM(others, 0), &Channel_name)) == NULL ||
            slot_set(call, &Call_customer_channel, value) < 0)
            goto done;
        Py_CLEAR(value);
    }
    /* held = agent.state == ON_HOLD and call.hold_started and call.agent_id == agent.agent_id */
    if ((state = slot_get(agent, &Agent_state)) == NULL || (agent_id = slot_get(agent, &Agent_agent_id)) == NULL)
        goto done;
    int held = str_eq(state, self->on_hold);
    if (held > 0 && (held = truth_of(call, &Call_hold_started)) > 0) {
        if ((holder = slot_get(call, &Call_agent_id)) == NULL)
            goto done;
        held = str_eq(holder, agent_id);
        Py_CLEAR(holder);
    }
    /* ... and at > call.hold_started and (not call.customer_channel or any of others is it) */
    if (held > 0) {
        if ((value = slot_get(call, &Call_hold_started)) == NULL)
            goto done;
        held = PyObject_RichCompareBool(at, value, Py_GT);
        Py_CLEAR(value);
    }
    if (held > 0) {
        if ((held = attr_truth(call, &Call_customer_channel, &cc)) > 0) {
            int seen = 0;
            for (Py_ssize_t i = 0; !seen && i < n_others; i++) {
                if ((value = slot_get(PyList_GET_ITEM(others, i), &Channel_name)) == NULL)
                    goto done;
                seen = str_eq(value, cc);
                Py_CLEAR(value);
                if (seen < 0)
                    goto done;
            }
            held = seen;
        }
        else if (held == 0)
            held = 1; /* no customer channel known: any bridge of theirs resumes it */
    }
    if (held < 0)
        goto done;
    if (held) {
        if (model_do(self, str_set_hold, call, Py_False, at, NULL) < 0)
            goto done;
    }
    else {
        /* elif agent.state in (RINGING, READY, NOT_READY, AFTER_CALL_WORK) */
        if ((r = str_eq(state, self->ringing)) == 0)
            r = PySequence_Contains(self->offerable, state);
        if (r < 0 || (r && ((value = slot_get(call, &Call_call_id)) == NULL ||
                            model_do(self, str_transition, agent, tr_answer, at, value) < 0)))
            goto done;
        Py_CLEAR(value);
    }
    if ((r = truth_of(call, &Call_answered_at)) <= 0) {
        ok = r < 0 ? -1 : model_do(self, str_answered_method, call, agent_id, at, NULL);
        goto done;
    }
    /* answered before: a blind transfer's target takes the call once its holder's legs are gone,
     * and whoever talks on it gets a leg of their own (_join) */
    if ((value = slot_get(call, &Call_agent_channels)) == NULL || (holder = slot_get(call, &Call_agent_id)) == NULL)
        goto done;
    legs = PyDict_CheckExact(value) ? Py_XNewRef(PyDict_GetItemWithError(value, holder))
                                    : PyObject_CallMethod(value, "get", "O", holder);
    if (legs == NULL && PyErr_Occurred())
        goto done;
    Py_CLEAR(value);
    int holder_gone = legs == NULL ? 1 : PyObject_Not(legs);
    if (holder_gone < 0 || (r = PyObject_RichCompareBool(holder, agent_id, Py_NE)) < 0)
        goto done;
    Py_SETREF(state, slot_get(agent, &Agent_state)); /* the state after _transition */
    if (state == NULL)
        goto done;
    if (r && (r = str_eq(state, self->talking)) != 0 && holder_gone) {
        if (r < 0 || slot_set(call, &Call_agent_id, agent_id) < 0 || (r = truth_of(call, &Call_relayed_consult_from)) < 0)
            goto done;
        if (!r) {
            if ((value = slot_get(call, &Call_consulted)) == NULL)
                goto done;
            PyObject *popped = PyObject_CallMethod(value, "pop", "OO", agent_id, Py_None);
            if (popped == NULL)
                goto done;
            Py_DECREF(popped);
            Py_CLEAR(value);
        }
    }
    else if (r < 0)
        goto done;
    /* if others and agent.state in (TALKING, ON_HOLD): _join (the state read again, as there) */
    if (n_others) {
        Py_SETREF(state, slot_get(agent, &Agent_state));
        if (state == NULL)
            goto done;
        if ((r = str_eq(state, self->talking)) == 0)
            r = str_eq(state, self->on_hold);
        if (r < 0 || (r && model_do(self, str_join, call, agent_id, at, NULL) < 0))
            goto done;
    }
    ok = 0;
done:
    Py_XDECREF(linkedid);
    Py_XDECREF(whose);
    Py_XDECREF(call);
    Py_XDECREF(agent);
    Py_XDECREF(state);
    Py_XDECREF(agent_id);
    Py_XDECREF(holder);
    Py_XDECREF(value);
    Py_XDECREF(legs);
    Py_XDECREF(cc);
    return ok;
}

/* model._check_answer(bridge, at) written out (channel_calls.ChannelEvents._check_answer, which
 * says why it does what it does), ``members`` being the bridge's set of channel names: a frame
 * and about 180 bytecodes a call less. What it leads to (set_hold, _transition, _answered, _join)
 * is the model's own Python, called as there. Asked of the model's Python instead when the
 * agents are not read from their dict (an AgentBook with its own get) or the states were not given. */
static PyObject *
check_answer(ChannelBook *self, PyObject *members, PyObject *bridge, PyObject *at)
{
    if (self->agents_by_id == Py_None || self->ringing == NULL) {
        PyObject *check[3] = {self->model, bridge, at};
        return PyObject_VectorcallMethod(str_check_answer, check, 3, NULL);
    }
    /* the known channels first, then split into the agents' legs and the others, as there */
    PyObject *talkers = PyList_New(0), *others = PyList_New(0), *result = NULL;
    if (talkers == NULL || others == NULL)
        goto done;
    Py_ssize_t pos = 0, known = 0;
    PyObject *name;
    Py_hash_t hash;
    PyObject *chans = PyList_New(0);
    if (chans == NULL)
        goto done;
    while (_PySet_NextEntry(members, &pos, &name, &hash)) {
        PyObject *chan = PyDict_GetItemWithError(self->by_name, name); /* borrowed */
        if ((chan == NULL && PyErr_Occurred()) || (chan != NULL && PyList_Append(chans, chan) < 0)) {
            Py_DECREF(chans);
            goto done;
        }
    }
    known = PyList_GET_SIZE(chans);
    for (Py_ssize_t i = 0; i < known; i++) {
        PyObject *chan = PyList_GET_ITEM(chans, i);
        int r = truth_of(chan, &Channel_agent_id);
        if (r < 0 || PyList_Append(r ? talkers : others, chan) < 0) {
            Py_DECREF(chans);
            goto done;
        }
    }
    Py_DECREF(chans);
    if (known >= 2)
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(talkers); i++)
            if (talker_answers(self, PyList_GET_ITEM(talkers, i), others, at) < 0)
                goto done;
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(talkers);
    Py_XDECREF(others);
    return result;
}

static PyObject *
ChannelBook_bridge_enter(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 3);
    if (ok <= 0 || !PyUnicode_GET_LENGTH(args[1]))
        return ok < 0 ? NULL : to_python(self->on_bridge_enter, args, nargs);
    PyObject *name = args[1], *bridge = args[2];
    PyObject *members = Py_XNewRef(PyDict_GetItemWithError(self->bridges, bridge));
    if (members == NULL) {
        if (PyErr_Occurred())
            return NULL;
        if ((members = PySet_New(NULL)) == NULL)
            return NULL;
        if (PyDict_SetItem(self->bridges, bridge, members) < 0)
            goto error;
    }
    else if (!PySet_CheckExact(members)) {
        Py_DECREF(members);
        return to_python(self->on_bridge_enter, args, nargs);
    }
    if (PySet_Add(members, name) < 0)
        goto error;
    PyObject *chan = PyDict_GetItemWithError(self->by_name, name);
    if (chan == NULL && PyErr_Occurred())
        goto error;
    if (chan != NULL && slot_set(chan, &Channel_bridge, bridge) < 0)
        goto error;
    /* _check_answer does nothing for a bridge of fewer than two channels the model knows */
    Py_ssize_t known = 0, pos = 0;
    PyObject *member;
    Py_hash_t hash;
    while (known < 2 && _PySet_NextEntry(members, &pos, &member, &hash)) {
        int r = PyDict_Contains(self->by_name, member);
        if (r < 0)
            goto error;
        known += r;
    }
    PyObject *result = known < 2 ? Py_NewRef(Py_None) : check_answer(self, members, bridge, args[0]);
    Py_DECREF(members);
    return result;
error:
    Py_DECREF(members);
    return NULL;
}

static PyObject *
ChannelBook_bridge_leave(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 3);
    if (ok <= 0 || !PyUnicode_GET_LENGTH(args[1]))
        return ok < 0 ? NULL : to_python(self->on_bridge_leave, args, nargs);
    PyObject *name = args[1], *bridge = args[2];
    PyObject *members = PyDict_GetItemWithError(self->bridges, bridge);
    if (members == NULL && PyErr_Occurred())
        return NULL;
    if (members != NULL) {
        Py_INCREF(members);
        int r = discard(members, name);
        Py_ssize_t left = r < 0 ? 0 : PyObject_Length(members);
        Py_DECREF(members);
        if (r < 0 || left < 0)
            return NULL;
        if (left == 0 && PyDict_DelItem(self->bridges, bridge) < 0)
            return NULL;
    }
    PyObject *chan = PyDict_GetItemWithError(self->by_name, name);
    if (chan == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    Py_INCREF(chan);
    PyObject *now = slot_get(chan, &Channel_bridge);
    int same = now == NULL ? -1 : str_eq(now, bridge);
    Py_XDECREF(now);
    if (same > 0)
        same = slot_set(chan, &Channel_bridge, str_empty) < 0 ? -1 : 0;
    Py_DECREF(chan);
    return same < 0 ? NULL : Py_NewRef(Py_None);
}

/* NewCallerid, one for each of a call's channels: nothing to do unless the call is inbound and lacks
 * a caller ID this leg shows; then, if the leg is the customer's (_customer_leg), the call takes it
 * (_caller_from), as in newchannel. */
static PyObject *
ChannelBook_newcallerid(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 6);
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_newcallerid, args, nargs);
    PyObject *linkedid = args[1], *uid = args[2], *name = args[3], *num = args[4], *cname = args[5];
    /* _known, as the handler has it inline */
    PyObject *key = PyDict_GetItemWithError(self->aliases, linkedid);
    if (key == NULL && PyErr_Occurred())
        return NULL;
    PyObject *call = PyDict_GetItemWithError(self->calls, key != NULL ? key : linkedid);
    if (call == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    Py_INCREF(call);
    PyObject *result = NULL, *call_id = NULL, *cc = NULL;
    int r = attr_is(call, &Call_direction, str_inbound);
    if (r > 0 && (r = news_of(self, call, &Call_caller, num)) == 0)
        r = news_of(self, call, &Call_caller_name, cname);
    if (r <= 0) {
        result = r < 0 ? NULL : Py_NewRef(Py_None);
        goto done;
    }
    /* whether the leg is an agent's: the channel, if the model has it, names one */
    PyObject *chan = PyDict_GetItemWithError(self->channels, uid);
    if (chan == NULL && PyErr_Occurred())
        goto done;
    int agents = 0;
    if (chan != NULL) {
        Py_INCREF(chan);
        agents = truth_of(chan, &Channel_agent_id);
        Py_DECREF(chan);
        if (agents < 0)
            goto done;
    }
    if ((call_id = slot_get(call, &Call_call_id)) == NULL || (cc = slot_get(call, &Call_customer_channel)) == NULL)
        goto done;
    if (!PyUnicode_CheckExact(cc)) {
        result = to_python(self->on_newcallerid, args, nargs);
        goto done;
    }
    int first = str_eq(uid, call_id);
    if (first < 0 || (r = customer_leg(self, call, linkedid, first, name, agents, cc)) < 0)
        goto done;
    /* _caller_from */
    if (r && ((r = news_of(self, call, &Call_caller, num)) < 0 || (r && slot_set(call, &Call_caller, num) < 0) ||
              (r = news_of(self, call, &Call_caller_name, cname)) < 0 ||
              (r && slot_set(call, &Call_caller_name, cname) < 0)))
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(cc);
    Py_XDECREF(call_id);
    Py_DECREF(call);
    return result;
}

/* ---- the queue's ring and answer (QueueCallEvents._on_AgentCalled, _on_AgentConnect) ----
 *
 * Each a Python handler with two helper frames (_known, _agent_of, and AgentBook.get under it) on
 * every call. Written out here only while the agents are read from their dict (agents_by_id) and
 * the states were given; what they lead to (_transition, _offer, _answered, _queue_answered) is
 * the model's Python, called in the same order. */

static PyObject *round3(PyObject *module, PyObject *x);

/* _known(linkedid) and _agent_of(member, interface), both asked as there: the call and the agent,
 * each a new reference or NULL when there is none; 0, or -1 with the exception set */
static int
call_and_agent(ChannelBook *self, PyObject *linkedid, PyObject *member, PyObject *interface, PyObject **call,
               PyObject **agent)
{
    *call = *agent = NULL;
    PyObject *key = PyDict_GetItemWithError(self->aliases, linkedid); /* borrowed */
    if (key == NULL && PyErr_Occurred())
        return -1;
    *call = Py_XNewRef(PyDict_GetItemWithError(self->calls, key != NULL ? key : linkedid));
    if (*call == NULL && PyErr_Occurred())
        return -1;
    if (PyUnicode_GET_LENGTH(member)) {
        *agent = Py_XNewRef(PyDict_GetItemWithError(self->agents_by_id, member));
        if (*agent == NULL && PyErr_Occurred())
            goto error;
    }
    if (*agent == NULL && PyUnicode_GET_LENGTH(interface)) {
        if ((*agent = PyObject_CallMethodOneArg(self->agents, str_by_interface, interface)) == NULL)
            goto error;
        if (*agent == Py_None)
            Py_CLEAR(*agent);
    }
    return 0;
error:
    Py_CLEAR(*call);
    return -1;
}

/* whether the C code does this handler: the agents by id and the states known (0: the Python
 * handler's, -1: an error) */
static int
queue_book_args(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 6);
    return ok <= 0 ? ok : self->agents_by_id != Py_None && self->ringing != NULL;
}

static PyObject *
ChannelBook_agent_called(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = queue_book_args(self, args, nargs);
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_agent_called, args, nargs);
    PyObject *at = args[0], *queue = args[4], *channel = args[5];
    PyObject *call, *agent, *result = NULL, *ringing = NULL, *offered = NULL, *agent_id = NULL, *state = NULL,
                            *call_id = NULL, *value = NULL;
    if (call_and_agent(self, args[1], args[2], args[3], &call, &agent) < 0)
        return NULL;
    if (call == NULL || agent == NULL) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if ((ringing = slot_get(call, &Call_ringing)) == NULL || (offered = slot_get(call, &Call_agents_offered)) == NULL ||
        (agent_id = slot_get(agent, &Agent_agent_id)) == NULL)
        goto done;
    if (!PySet_CheckExact(ringing) || !PyList_CheckExact(offered)) { /* not as the model makes them */
        result = to_python(self->on_agent_called, args, nargs);
        goto done;
    }
    /* the ring: since when, whom, offered to whom */
    int r = truth_of(call, &Call_ringing_at);
    if (r < 0 || (!r && slot_set(call, &Call_ringing_at, at) < 0) || PySet_Add(ringing, agent_id) < 0 ||
        (r = PySequence_Contains(offered, agent_id)) < 0 || (!r && PyList_Append(offered, agent_id) < 0))
        goto done;
    /* if agent.state != RINGING or agent.call_id != call.call_id: _transition(agent, "offer", ...) */
    if ((state = slot_get(agent, &Agent_state)) == NULL || (call_id = slot_get(call, &Call_call_id)) == NULL ||
        (r = PyObject_RichCompareBool(state, self->ringing, Py_NE)) < 0)
        goto done;
    if (!r) {
        if ((value = slot_get(agent, &Agent_call_id)) == NULL || (r = PyObject_RichCompareBool(value, call_id, Py_NE)) < 0)
            goto done;
        Py_CLEAR(value);
    }
    if (r && model_do(self, str_transition, agent, tr_offer, at, call_id) < 0)
        goto done;
    /* _offer(call, agent.agent_id, at, queue, consult=channel in call.consult_legs) */
    if ((value = slot_get(call, &Call_consult_legs)) == NULL || (r = PySequence_Contains(value, channel)) < 0)
        goto done;
    PyObject *argv[6] = {self->model, call, agent_id, at, queue, r ? Py_True : Py_False};
    result = PyObject_VectorcallMethod(str_offer_method, argv, 5, kw_consult);
done:
    Py_XDECREF(call);
    Py_XDECREF(agent);
    Py_XDECREF(ringing);
    Py_XDECREF(offered);
    Py_XDECREF(agent_id);
    Py_XDECREF(state);
    Py_XDECREF(call_id);
    Py_XDECREF(value);
    return result;
}

static PyObject *
ChannelBook_agent_connect(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = queue_book_args(self, args, nargs);
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_agent_connect, args, nargs);
    PyObject *at = args[0], *hold_time = args[4], *channel = args[5];
    PyObject *call, *agent, *result = NULL, *ringing = NULL, *agent_id = NULL, *others = NULL, *call_id = NULL,
                            *value = NULL, *waited = NULL;
    if (call_and_agent(self, args[1], args[2], args[3], &call, &agent) < 0)
        return NULL;
    if (call == NULL || agent == NULL) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    if ((ringing = slot_get(call, &Call_ringing)) == NULL || (agent_id = slot_get(agent, &Agent_agent_id)) == NULL)
        goto done;
    if (!PySet_CheckExact(ringing)) { /* not as the model makes it */
        result = to_python(self->on_agent_connect, args, nargs);
        goto done;
    }
    /* the answer ends the others' rings: each still ringing is cancelled */
    if (PySet_Discard(ringing, agent_id) < 0 || (others = PySequence_List(ringing)) == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(others); i++) {
        PyObject *other = PyDict_GetItemWithError(self->agents_by_id, PyList_GET_ITEM(others, i)); /* borrowed */
        if (other == NULL) {
            if (PyErr_Occurred())
                goto done;
            continue;
        }
        Py_INCREF(other);
        int r = attr_is(other, &Agent_state, self->ringing);
        r = r <= 0 ? r : model_do(self, str_transition, other, tr_cancel_ring, at, NULL);
        Py_DECREF(other);
        if (r < 0)
            goto done;
    }
    /* call.ringing.clear(), the set read again */
    if ((value = slot_get(call, &Call_ringing)) == NULL)
        goto done;
    if (PySet_CheckExact(value)) {
        if (PySet_Clear(value) < 0)
            goto done;
    }
    else {
        PyObject *cleared = PyObject_CallMethod(value, "clear", NULL);
        if (cleared == NULL)
            goto done;
        Py_DECREF(cleared);
    }
    Py_CLEAR(value);
    if ((call_id = slot_get(call, &Call_call_id)) == NULL ||
        model_do(self, str_transition, agent, tr_answer, at, call_id) < 0)
        goto done;
    int r = truth_of(call, &Call_answered_at);
    if (r < 0)
        goto done;
    if (!r) {
        /* _answered(call, agent.agent_id, at, float(hold_time or 0)), then the wait since queued */
        value = PyUnicode_GET_LENGTH(hold_time) ? PyFloat_FromString(hold_time) : PyFloat_FromDouble(0.0);
        if (value == NULL || model_do(self, str_answered_method, call, agent_id, at, value) < 0)
            goto done;
        Py_CLEAR(value);
        if ((r = attr_truth(call, &Call_queued_at, &value)) < 0)
            goto done;
        if (r) {
            PyObject *since = PyNumber_Subtract(at, value);
            waited = since == NULL ? NULL : round3(NULL, since);
            Py_XDECREF(since);
            if (waited == NULL || slot_set(call, &Call_waited, waited) < 0)
                goto done;
        }
    }
    else {
        /* handed to this queue after an answer: its answer, unless a consultation's leg */
        if ((value = slot_get(call, &Call_consult_legs)) == NULL || (r = PySequence_Contains(value, channel)) < 0 ||
            (!r && model_do(self, str_queue_answered, call, agent_id, at, NULL) < 0))
            goto done;
    }
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(call);
    Py_XDECREF(agent);
    Py_XDECREF(ringing);
    Py_XDECREF(agent_id);
    Py_XDECREF(others);
    Py_XDECREF(call_id);
    Py_XDECREF(value);
    Py_XDECREF(waited);
    return result;
}

/* ---- the caller's join (QueueCallEvents._on_QueueCallerJoin) ----
 *
 * A Python handler with _call_for, _consult_leg_of (and _consulting_holder), _caller_from, _queued,
 * _open_leg and _start under it, once per queued call. Written out here, in the same order: the call
 * found or made, the caller ID taken, the way in (inbound) and the caller's channel set, the queue leg
 * opened (a new queue after another: that one's overflow, by the model's _close_leg), the model's
 * on_queued told, _start asked while the call's start is not published, the board's join and the
 * CallQueued. A consultation's leg joining (the channel one of the call's consult_legs, or the
 * call's agent consulting) and a call known from before a restart (its queue but no leg heard) are
 * the Python handler's, asked before anything changes. */

static PyObject *str_notify, *str_overflow, *str_append; /* interned with AgentMoves', QueueDesk's, Handover's names */
MODEL_SLOT(Call_ivr_path, str_ivr_path);
MODEL_SLOT(Call_outcome, str_outcome);
MODEL_SLOT(Call_started_published, str_started_published);
MODEL_SLOT(QueueLeg_queue, str_queue);
MODEL_SLOT(QueueLeg_gave_up_at, str_gave_up_at);

/* int(text or 0), as the handler reads Position and Priority: a new reference, NULL with int's error */
static PyObject *
int_or_zero(PyObject *text)
{
    return PyUnicode_GET_LENGTH(text) ? PyLong_FromUnicodeObject(text, 10) : PyLong_FromLong(0);
}

/* seq.append(item): a list's own, or the object's append */
static int
append_to(PyObject *seq, PyObject *item)
{
    if (PyList_CheckExact(seq))
        return PyList_Append(seq, item);
    PyObject *r = PyObject_CallMethodOneArg(seq, str_append, item);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* whether the Python handler is to do the join (1), read before anything changes: the channel a
 * consultation's leg (in consult_legs, or the call's agent consulting: _consult_leg_of decides), or a
 * call known from before a restart, its queue but no leg heard (_open_leg makes one); 0 for the C
 * code, with *legs the call's queue_legs (a list, a new reference); -1 error */
static int
join_is_python(ChannelBook *self, PyObject *call, PyObject *channel, PyObject **legs)
{
    *legs = NULL;
    PyObject *value = slot_get(call, &Call_consult_legs);
    int r = value == NULL ? -1 : PySequence_Contains(value, channel);
    Py_XDECREF(value);
    if (r != 0)
        return r;
    if ((value = slot_get(call, &Call_agent_id)) == NULL)
        return -1;
    PyObject *holder = PyDict_GetItemWithError(self->agents_by_id, value); /* borrowed */
    Py_DECREF(value);
    if (holder == NULL && PyErr_Occurred())
        return -1;
    if (holder != NULL && (r = truth_of(holder, &Agent_consult)) != 0)
        return r;
    if ((*legs = slot_get(call, &Call_queue_legs)) == NULL)
        return -1;
    if (!PyList_CheckExact(*legs))
        return 1;
    if (PyList_GET_SIZE(*legs) == 0 && (r = truth_of(call, &Call_queue)) != 0 &&
        (r < 0 || (r = truth_of(call, &Call_queued_at)) != 0))
        return r;
    return 0;
}

/* _queued(call, channel, queue, position, priority, at, joined=True), the call's queue_legs a list
 * and none of them made here: 0, or -1 with the exception set */
static int
queued(ChannelBook *self, PyObject *call, PyObject *legs, PyObject *channel, PyObject *queue,
       PyObject *position, PyObject *priority, PyObject *at)
{
    PyObject *waiting = NULL, *value = NULL, *leg = NULL, *call_id = NULL, *event = NULL;
    int rc = -1, r = 0;
    /* _open_leg: the last leg, while it has no outcome */
    Py_ssize_t n = PyList_GET_SIZE(legs);
    if (n) {
        waiting = Py_NewRef(PyList_GET_ITEM(legs, n - 1));
        if ((r = truth_of(waiting, &QueueLeg_outcome)) < 0)
            goto done;
        if (r)
            Py_CLEAR(waiting);
    }
    if (waiting != NULL && (value = slot_get(waiting, &QueueLeg_queue)) == NULL)
        goto done;
    if (waiting != NULL && (r = str_eq(value, queue)) != 0) {
        /* the same wait heard again: no new leg */
        if (r < 0 || slot_set(call, &Call_queue, queue) < 0)
            goto done;
    }
    else {
        Py_CLEAR(value);
        if (waiting != NULL) {
            /* left unanswered for this queue: that queue's overflow (once: the dialplan's
             * HotlineOverflow may have said so already) */
            if ((r = attr_truth(waiting, &QueueLeg_gave_up_at, &value)) < 0 ||
                model_do(self, str_close_leg, call, waiting, str_overflow, r ? value : at) < 0)
                goto done;
            Py_CLEAR(value);
        }
        /* if call.queue and call.queue != queue: call.ivr_path.append(f"overflow:{call.queue}") */
        if ((r = attr_truth(call, &Call_queue, &value)) < 0)
            goto done;
        int same = r ? str_eq(value, queue) : 1;
        if (same < 0)
            goto done;
        if (!same) {
            PyObject *text = PyObject_Format(value, NULL);
            PyObject *step = text == NULL ? NULL : PyUnicode_Concat(str_overflow_at, text);
            PyObject *path = step == NULL ? NULL : slot_get(call, &Call_ivr_path);
            r = path == NULL ? -1 : append_to(path, step);
            Py_XDECREF(text);
            Py_XDECREF(step);
            Py_XDECREF(path);
            if (r < 0)
                goto done;
        }
        Py_CLEAR(value);
        /* a new queue leg: its own answer or abandon decides */
        if (slot_set(call, &Call_outcome, str_empty) < 0 || slot_set(call, &Call_queue, queue) < 0 ||
            slot_set(call, &Call_queued_at, at) < 0)
            goto done;
        PyObject *made[3] = {NULL, queue, at};
        if ((leg = PyObject_Vectorcall(self->queue_leg_type, made + 1, PY_VECTORCALL_ARGUMENTS_OFFSET,
                                       kw_queue_leg)) == NULL ||
            (value = slot_get(call, &Call_queue_legs)) == NULL || append_to(value, leg) < 0)
            goto done;
    }
    Py_CLEAR(value);
    /* if joined and self.on_queued: self.on_queued(call, channel) */
    if ((value = PyObject_GetAttr(self->model, str_on_queued)) == NULL || (r = PyObject_IsTrue(value)) < 0)
        goto done;
    if (r) {
        PyObject *argv[2] = {call, channel};
        PyObject *said = PyObject_Vectorcall(value, argv, 2, NULL);
        if (said == NULL)
            goto done;
        Py_DECREF(said);
    }
    Py_CLEAR(value);
    /* _start(call): only while its start is not published (what _start looks at first) */
    if ((r = truth_of(call, &Call_started_published)) < 0 || (!r && model_do(self, str_start_method, call, NULL, NULL, NULL) < 0))
        goto done;
    /* self.queues.join(call.queue, call.call_id, at) */
    if ((value = slot_get(call, &Call_queue)) == NULL || (call_id = slot_get(call, &Call_call_id)) == NULL)
        goto done;
    PyObject *join[4] = {self->queues, value, call_id, at};
    PyObject *joined = PyObject_VectorcallMethod(str_join_queue, join, 4, NULL);
    if (joined == NULL)
        goto done;
    Py_DECREF(joined);
    Py_CLEAR(value);
    /* self.notify(CallQueued.make(call_id=, queue=call.queue, position=, priority=, queued_at=at)) */
    if ((value = slot_get(call, &Call_queue)) == NULL)
        goto done;
    PyObject *fields[6] = {NULL, call_id, value, position, priority, at}; /* kw_call_queued's order */
    if ((event = PyObject_Vectorcall(self->call_queued, fields + 1, PY_VECTORCALL_ARGUMENTS_OFFSET, kw_call_queued)) == NULL)
        goto done;
    Py_CLEAR(value);
    if ((value = PyObject_GetAttr(self->model, str_notify)) == NULL)
        goto done;
    PyObject *told = PyObject_CallOneArg(value, event);
    if (told == NULL)
        goto done;
    Py_DECREF(told);
    rc = 0;
done:
    Py_XDECREF(waiting);
    Py_XDECREF(value);
    Py_XDECREF(leg);
    Py_XDECREF(call_id);
    Py_XDECREF(event);
    return rc;
}

static PyObject *
ChannelBook_queue_caller_join(ChannelBook *self, PyObject *const *args, Py_ssize_t nargs)
{
    int ok = book_args(self, args, nargs, 8);
    if (ok > 0)
        ok = self->agents_by_id != Py_None && self->call_queued != NULL;
    if (ok <= 0)
        return ok < 0 ? NULL : to_python(self->on_queue_caller_join, args, nargs);
    PyObject *at = args[0], *linkedid = args[1], *num = args[2], *cname = args[3], *channel = args[4],
             *queue = args[5];
    /* _call_for: none for no id or an ended call */
    if (!PyUnicode_GET_LENGTH(linkedid))
        Py_RETURN_NONE;
    int r = PyDict_Contains(self->ended, linkedid);
    if (r != 0)
        return r < 0 ? NULL : Py_NewRef(Py_None);
    PyObject *call, *legs = NULL, *direction = NULL, *position = NULL, *priority = NULL, *result = NULL;
    if ((r = call_for(self, linkedid, at, &call)) <= 0)
        return r < 0 ? NULL : to_python(self->on_queue_caller_join, args, nargs);
    if ((r = join_is_python(self, call, channel, &legs)) != 0) {
        result = r < 0 ? NULL : to_python(self->on_queue_caller_join, args, nargs);
        goto done;
    }
    /* the caller's: their caller ID (not on an outbound call's), the way in, their channel */
    if ((direction = slot_get(call, &Call_direction)) == NULL || (r = str_eq(direction, str_outbound)) < 0)
        goto done;
    if (!r && ((r = news_of(self, call, &Call_caller, num)) < 0 || (r && slot_set(call, &Call_caller, num) < 0) ||
               (r = news_of(self, call, &Call_caller_name, cname)) < 0 ||
               (r && slot_set(call, &Call_caller_name, cname) < 0)))
        goto done;
    if ((r = str_eq(direction, str_internal)) < 0 || (r && slot_set(call, &Call_direction, str_inbound) < 0) ||
        slot_set(call, &Call_customer_channel, channel) < 0)
        goto done;
    if ((position = int_or_zero(args[6])) == NULL || (priority = int_or_zero(args[7])) == NULL ||
        queued(self, call, legs, channel, queue, position, priority, at) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_DECREF(call);
    Py_XDECREF(legs);
    Py_XDECREF(direction);
    Py_XDECREF(position);
    Py_XDECREF(priority);
    return result;
}

static PyMethodDef ChannelBook_methods[] = {
    {"newchannel", (PyCFunction)(void (*)(void))ChannelBook_newchannel, METH_FASTCALL,
     "newchannel(at, linkedid, uid, name, context, exten, num, cname): ChannelEvents._on_Newchannel"},
    {"hangup", (PyCFunction)(void (*)(void))ChannelBook_hangup, METH_FASTCALL,
     "hangup(at, uid, cause): ChannelEvents._on_Hangup"},
    {"bridge_enter", (PyCFunction)(void (*)(void))ChannelBook_bridge_enter, METH_FASTCALL,
     "bridge_enter(at, name, bridge): ChannelEvents._on_BridgeEnter"},
    {"bridge_leave", (PyCFunction)(void (*)(void))ChannelBook_bridge_leave, METH_FASTCALL,
     "bridge_leave(at, name, bridge): ChannelEvents._on_BridgeLeave"},
    {"newcallerid", (PyCFunction)(void (*)(void))ChannelBook_newcallerid, METH_FASTCALL,
     "newcallerid(at, linkedid, uid, name, num, cname): ChannelEvents._on_NewCallerid"},
    {"agent_called", (PyCFunction)(void (*)(void))ChannelBook_agent_called, METH_FASTCALL,
     "agent_called(at, linkedid, member, interface, queue, channel): QueueCallEvents._on_AgentCalled"},
    {"agent_connect", (PyCFunction)(void (*)(void))ChannelBook_agent_connect, METH_FASTCALL,
     "agent_connect(at, linkedid, member, interface, hold_time, channel): QueueCallEvents._on_AgentConnect"},
    {"queue_caller_join", (PyCFunction)(void (*)(void))ChannelBook_queue_caller_join, METH_FASTCALL,
     "queue_caller_join(at, linkedid, num, cname, channel, queue, position, priority): "
     "QueueCallEvents._on_QueueCallerJoin"},
    {NULL},
};

static PyTypeObject ChannelBookType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cti.ami._speedups.ChannelBook",
    .tp_doc = PyDoc_STR("ChannelBook(model, channel_type, call_type, unknown, logged_out, offerable, inbound, "
                        "outbound, agents_by_id, agents_by_prefix=None): the call model's "
                        "Newchannel, Hangup, BridgeEnter, BridgeLeave and NewCallerid bookkeeping"),
    .tp_basicsize = sizeof(ChannelBook),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)ChannelBook_init,
    .tp_dealloc = (destructor)ChannelBook_dealloc,
    .tp_traverse = (traverseproc)ChannelBook_traverse,
    .tp_clear = (inquiry)ChannelBook_clear,
    .tp_methods = ChannelBook_methods,
};

/* ---------------------------------------------------------------- AgentMoves */

/* cti.agents.AgentBook.apply(agent, trigger, at, *, reason="", call_id=""): the agent moved by the
 * table (TRANSITIONS), the targets that depend on it worked out as next_state does, its state,
 * reason, call and since written, the book's watchers told of a new state, the AgentStateChanged
 * made and handed to the book's notify (read at each call, as the Python reads self.notify) and
 * returned; None when nothing changed. A transition the table lacks goes to next_state, which
 * raises InvalidTransition; a call with other arguments goes to the Python apply. */
typedef struct {
    PyObject_HEAD
    PyObject *book;        /* the AgentBook */
    PyObject *transitions; /* TRANSITIONS */
    PyObject *watchers;    /* the book's _watchers (a list: watch appends to it) */
    PyObject *next_state;  /* agents.next_state */
    PyObject *make;        /* AgentStateChanged.make */
    PyObject *fallback;    /* AgentBook.apply, the Python one */
    PyObject *words;       /* the module's states, the targets that depend on the agent, the reasons */
    vectorcallfunc vectorcall;
} AgentMoves;
#define AgentMoves_OBJECTS(X) X(book) X(transitions) X(watchers) X(next_state) X(make) X(fallback) X(words)

/* ``words``, in the order cti.agents passes them */
#define AGENT_WORDS 13
#define st_logged_out w[0]
#define st_not_ready w[1]
#define st_ready w[2]
#define st_ringing w[3]
#define st_talking w[4]
#define st_on_hold w[5]
#define st_acw w[6]
#define to_back w[7]
#define to_after_call w[8]
#define to_after_acw w[9]
#define why_missed w[10]
#define why_acw w[11]
#define why_login w[12]

static PyObject *tr_miss, *tr_cancel, *tr_end, *tr_acw_done, *tr_login, *str_reason, *str_since, *str_before_call,
    *str_before_call_reason, *str_skills, *str_interface, *str_notify, *str_acw_seconds, *float_zero,
    *kw_state_changed;

static int
AgentMoves_init(AgentMoves *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"book", "transitions", "watchers", "next_state", "make", "fallback", "words", NULL};
    PyObject *book, *transitions, *watchers, *next_state, *make, *fallback, *words;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!O!OOOO!:AgentMoves", kwlist, &book, &PyDict_Type,
                                     &transitions, &PyList_Type, &watchers, &next_state, &make, &fallback,
                                     &PyTuple_Type, &words))
        return -1;
    if (PyTuple_GET_SIZE(words) != AGENT_WORDS) {
        PyErr_Format(PyExc_ValueError, "words: %d of them", AGENT_WORDS);
        return -1;
    }
    Py_XSETREF(self->words, Py_NewRef(words));
    Py_XSETREF(self->book, Py_NewRef(book));
    Py_XSETREF(self->transitions, Py_NewRef(transitions));
    Py_XSETREF(self->watchers, Py_NewRef(watchers));
    Py_XSETREF(self->next_state, Py_NewRef(next_state));
    Py_XSETREF(self->make, Py_NewRef(make));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    return 0;
}

/* a == b as Python's == (identity first; two distinct interned str differ): 1, 0, -1 error */
static inline int
same(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (PyUnicode_CheckExact(a) && PyUnicode_CheckExact(b) && PyUnicode_CHECK_INTERNED(a) &&
        PyUnicode_CHECK_INTERNED(b))
        return 0;
    return PyObject_RichCompareBool(a, b, Py_EQ);
}

/* what AgentMoves reads and writes of an Agent (the ChannelBook's are above) */
MODEL_SLOT(Agent_before_call, str_before_call);
MODEL_SLOT(Agent_before_call_reason, str_before_call_reason);
MODEL_SLOT(Agent_interface, str_interface);
MODEL_SLOT(Agent_reason, str_reason);
MODEL_SLOT(Agent_since, str_since);
MODEL_SLOT(Agent_skills, str_skills);

/* agents.after_acw(agent): (state, reason) as two new references; 0, or -1 with the exception */
static int
after_acw(PyObject *const *w, PyObject *agent, PyObject **state, PyObject **reason)
{
    PyObject *before = slot_get(agent, &Agent_before_call);
    if (before == NULL)
        return -1;
    int r = same(before, st_not_ready);
    Py_DECREF(before);
    if (r < 0)
        return -1;
    if (r) {
        PyObject *why = slot_get(agent, &Agent_before_call_reason);
        if (why == NULL)
            return -1;
        if ((r = PyObject_IsTrue(why)) != 0) {
            if (r < 0) {
                Py_DECREF(why);
                return -1;
            }
            *state = Py_NewRef(st_not_ready);
            *reason = why;
            return 0;
        }
        Py_DECREF(why);
    }
    *state = Py_NewRef(st_ready);
    *reason = Py_NewRef(str_empty);
    return 0;
}

static PyObject *
AgentMoves_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    AgentMoves *self = (AgentMoves *)callable;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf), nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *reason = str_empty, *call_id = str_empty;
    if (nargs != 3)
        goto python;
    for (Py_ssize_t k = 0; k < nkw; k++) {
        /* the caller's keywords are interned, as the names here are: the same objects */
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        if (key == str_reason || (key != str_call_id && PyUnicode_Compare(key, str_reason) == 0))
            reason = args[nargs + k];
        else if (key == str_call_id || PyUnicode_Compare(key, str_call_id) == 0)
            call_id = args[nargs + k];
        else
            goto python; /* the Python apply raises what it raises */
    }
    PyObject *const *w = &PyTuple_GET_ITEM(self->words, 0);
    PyObject *agent = args[0], *trigger = args[1], *at = args[2];
    PyObject *state = NULL, *target = NULL, *why = NULL, *new_call = NULL, *since = NULL, *seconds = NULL,
             *result = NULL, *event = NULL, *values[9] = {NULL};
    int r;
    if ((state = slot_get(agent, &Agent_state)) == NULL)
        return NULL;
    PyObject *key = PyTuple_Pack(2, state, trigger);
    if (key == NULL)
        goto done;
    target = Py_XNewRef(PyDict_GetItemWithError(self->transitions, key));
    Py_DECREF(key);
    if (target == NULL && PyErr_Occurred())
        goto done;
    /* next_state, where the target depends on the agent (or is refused: it raises) */
    if (target == NULL) {
        PyObject *acw = PyObject_GetAttr(self->book, str_acw_seconds), *on = NULL;
        if (acw == NULL || (on = PyObject_RichCompare(acw, float_zero, Py_GT)) == NULL) {
            Py_XDECREF(acw);
            goto done;
        }
        Py_DECREF(acw);
        PyObject *call[3] = {agent, trigger, on};
        target = PyObject_Vectorcall(self->next_state, call, 3, NULL);
        Py_DECREF(on);
        if (target == NULL)
            goto done;
    }
    else {
        int back = same(target, to_back);
        int after_call = back == 0 ? same(target, to_after_call) : 0;
        int after = back == 0 && after_call == 0 ? same(target, to_after_acw) : 0;
        if (back < 0 || after_call < 0 || after < 0)
            goto done;
        if (after_call) { /* after-call work when it is on, else back to before the call */
            PyObject *acw = PyObject_GetAttr(self->book, str_acw_seconds);
            if (acw == NULL)
                goto done;
            r = PyObject_RichCompareBool(acw, float_zero, Py_GT);
            Py_DECREF(acw);
            if (r < 0)
                goto done;
            if (r)
                Py_SETREF(target, Py_NewRef(st_acw));
            else
                back = 1;
        }
        if (back) {
            Py_SETREF(target, slot_get(agent, &Agent_before_call));
            if (target == NULL)
                goto done;
        }
        if (after) {
            PyObject *chosen, *ignored;
            if (after_acw(w, agent, &chosen, &ignored) < 0)
                goto done;
            Py_DECREF(ignored);
            Py_SETREF(target, chosen);
        }
    }
    /* the reason */
    if ((r = same(trigger, tr_miss)) != 0) {
        if (r < 0)
            goto done;
        why = Py_NewRef(why_missed);
    }
    else if ((r = same(target, st_acw)) != 0) {
        if (r < 0)
            goto done;
        why = Py_NewRef(why_acw);
    }
    else if ((r = same(target, st_not_ready)) != 0) {
        if (r < 0)
            goto done;
        int back = same(trigger, tr_cancel);
        if (back == 0)
            back = same(trigger, tr_end);
        if (back == 0)
            back = same(trigger, tr_acw_done);
        if (back < 0)
            goto done;
        if (back)
            why = slot_get(agent, &Agent_before_call_reason);
        else if ((r = same(trigger, tr_login)) != 0) {
            int given = r < 0 ? -1 : PyObject_IsTrue(reason);
            if (given < 0)
                goto done;
            why = Py_NewRef(given ? reason : why_login);
        }
        else
            why = Py_NewRef(reason);
        if (why == NULL)
            goto done;
    }
    else
        why = Py_NewRef(str_empty);
    /* where the agent was before the call: a call found it off one */
    int off_call = same(state, st_ready), onto_call;
    if (off_call == 0)
        off_call = same(state, st_not_ready);
    if (off_call == 0)
        off_call = same(state, st_acw);
    if (off_call < 0)
        goto done;
    if (off_call) {
        if ((onto_call = same(target, st_ringing)) == 0)
            onto_call = same(target, st_talking);
        if (onto_call < 0)
            goto done;
        if (onto_call) {
            PyObject *before, *before_reason;
            if ((r = same(state, st_acw)) < 0)
                goto done;
            if (r) { /* a call from after-call work ends where that work would have */
                if (after_acw(w, agent, &before, &before_reason) < 0)
                    goto done;
            }
            else {
                before = Py_NewRef(state);
                if ((r = same(state, st_not_ready)) < 0 ||
                    (before_reason = r ? slot_get(agent, &Agent_reason) : Py_NewRef(str_empty)) == NULL) {
                    Py_DECREF(before);
                    goto done;
                }
            }
            r = slot_set(agent, &Agent_before_call, before) < 0 ||
                slot_set(agent, &Agent_before_call_reason, before_reason) < 0;
            Py_DECREF(before);
            Py_DECREF(before_reason);
            if (r)
                goto done;
        }
    }
    /* the call: the one given, else the agent's while on a call or in its after-call work */
    if ((r = PyObject_IsTrue(call_id)) < 0)
        goto done;
    if (r)
        new_call = Py_NewRef(call_id);
    else {
        int keeps = same(target, st_ringing);
        if (keeps == 0)
            keeps = same(target, st_talking);
        if (keeps == 0)
            keeps = same(target, st_on_hold);
        if (keeps == 0)
            keeps = same(target, st_acw);
        if (keeps < 0)
            goto done;
        new_call = keeps ? slot_get(agent, &Agent_call_id) : Py_NewRef(str_empty);
        if (new_call == NULL)
            goto done;
    }
    /* nothing changed: nothing published (the state read again, as the Python reads it here) */
    PyObject *now = slot_get(agent, &Agent_state);
    if (now == NULL)
        goto done;
    r = same(target, now);
    Py_SETREF(state, now); /* ``previous`` */
    if (r < 0)
        goto done;
    if (r) {
        PyObject *had = slot_get(agent, &Agent_reason);
        r = had == NULL ? -1 : same(why, had);
        Py_XDECREF(had);
        if (r > 0) {
            had = slot_get(agent, &Agent_call_id);
            r = had == NULL ? -1 : same(new_call, had);
            Py_XDECREF(had);
        }
        if (r < 0)
            goto done;
        if (r) {
            result = Py_NewRef(Py_None);
            goto done;
        }
    }
    if ((since = slot_get(agent, &Agent_since)) == NULL)
        goto done;
    if (slot_set(agent, &Agent_state, target) < 0 || slot_set(agent, &Agent_reason, why) < 0 ||
        slot_set(agent, &Agent_call_id, new_call) < 0 || slot_set(agent, &Agent_since, at) < 0)
        goto done;
    if ((r = same(target, st_logged_out)) < 0)
        goto done;
    if (r) { /* signed out: in no queue */
        PyObject *skills = PyDict_New();
        r = skills == NULL ? -1 : slot_set(agent, &Agent_skills, skills);
        Py_XDECREF(skills);
        if (r < 0)
            goto done;
    }
    if ((r = same(target, state)) < 0)
        goto done;
    if (!r) /* each watcher, as a for loop over the list sees it (one may add another) */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(self->watchers); i++) {
            PyObject *watcher = Py_NewRef(PyList_GET_ITEM(self->watchers, i));
            PyObject *done_ = PyObject_CallOneArg(watcher, agent);
            Py_DECREF(watcher);
            if (done_ == NULL)
                goto done;
            Py_DECREF(done_);
        }
    /* max(0.0, at - since) if since else 0.0 */
    if ((r = PyObject_IsTrue(since)) < 0)
        goto done;
    if (r) {
        /* max keeps its first argument unless the other is greater */
        if ((seconds = PyNumber_Subtract(at, since)) == NULL ||
            (r = PyObject_RichCompareBool(seconds, float_zero, Py_GT)) < 0)
            goto done;
        if (!r)
            Py_SETREF(seconds, Py_NewRef(float_zero));
    }
    else
        seconds = Py_NewRef(float_zero);
    /* the event's fields, in the order the Python evaluates them (after the watchers) */
    if ((values[0] = slot_get(agent, &Agent_agent_id)) == NULL)
        goto done;
    values[1] = Py_NewRef(target);
    values[2] = Py_NewRef(state);
    values[3] = Py_NewRef(seconds);
    values[4] = Py_NewRef(why);
    values[5] = Py_NewRef(new_call);
    if ((values[6] = slot_get(agent, &Agent_interface)) == NULL)
        goto done;
    values[7] = Py_NewRef(at);
    PyObject *in_acw = slot_get(agent, &Agent_state);
    if (in_acw == NULL)
        goto done;
    r = same(in_acw, st_acw);
    Py_DECREF(in_acw);
    if (r < 0)
        goto done;
    if (r) {
        PyObject *ignored;
        if (after_acw(w, agent, &ignored, &values[8]) < 0)
            goto done;
        Py_DECREF(ignored);
    }
    else
        values[8] = Py_NewRef(Py_None);
    if ((event = PyObject_Vectorcall(self->make, values, 0, kw_state_changed)) == NULL)
        goto done;
    PyObject *notify = PyObject_GetAttr(self->book, str_notify);
    if (notify == NULL)
        goto done;
    PyObject *told = PyObject_CallOneArg(notify, event);
    Py_DECREF(notify);
    if (told == NULL)
        goto done;
    Py_DECREF(told);
    result = Py_NewRef(event);
done:
    for (int i = 0; i < 9; i++)
        Py_XDECREF(values[i]);
    Py_XDECREF(event);
    Py_XDECREF(seconds);
    Py_XDECREF(since);
    Py_XDECREF(new_call);
    Py_XDECREF(why);
    Py_XDECREF(target);
    Py_XDECREF(state);
    return result;
python: {
        /* AgentBook.apply(book, *args, **kwargs), the arguments as they came */
        PyObject *argv[16];
        if (nargs + nkw + 1 > 16)
            return PyErr_Format(PyExc_TypeError, "apply takes far fewer arguments");
        argv[0] = self->book;
        for (Py_ssize_t i = 0; i < nargs + nkw; i++)
            argv[i + 1] = args[i];
        return PyObject_Vectorcall(self->fallback, argv, (size_t)(nargs + 1), kwnames);
    }
}

static PyMemberDef AgentMoves_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(AgentMoves, vectorcall), READONLY, NULL},
    {NULL},
};

#undef st_logged_out
#undef st_not_ready
#undef st_ready
#undef st_ringing
#undef st_talking
#undef st_on_hold
#undef st_acw
#undef to_back
#undef to_after_call
#undef to_after_acw
#undef why_missed
#undef why_acw
#undef why_login

CALLABLE_TYPE(AgentMoves,
              "AgentMoves(book, transitions, watchers, next_state, make, fallback, words): AgentBook.apply in C",
              .tp_members = AgentMoves_members);

/* ---------------------------------------------------------------- Handover */

/* cti.publisher.Publisher.publish onto a cti.bus.InProcessBus (its hand_over_nowait, inline): while
 * the publisher holds nothing and the event was never published, the event is stamped in place
 * (the bus's next seq, its ts or the clock's time), kept in the bus's history and appended to each
 * plain subscriber's pending events (of its types), whose task is woken; a group's share goes to
 * the bus's _deliver_to_groups. An Exception on the way is logged as the publisher logs it
 * (``log.exception``) and goes no further. Anything else (events held, an event published before)
 * goes to the Python publish. The publisher's _held list and the bus's _groups dict are held here
 * (both change in place only); the bus's _plain, replaced when a subscriber comes or goes, is read
 * at each call. */
typedef struct {
    PyObject_HEAD
    PyObject *publisher, *fallback; /* the Publisher, and Publisher.publish (the Python one) */
    PyObject *held;                 /* the publisher's _held */
    PyObject *bus, *seq, *keep;     /* the InProcessBus, its _seq counter, its _history's append */
    PyObject *groups;               /* the bus's _groups */
    PyObject *clock;                /* the time module: its time() read at each call, as the Python reads it */
    PyObject *log;                  /* the publisher's logger: its exception() for a failure */
    vectorcallfunc vectorcall;
} Handover;
#define Handover_OBJECTS(X) X(publisher) X(fallback) X(held) X(bus) X(seq) X(keep) X(groups) X(clock) X(log)

static PyObject *str_seq, *str_ts, *str_plain, *str_deliver_to_groups, *str_types,
    *str_pending, *str_wakeup, *str_append, *str_done, *str_set_result, *str_publish_failed, *str_exception;

/* what it reads of the bus and its subscribers at each event (both have slots: see Slot) */
MODEL_SLOT(InProcessBus_plain, str_plain);
MODEL_SLOT(Subscription_types, str_types);
MODEL_SLOT(Subscription_pending, str_pending);
MODEL_SLOT(Subscription_wakeup, str_wakeup);

static int
Handover_init(Handover *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"publisher", "fallback", "bus", "clock", "log", NULL};
    PyObject *publisher, *fallback, *bus, *clock, *log;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OOOOO:Handover", kwlist, &publisher, &fallback, &bus, &clock,
                                     &log))
        return -1;
    PyObject *held = PyObject_GetAttrString(publisher, "_held"), *groups = PyObject_GetAttrString(bus, "_groups"),
             *seq = PyObject_GetAttrString(bus, "_seq"), *history = PyObject_GetAttrString(bus, "_history"),
             *keep = history == NULL ? NULL : PyObject_GetAttr(history, str_append);
    Py_XDECREF(history);
    if (held == NULL || groups == NULL || seq == NULL || keep == NULL || !PyList_CheckExact(held) ||
        !PyDict_CheckExact(groups)) {
        if (!PyErr_Occurred())
            PyErr_SetString(PyExc_TypeError, "the publisher's _held is a list, the bus's _groups a dict");
        Py_XDECREF(held);
        Py_XDECREF(groups);
        Py_XDECREF(seq);
        Py_XDECREF(keep);
        return -1;
    }
    Py_XSETREF(self->held, held);
    Py_XSETREF(self->groups, groups);
    Py_XSETREF(self->seq, seq);
    Py_XSETREF(self->keep, keep);
    Py_XSETREF(self->publisher, Py_NewRef(publisher));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    Py_XSETREF(self->bus, Py_NewRef(bus));
    Py_XSETREF(self->clock, Py_NewRef(clock));
    Py_XSETREF(self->log, Py_NewRef(log));
    return 0;
}

/* obj.method(arg) for its side effects: 0, or -1 with the exception set */
static int
call_method_one(PyObject *obj, PyObject *method, PyObject *arg)
{
    PyObject *r = PyObject_CallMethodOneArg(obj, method, arg);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* InProcessBus.hand_over_nowait's stamping and delivery of an event never published: 0 or -1 */
static int
hand_over(Handover *self, PyObject *event)
{
    PyObject *fields = PyObject_GenericGetDict(event, NULL), *number = NULL, *ts = NULL, *plain = NULL,
             *kept = NULL;
    int ok = -1, r;
    if (fields == NULL || (number = PyIter_Next(self->seq)) == NULL ||
        PyDict_SetItem(fields, str_seq, number) < 0 || (ts = PyObject_GetAttr(event, str_ts)) == NULL ||
        (r = PyObject_IsTrue(ts)) < 0)
        goto done;
    if (!r) {
        Py_SETREF(ts, PyObject_CallMethodNoArgs(self->clock, str_time));
        if (ts == NULL)
            goto done;
    }
    if (PyDict_SetItem(fields, str_ts, ts) < 0 || (kept = PyObject_CallOneArg(self->keep, event)) == NULL ||
        (plain = slot_get(self->bus, &InProcessBus_plain)) == NULL)
        goto done;
    if (!PyTuple_Check(plain)) {
        PyErr_SetString(PyExc_TypeError, "the bus's _plain is a tuple");
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(plain); i++) {
        PyObject *sub = PyTuple_GET_ITEM(plain, i), *types = slot_get(sub, &Subscription_types), *pending, *wakeup;
        if (types == NULL)
            goto done;
        r = types == Py_None ? 1 : PyObject_IsInstance(event, types);
        Py_DECREF(types);
        if (r < 0)
            goto done;
        if (!r)
            continue;
        if ((pending = slot_get(sub, &Subscription_pending)) == NULL)
            goto done;
        r = call_method_one(pending, str_append, event);
        Py_DECREF(pending);
        if (r < 0 || (wakeup = slot_get(sub, &Subscription_wakeup)) == NULL)
            goto done;
        if (wakeup != Py_None) {
            PyObject *finished = NULL;
            r = slot_set(sub, &Subscription_wakeup, Py_None) < 0 ||
                (finished = PyObject_CallMethodNoArgs(wakeup, str_done)) == NULL;
            int done_ = r ? -1 : PyObject_IsTrue(finished);
            Py_XDECREF(finished);
            if (done_ == 0)
                done_ = call_method_one(wakeup, str_set_result, Py_None);
            Py_DECREF(wakeup);
            if (done_ < 0)
                goto done;
        }
        else
            Py_DECREF(wakeup);
    }
    if (PyDict_GET_SIZE(self->groups) && call_method_one(self->bus, str_deliver_to_groups, event) < 0)
        goto done;
    ok = 0;
done:
    Py_XDECREF(kept);
    Py_XDECREF(plain);
    Py_XDECREF(ts);
    Py_XDECREF(number);
    Py_XDECREF(fields);
    return ok;
}

static PyObject *
Handover_vectorcall(PyObject *callable, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Handover *self = (Handover *)callable;
    PyObject *argv[2] = {self->publisher, NULL};
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL)
        goto python;
    PyObject *event = argv[1] = args[0];
    if (PyList_GET_SIZE(self->held))
        goto python; /* events held: this one may wait behind them */
    PyObject *seq = PyObject_GetAttr(event, str_seq);
    int r = seq == NULL ? -1 : PyObject_IsTrue(seq);
    Py_XDECREF(seq);
    if (r != 0) {
        /* published before: copied, as publish_nowait does; or no event (the Python fails and logs) */
        PyErr_Clear();
        goto python;
    }
    if (hand_over(self, event) < 0) {
        if (!PyErr_ExceptionMatches(PyExc_Exception))
            return NULL;
        /* log.exception("publishing %r failed", event), inside the exception's handling */
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        PyErr_NormalizeException(&type, &value, &traceback);
        if (traceback != NULL && value != NULL)
            PyException_SetTraceback(value, traceback);
        PyObject *outer = PyErr_GetHandledException();
        PyErr_SetHandledException(value);
        PyObject *logged = PyObject_CallMethodObjArgs(self->log, str_exception, str_publish_failed, event, NULL);
        PyErr_SetHandledException(outer);
        Py_XDECREF(outer);
        Py_XDECREF(type);
        Py_XDECREF(value);
        Py_XDECREF(traceback);
        if (logged == NULL)
            return NULL;
        Py_DECREF(logged);
    }
    Py_RETURN_NONE;
python:
    if (PyVectorcall_NARGS(nargsf) != 1 || kwnames != NULL) {
        /* Publisher.publish(publisher, *args, **kwargs): raises what it raises */
        Py_ssize_t n = PyVectorcall_NARGS(nargsf), nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
        PyObject *all[8];
        if (n + nkw + 1 > 8)
            return PyErr_Format(PyExc_TypeError, "publish takes one event");
        all[0] = self->publisher;
        for (Py_ssize_t i = 0; i < n + nkw; i++)
            all[i + 1] = args[i];
        return PyObject_Vectorcall(self->fallback, all, (size_t)(n + 1), kwnames);
    }
    return PyObject_Vectorcall(self->fallback, argv, 2, NULL);
}

static PyMemberDef Handover_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(Handover, vectorcall), READONLY, NULL},
    {NULL},
};

CALLABLE_TYPE(Handover, "Handover(publisher, fallback, bus, clock, log): Publisher.publish onto an InProcessBus",
              .tp_members = Handover_members);

/* ---------------------------------------------------------------- QueueDesk */

/* cti.queues.QueueBoard's work on each queue event and each agent's move, without its Python
 * frames (five of them for a caller's join: join, get, publish, longest_wait and the make's
 * arguments; one per seat's queue and two more for each move of an agent):
 *
 * publish(name, at, *, force=False) -- a QueueUpdated made (QueueUpdated.make, with interned
 *                  keywords) and handed to the board's notify when a figure the wallboard shows
 *                  changed since the last one (the board's _last), or forced; the longest wait
 *                  read off the earliest join (Queue.longest_wait) and rounded (round3).
 * join, leave, outcome -- a caller's wait begun, ended, and its outcome counted, then publish.
 * agent_changed(agent) -- the watcher of the agents' states (QueueBoard._agent_changed): in each
 *                  queue the agent is a member of, the member counted ready or not (_count), then
 *                  publish at the agent's since.
 *
 * The board's queues, _last and _seats change in place only and are held here, as are its notify,
 * server and thresholds, which are set once. A queue not there yet or of a class other than Queue,
 * a waiting list that is not a dict, and a call with other arguments go to the Python method
 * (QueueBoard's, which does the same); a class changed after the desk was made (Queue.longest_wait
 * replaced) is asked through its method. */
typedef struct {
    PyObject_HEAD
    PyObject *board;
    PyObject *queues, *last, *seats; /* the board's own dicts */
    PyObject *agents;                /* its AgentBook */
    PyObject *agents_by_id;          /* the book's agents, when its get is a lookup there; else None */
    PyObject *notify, *server, *service_level, *short_abandon;
    PyObject *queue_type;   /* cti.queues.Queue */
    PyObject *longest_wait; /* Queue.longest_wait as the desk was made: read off the waits in C */
    PyObject *make;         /* QueueUpdated.make */
    PyObject *ready;        /* agents.READY */
    PyObject *fallback;     /* (publish, join, leave, outcome): QueueBoard's Python methods */
} QueueDesk;
#define QueueDesk_OBJECTS(X)                                                                                 \
    X(board) X(queues) X(last) X(seats) X(agents) X(agents_by_id) X(notify) X(server) X(service_level)     \
    X(short_abandon) X(queue_type) X(longest_wait) X(make) X(ready) X(fallback)
enum { PY_PUBLISH, PY_JOIN, PY_LEAVE, PY_OUTCOME };

static PyObject *str_waiting, *str_members, *str_ready, *str_offered, *str_answered, *str_abandoned,
    *str_short_abandoned, *str_overflowed, *str_answered_in_sl, *str_paused, *str_longest_wait, *str_force,
    *str_waited, *str_overflow, *str_get, *str_add, *str_discard, *int_one, *kw_queue_updated, *kw_force;

MODEL_SLOT(Queue_waiting, str_waiting);
MODEL_SLOT(Queue_members, str_members);
MODEL_SLOT(Queue_ready, str_ready);
MODEL_SLOT(Queue_offered, str_offered);
MODEL_SLOT(Queue_answered, str_answered);
MODEL_SLOT(Queue_abandoned, str_abandoned);
MODEL_SLOT(Queue_short_abandoned, str_short_abandoned);
MODEL_SLOT(Queue_overflowed, str_overflowed);
MODEL_SLOT(Queue_answered_in_sl, str_answered_in_sl);
MODEL_SLOT(Member_agent_id, str_agent_id);
MODEL_SLOT(Member_interface, str_interface);
MODEL_SLOT(Member_paused, str_paused);

static PyObject *round3(PyObject *module, PyObject *x);

static int
QueueDesk_init(QueueDesk *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"board", "queue_type", "make", "ready", "agents_by_id", "fallback", NULL};
    PyObject *board, *queue_type, *make, *ready, *agents_by_id, *fallback;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OO!OUOO!:QueueDesk", kwlist, &board, &PyType_Type, &queue_type,
                                     &make, &ready, &agents_by_id, &PyTuple_Type, &fallback))
        return -1;
    if ((agents_by_id != Py_None && !PyDict_CheckExact(agents_by_id)) || PyTuple_GET_SIZE(fallback) != 4) {
        PyErr_SetString(PyExc_TypeError, "agents_by_id: a dict or None; fallback: publish, join, leave, outcome");
        return -1;
    }
    /* borrowed, sets no exception */
    PyObject *longest_wait = _PyType_Lookup((PyTypeObject *)queue_type, str_longest_wait);
    if (longest_wait == NULL) {
        PyErr_SetString(PyExc_TypeError, "the queue type has no longest_wait");
        return -1;
    }
    AttrSlot from_board[] = {
        {&self->queues, "queues", 1}, {&self->last, "_last", 1}, {&self->seats, "_seats", 1},
        {&self->agents, "agents", 0}, {&self->notify, "notify", 0}, {&self->server, "server", 0},
        {&self->service_level, "service_level_seconds", 0}, {&self->short_abandon, "short_abandon_seconds", 0},
    };
    if (read_attr_slots(board, "board", from_board, sizeof(from_board) / sizeof(from_board[0]), 1) < 0)
        return -1;
    Py_XSETREF(self->board, Py_NewRef(board));
    Py_XSETREF(self->queue_type, Py_NewRef(queue_type));
    Py_XSETREF(self->longest_wait, Py_NewRef(longest_wait));
    Py_XSETREF(self->make, Py_NewRef(make));
    Py_XSETREF(self->ready, Py_NewRef(ready));
    Py_XSETREF(self->agents_by_id, Py_NewRef(agents_by_id));
    Py_XSETREF(self->fallback, Py_NewRef(fallback));
    return 0;
}

GC_FUNCTIONS(QueueDesk)

static int
desk_ready(QueueDesk *self)
{
    if (self->board != NULL)
        return 0;
    PyErr_SetString(PyExc_TypeError, "an uninitialised QueueDesk");
    return -1;
}

/* QueueBoard.<method>(board, *args, **kwargs), the arguments as they came */
static PyObject *
desk_python(QueueDesk *self, int method, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *argv[16];
    if (nargs + nkw + 1 > 16)
        return PyErr_Format(PyExc_TypeError, "takes far fewer arguments");
    argv[0] = self->board;
    for (Py_ssize_t i = 0; i < nargs + nkw; i++)
        argv[i + 1] = args[i];
    return PyObject_Vectorcall(PyTuple_GET_ITEM(self->fallback, method), argv, (size_t)(nargs + 1), kwnames);
}

/* the queue ``name`` as the desk does its work on it: a new reference; NULL without an exception
 * when the Python method is to do it (no such queue yet, another class, waiting not a dict) */
static PyObject *
desk_queue(QueueDesk *self, PyObject *name)
{
    PyObject *queue = PyDict_GetItemWithError(self->queues, name);
    if (queue == NULL || Py_TYPE(queue) != (PyTypeObject *)self->queue_type)
        return NULL;
    PyObject **waiting = slot_of(queue, &Queue_waiting);
    if (waiting == NULL || *waiting == NULL || !PyDict_CheckExact(*waiting))
        return NULL;
    return Py_NewRef(queue);
}

/* queue.longest_wait(at): now - the earliest join, read here when the method is Queue's own and the
 * times are floats (min() compares them with <, as here); else the method, asked */
static PyObject *
longest_wait_of(QueueDesk *self, PyObject *queue, PyObject *waiting, PyObject *at)
{
    if (_PyType_Lookup(Py_TYPE(queue), str_longest_wait) == self->longest_wait && PyDict_CheckExact(waiting) &&
        PyFloat_CheckExact(at)) {
        if (PyDict_GET_SIZE(waiting) == 0)
            return PyFloat_FromDouble(0.0);
        Py_ssize_t pos = 0;
        PyObject *key, *value;
        double earliest = 0.0;
        int first = 1, floats = 1;
        while (PyDict_Next(waiting, &pos, &key, &value)) {
            if (!PyFloat_CheckExact(value)) {
                floats = 0;
                break;
            }
            double t = PyFloat_AS_DOUBLE(value);
            if (first || t < earliest)
                earliest = t;
            first = 0;
        }
        if (floats)
            return PyFloat_FromDouble(PyFloat_AS_DOUBLE(at) - earliest);
    }
    return PyObject_CallMethodOneArg(queue, str_longest_wait, at);
}

/* QueueBoard.publish on a queue the desk reads (desk_queue): 0, or -1 with the exception set */
static int
desk_publish_queue(QueueDesk *self, PyObject *name, PyObject *queue, PyObject *at, int force)
{
    /* the queue's fields: waiting, ready, members, then its counters */
    Slot *slots[] = {&Queue_waiting, &Queue_ready, &Queue_members, &Queue_answered, &Queue_abandoned,
                     &Queue_overflowed, &Queue_offered, &Queue_short_abandoned, &Queue_answered_in_sl};
    enum { WAITING, READY, MEMBERS, ANSWERED, ABANDONED, OVERFLOWED, OFFERED, SHORT, IN_SL, N };
    PyObject *f[N] = {NULL}, *sizes[3] = {NULL}, *state = NULL, *wait = NULL, *event = NULL;
    int ok = -1;
    for (int i = 0; i < N; i++)
        if ((f[i] = slot_get(queue, slots[i])) == NULL)
            goto done;
    for (int i = 0; i < 3; i++) { /* len(waiting), len(ready), len(members) */
        Py_ssize_t n = PyObject_Size(f[i]);
        if (n < 0 || (sizes[i] = PyLong_FromSsize_t(n)) == NULL)
            goto done;
    }
    if ((state = PyTuple_Pack(6, sizes[0], sizes[1], sizes[2], f[ANSWERED], f[ABANDONED], f[OVERFLOWED])) == NULL)
        goto done;
    if (!force) {
        PyObject *before = PyDict_GetItemWithError(self->last, name);
        if (before == NULL && PyErr_Occurred())
            goto done;
        if (before != NULL) {
            Py_INCREF(before);
            int same_state = PyObject_RichCompareBool(before, state, Py_EQ);
            Py_DECREF(before);
            if (same_state != 0) {
                ok = same_state < 0 ? -1 : 0;
                goto done;
            }
        }
    }
    if (PyDict_SetItem(self->last, name, state) < 0)
        goto done;
    PyObject *lw = longest_wait_of(self, queue, f[WAITING], at);
    if (lw == NULL)
        goto done;
    wait = round3(NULL, lw);
    Py_DECREF(lw);
    if (wait == NULL)
        goto done;
    /* kw_queue_updated's order */
    PyObject *values[13] = {name,        sizes[0],   wait,      sizes[1],     sizes[2],
                            f[OFFERED],  f[ANSWERED], f[ABANDONED], f[SHORT], f[OVERFLOWED],
                            f[IN_SL],    self->service_level, self->server};
    if ((event = PyObject_Vectorcall(self->make, values, 0, kw_queue_updated)) == NULL)
        goto done;
    PyObject *told = PyObject_CallOneArg(self->notify, event);
    if (told == NULL)
        goto done;
    Py_DECREF(told);
    ok = 0;
done:
    for (int i = 0; i < N; i++)
        Py_XDECREF(f[i]);
    for (int i = 0; i < 3; i++)
        Py_XDECREF(sizes[i]);
    Py_XDECREF(state);
    Py_XDECREF(wait);
    Py_XDECREF(event);
    return ok;
}

/* self.publish(name, at[, force=True]) as the board's methods call it: 0, or -1 */
static int
desk_publish(QueueDesk *self, PyObject *name, PyObject *at, int force)
{
    PyObject *queue = desk_queue(self, name);
    if (queue != NULL) {
        int r = desk_publish_queue(self, name, queue, at, force);
        Py_DECREF(queue);
        return r;
    }
    if (PyErr_Occurred())
        return -1;
    PyObject *argv[4] = {self->board, name, at, Py_True}, *done;
    if (force)
        done = PyObject_Vectorcall(PyTuple_GET_ITEM(self->fallback, PY_PUBLISH), argv, 3, kw_force);
    else
        done = PyObject_Vectorcall(PyTuple_GET_ITEM(self->fallback, PY_PUBLISH), argv, 3, NULL);
    Py_XDECREF(done);
    return done == NULL ? -1 : 0;
}

/* the keyword ``key`` is ``name`` (interned both, as a call's keywords are; else compared) */
static inline int
is_keyword(PyObject *key, PyObject *name)
{
    return key == name || PyUnicode_Compare(key, name) == 0;
}

static PyObject *
QueueDesk_publish(QueueDesk *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (desk_ready(self) < 0)
        return NULL;
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    int force = 0;
    if (nargs != 2 || nkw > 1 || (nkw == 1 && !is_keyword(PyTuple_GET_ITEM(kwnames, 0), str_force)))
        return desk_python(self, PY_PUBLISH, args, nargs, kwnames);
    if (nkw == 1 && (force = PyObject_IsTrue(args[2])) < 0)
        return NULL;
    if (desk_publish(self, args[0], args[1], force) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* queue.<counter> += 1: 0, or -1 with the exception set */
static int
count_one(PyObject *queue, Slot *counter)
{
    PyObject *n = slot_get(queue, counter);
    if (n == NULL)
        return -1;
    PyObject *more = PyNumber_Add(n, int_one);
    Py_DECREF(n);
    if (more == NULL)
        return -1;
    int r = slot_set(queue, counter, more);
    Py_DECREF(more);
    return r;
}

static PyObject *
QueueDesk_join(QueueDesk *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (desk_ready(self) < 0)
        return NULL;
    if (nargs != 3 || kwnames != NULL)
        return desk_python(self, PY_JOIN, args, nargs, kwnames);
    PyObject *name = args[0], *call_id = args[1], *at = args[2];
    PyObject *queue = desk_queue(self, name), *waiting = NULL, *result = NULL;
    if (queue == NULL)
        return PyErr_Occurred() ? NULL : desk_python(self, PY_JOIN, args, nargs, kwnames);
    if ((waiting = slot_get(queue, &Queue_waiting)) == NULL)
        goto done;
    int r = PyDict_Contains(waiting, call_id);
    if (r < 0 || (!r && count_one(queue, &Queue_offered) < 0) || PyDict_SetItem(waiting, call_id, at) < 0 ||
        desk_publish_queue(self, name, queue, at, 0) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(waiting);
    Py_DECREF(queue);
    return result;
}

static PyObject *
QueueDesk_leave(QueueDesk *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (desk_ready(self) < 0)
        return NULL;
    if (nargs != 3 || kwnames != NULL)
        return desk_python(self, PY_LEAVE, args, nargs, kwnames);
    PyObject *name = args[0], *call_id = args[1], *at = args[2];
    PyObject *queue = desk_queue(self, name), *waiting = NULL, *was = NULL, *result = NULL;
    if (queue == NULL)
        return PyErr_Occurred() ? NULL : desk_python(self, PY_LEAVE, args, nargs, kwnames);
    if ((waiting = slot_get(queue, &Queue_waiting)) == NULL ||
        (was = _PyDict_Pop(waiting, call_id, Py_None)) == NULL ||
        (was != Py_None && desk_publish_queue(self, name, queue, at, 0) < 0))
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(was);
    Py_XDECREF(waiting);
    Py_DECREF(queue);
    return result;
}

static PyObject *
QueueDesk_outcome(QueueDesk *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    if (desk_ready(self) < 0)
        return NULL;
    /* outcome(name, outcome, at, waited=None, call_id="") */
    PyObject *given[5] = {NULL, NULL, NULL, Py_None, str_empty};
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    if (nargs < 3 || nargs > 5)
        return desk_python(self, PY_OUTCOME, args, nargs, kwnames);
    for (Py_ssize_t i = 0; i < nargs; i++)
        given[i] = args[i];
    for (Py_ssize_t k = 0; k < nkw; k++) {
        PyObject *key = PyTuple_GET_ITEM(kwnames, k);
        Py_ssize_t i = is_keyword(key, str_waited) ? 3 : is_keyword(key, str_call_id) ? 4 : -1;
        if (i < nargs) /* unknown, or given twice: the Python raises what it raises */
            return desk_python(self, PY_OUTCOME, args, nargs, kwnames);
        given[i] = args[nargs + k];
    }
    PyObject *name = given[0], *outcome = given[1], *at = given[2], *waited = given[3], *call_id = given[4];
    if (!PyUnicode_CheckExact(outcome))
        return desk_python(self, PY_OUTCOME, args, nargs, kwnames);
    PyObject *queue = desk_queue(self, name), *waiting = NULL, *result = NULL;
    if (queue == NULL)
        return PyErr_Occurred() ? NULL : desk_python(self, PY_OUTCOME, args, nargs, kwnames);
    if ((waiting = slot_get(queue, &Queue_waiting)) == NULL)
        goto done;
    int r = PyObject_IsTrue(call_id);
    if (r < 0)
        goto done;
    if (r) {
        PyObject *was = _PyDict_Pop(waiting, call_id, Py_None);
        if (was == NULL)
            goto done;
        Py_DECREF(was);
    }
    Slot *counter = NULL, *within = NULL;
    PyObject *limit = NULL;
    int op = Py_LE;
    if (outcome == str_answered || PyUnicode_Compare(outcome, str_answered) == 0) {
        counter = &Queue_answered, within = &Queue_answered_in_sl, limit = self->service_level;
    }
    else if (PyUnicode_Tailmatch(outcome, str_abandoned, 0, PY_SSIZE_T_MAX, -1) == 1) {
        counter = &Queue_abandoned, within = &Queue_short_abandoned, limit = self->short_abandon, op = Py_LT;
    }
    else if (outcome == str_overflow || PyUnicode_Compare(outcome, str_overflow) == 0)
        counter = &Queue_overflowed;
    if (counter != NULL) {
        if (count_one(queue, counter) < 0)
            goto done;
        if (within != NULL && waited != Py_None) {
            if ((r = PyObject_RichCompareBool(waited, limit, op)) < 0 || (r && count_one(queue, within) < 0))
                goto done;
        }
    }
    if (desk_publish_queue(self, name, queue, at, 1) < 0)
        goto done;
    result = Py_NewRef(Py_None);
done:
    Py_XDECREF(waiting);
    Py_DECREF(queue);
    return result;
}

/* set.<add or discard>(item) for the queue's ready set (its own methods for anything but a set) */
static int
ready_set(PyObject *ready, PyObject *item, int add)
{
    if (PySet_CheckExact(ready))
        return add ? PySet_Add(ready, item) : (PySet_Discard(ready, item) < 0 ? -1 : 0);
    PyObject *r = PyObject_CallMethodOneArg(ready, add ? str_add : str_discard, item);
    Py_XDECREF(r);
    return r == NULL ? -1 : 0;
}

/* QueueBoard._count(queue, member): whether the member is ready there now, kept in the queue's ready set */
static int
desk_count(QueueDesk *self, PyObject *queue, PyObject *member)
{
    PyObject *agent_id = NULL, *agent = NULL, *paused = NULL, *state = NULL, *interface = NULL, *ready = NULL;
    int ok = -1, is_ready = 0, r;
    if ((agent_id = slot_get(member, &Member_agent_id)) == NULL)
        goto done;
    if (self->agents_by_id != Py_None) {
        agent = Py_XNewRef(PyDict_GetItemWithError(self->agents_by_id, agent_id));
        if (agent == NULL && PyErr_Occurred())
            goto done;
        if (agent == NULL)
            agent = Py_NewRef(Py_None);
    }
    else if ((agent = PyObject_CallMethodOneArg(self->agents, str_get, agent_id)) == NULL)
        goto done;
    if ((paused = slot_get(member, &Member_paused)) == NULL || (r = PyObject_IsTrue(paused)) < 0)
        goto done;
    if (!r && agent != Py_None) {
        if ((state = slot_get(agent, &Agent_state)) == NULL || (is_ready = same(state, self->ready)) < 0)
            goto done;
    }
    if ((interface = slot_get(member, &Member_interface)) == NULL || (ready = slot_get(queue, &Queue_ready)) == NULL ||
        ready_set(ready, interface, is_ready) < 0)
        goto done;
    ok = 0;
done:
    Py_XDECREF(agent_id);
    Py_XDECREF(agent);
    Py_XDECREF(paused);
    Py_XDECREF(state);
    Py_XDECREF(interface);
    Py_XDECREF(ready);
    return ok;
}

/* for name, interface in _seats.get(agent.agent_id, ()): the member counted again, then publish */
static PyObject *
QueueDesk_agent_changed(QueueDesk *self, PyObject *agent)
{
    if (desk_ready(self) < 0)
        return NULL;
    PyObject *agent_id = slot_get(agent, &Agent_agent_id), *seats, *each = NULL, *pair, *result = NULL;
    if (agent_id == NULL)
        return NULL;
    seats = PyDict_GetItemWithError(self->seats, agent_id);
    Py_DECREF(agent_id);
    if (seats == NULL)
        return PyErr_Occurred() ? NULL : Py_NewRef(Py_None);
    if ((each = PyObject_GetIter(seats)) == NULL)
        return NULL;
    while ((pair = PyIter_Next(each)) != NULL) {
        if (!PyTuple_CheckExact(pair) || PyTuple_GET_SIZE(pair) != 2) {
            PyErr_SetString(PyExc_TypeError, "the board's _seats hold (queue, interface) pairs");
            Py_DECREF(pair);
            goto done;
        }
        PyObject *name = PyTuple_GET_ITEM(pair, 0), *queue = PyObject_GetItem(self->queues, name), *members = NULL,
                 *member = NULL, *since = NULL;
        int r = queue == NULL || (members = slot_get(queue, &Queue_members)) == NULL ||
                (member = PyObject_GetItem(members, PyTuple_GET_ITEM(pair, 1))) == NULL ||
                desk_count(self, queue, member) < 0 || (since = slot_get(agent, &Agent_since)) == NULL ||
                desk_publish(self, name, since, 0) < 0;
        Py_XDECREF(since);
        Py_XDECREF(member);
        Py_XDECREF(members);
        Py_XDECREF(queue);
        Py_DECREF(pair);
        if (r)
            goto done;
    }
    if (!PyErr_Occurred())
        result = Py_NewRef(Py_None);
done:
    Py_DECREF(each);
    return result;
}

static PyMethodDef QueueDesk_methods[] = {
    {"publish", (PyCFunction)(void (*)(void))QueueDesk_publish, METH_FASTCALL | METH_KEYWORDS,
     "publish(name, at, *, force=False): QueueBoard.publish"},
    {"join", (PyCFunction)(void (*)(void))QueueDesk_join, METH_FASTCALL | METH_KEYWORDS,
     "join(name, call_id, at): QueueBoard.join"},
    {"leave", (PyCFunction)(void (*)(void))QueueDesk_leave, METH_FASTCALL | METH_KEYWORDS,
     "leave(name, call_id, at): QueueBoard.leave"},
    {"outcome", (PyCFunction)(void (*)(void))QueueDesk_outcome, METH_FASTCALL | METH_KEYWORDS,
     "outcome(name, outcome, at, waited=None, call_id=''): QueueBoard.outcome"},
    {"agent_changed", (PyCFunction)QueueDesk_agent_changed, METH_O,
     "agent_changed(agent): QueueBoard._agent_changed, the watcher of the agents' states"},
    {NULL},
};

static PyTypeObject QueueDeskType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "cti.ami._speedups.QueueDesk",
    .tp_doc = PyDoc_STR("QueueDesk(board, queue_type, make, ready, agents_by_id, fallback): the queue board's "
                        "publish, join, leave, outcome and agent watcher"),
    .tp_basicsize = sizeof(QueueDesk),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)QueueDesk_init,
    .tp_dealloc = (destructor)QueueDesk_dealloc,
    .tp_traverse = (traverseproc)QueueDesk_traverse,
    .tp_clear = (inquiry)QueueDesk_clear,
    .tp_methods = QueueDesk_methods,
};

/* ---------------------------------------------------------------- module */

PyDoc_STRVAR(timestamp_doc,
"timestamp(text: bytes) -> float | None\n\n"
"The exact fast path of the Listener's Timestamp: float(text) for ASCII digits[.digits] below\n"
"2**53 as an integer, None for anything else (float() reads that).");

static PyObject *
timestamp(PyObject *module, PyObject *arg)
{
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "timestamp(text: bytes)");
        return NULL;
    }
    double at;
    if (!exact_decimal(PyBytes_AS_STRING(arg), PyBytes_GET_SIZE(arg), &at))
        Py_RETURN_NONE;
    return PyFloat_FromDouble(at);
}

PyDoc_STRVAR(round3_doc,
"round3(x) -> round(x, 3)\n\n"
"The same value as round(x, 3), for a float without going through decimal text when it can:\n"
"the builtin rounds through _Py_dg_dtoa, snprintf and strtod, 2,800 instructions a call, and\n"
"the call model rounds every wait and every queue's longest wait. For a float below 1e10 the\n"
"exact x * 1000 is p + e (p the product, e its error, fma); n, p's nearest integer, is the\n"
"exact value's too when p is further from n +- 0.5 than e is, and then n / 1000 (one correctly\n"
"rounded division) is the double nearest the decimal n * 10**-3, which is what round gives.\n"
"Anything else (an int, a near tie, inf, nan, a large value) goes to the builtin.");

static PyObject *builtin_round;

static PyObject *
round3(PyObject *module, PyObject *x)
{
    if (PyFloat_CheckExact(x)) {
        double v = PyFloat_AS_DOUBLE(x);
        if (fabs(v) < 1e10) { /* |x * 1000| < 2**44: the error e is below 2**-10 */
            volatile double p = v * 1000.0; /* not contracted into the fma below */
            double e = fma(v, 1000.0, -p);  /* x * 1000 == p + e exactly */
            double n = nearbyint(p);
            double d = p - n; /* exact: p and n are that close */
            if (0.5 - fabs(d) > fabs(e)) /* |d + e| < 0.5: n is the exact product's nearest */
                return PyFloat_FromDouble(n / 1000.0); /* -0.0 for a negative rounding to 0, as round */
        }
    }
    return PyObject_CallFunction(builtin_round, "Oi", x, 3);
}

PyDoc_STRVAR(untrack_plain_doc,
"untrack_plain(obj, classes: tuple[type, ...]) -> bool\n\n"
"Take obj, and the containers it holds, out of the garbage collector's sight when all it reaches is\n"
"plain data: values of types the collector does not watch (str, numbers, None), lists, tuples,\n"
"sets, frozensets and dicts of them, and instances of exactly one of classes holding them. Such\n"
"an object can be in no reference cycle. Whatever part holds anything else stays tracked, and so\n"
"does each container above it. Whether obj was plain (and is out of the collector's sight now).");

#define PLAIN_DEPTH 8

typedef struct {
    PyObject *classes;
    PyObject *owner; /* the object whose references are visited */
    int depth;
    int plain; /* so far, everything the owner holds is plain */
} PlainWalk;

static int plain_visit(PyObject *obj, void *arg);

/* 1: ``obj`` is plain (and out of the collector's sight now, with all it holds); 0: it is not */
static int
set_plain(PyObject *obj, PyObject *classes, int depth)
{
    PyTypeObject *type = Py_TYPE(obj);
    if (!PyType_IS_GC(type))
        return 1;
    if (depth > PLAIN_DEPTH)
        return 0;
    if (type != &PyList_Type && type != &PyTuple_Type && type != &PySet_Type && type != &PyFrozenSet_Type &&
        type != &PyDict_Type) {
        Py_ssize_t i = 0, n = PyTuple_GET_SIZE(classes);
        while (i < n && PyTuple_GET_ITEM(classes, i) != (PyObject *)type)
            i++;
        if (i == n)
            return 0;
    }
    /* every reference followed, tracked or not: a container untracked here may have taken
     * anything since (a list, a set); the depth bounds a structure that holds itself */
    PlainWalk walk = {classes, obj, depth + 1, 1};
    if (type->tp_traverse(obj, plain_visit, &walk) != 0 || !walk.plain)
        return 0;
    if (PyObject_GC_IsTracked(obj))
        PyObject_GC_UnTrack(obj);
    return 1;
}

static int
plain_visit(PyObject *obj, void *arg)
{
    PlainWalk *walk = arg;
    /* an instance's traverse visits its class, which refers to no instance */
    if (obj != (PyObject *)Py_TYPE(walk->owner) && !set_plain(obj, walk->classes, walk->depth))
        walk->plain = 0; /* the rest still visited: its plain parts are set aside too */
    return 0;
}

static PyObject *
untrack_plain(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyTuple_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "untrack_plain(obj, classes): classes is a tuple of types");
        return NULL;
    }
    return PyBool_FromLong(set_plain(args[0], args[1], 0));
}

PyDoc_STRVAR(channel_and_variable_doc,
"channel_and_variable(variable, raw) -> (channel, value) | None\n--\n\n"
"A frame's Channel (as Frame.get reads it: the first line of that key, \"\" when there is none)\n"
"and the value of its last \"ChanVariable: <variable>=\" line (manager.conf's channelvars),\n"
"each decoded as UTF-8 with replacement; None when it has no such line. What the bridge's\n"
"cti.bridge.ivr_path_seen reads off a queue join (last_ivr_path and fields.search), in one call.");

/* where a line starting with ``line`` (n bytes, "\r\n" first) last begins wholly before end, or NULL
 * (bytes.rfind(line, 0, end)) */
static const char *
last_line(const char *raw, Py_ssize_t end, const char *line, Py_ssize_t n)
{
    Py_ssize_t from = end - n; /* the last place it can begin */
    while (from >= 0) {
        const char *cr = memrchr(raw, '\r', (size_t)from + 1);
        if (cr == NULL)
            return NULL;
        if (memcmp(cr, line, (size_t)n) == 0)
            return cr;
        from = cr - raw - 1;
    }
    return NULL;
}

/* where ``line`` (n bytes, CR first) first is in [p, stop), or NULL: a memchr for each CR (glibc's
 * memmem set up its search for each call, several times this on a frame's few lines) */
static const char *
first_line(const char *p, const char *stop, const char *line, Py_ssize_t n)
{
    while (stop - p >= n && (p = memchr(p, '\r', (size_t)(stop - p - n + 1))) != NULL) {
        if (memcmp(p, line, (size_t)n) == 0)
            return p;
        p++;
    }
    return NULL;
}

static PyObject *
channel_and_variable(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyBytes_Check(args[0]) || !PyBytes_Check(args[1]) || !PyBytes_GET_SIZE(args[0])) {
        PyErr_SetString(PyExc_TypeError, "channel_and_variable(variable, raw): variable a name, raw a frame, bytes");
        return NULL;
    }
    const char *name = PyBytes_AS_STRING(args[0]), *raw = PyBytes_AS_STRING(args[1]);
    Py_ssize_t name_len = PyBytes_GET_SIZE(args[0]), size = PyBytes_GET_SIZE(args[1]);
    static const char var_line[] = "\r\nChanVariable:", channel_line[] = "\r\nChannel:";
    const Py_ssize_t var_len = sizeof(var_line) - 1, channel_len = sizeof(channel_line) - 1;
    const char *stop = raw + size, *value = NULL, *value_end = NULL;
    /* the last "ChanVariable: ?<variable>=" line, its value up to the next CR or LF (last_ivr_path) */
    for (Py_ssize_t end = size; value == NULL;) {
        const char *at = last_line(raw, end, var_line, var_len);
        if (at == NULL)
            Py_RETURN_NONE;
        const char *p = at + var_len;
        if (p < stop && *p == ' ')
            p++;
        if (stop - p > name_len && memcmp(p, name, (size_t)name_len) == 0 && p[name_len] == '=') {
            value = value_end = p + name_len + 1;
            while (value_end < stop && *value_end != '\r' && *value_end != '\n')
                value_end++;
        }
        end = at - raw; /* the literal cannot overlap itself: an earlier one ends before it */
    }
    /* the first "Channel:" line, the frame's first line included, up to its CRLF, one space dropped
     * (fields.search) */
    const char *channel = NULL, *channel_end;
    if (size >= channel_len - 2 && memcmp(raw, channel_line + 2, (size_t)channel_len - 2) == 0)
        channel = raw + channel_len - 2;
    else {
        const char *at = first_line(raw, stop, channel_line, channel_len);
        channel = at == NULL ? NULL : at + channel_len;
    }
    if (channel == NULL)
        channel = channel_end = stop; /* none: "" */
    else {
        channel_end = first_line(channel, stop, "\r\n", 2);
        if (channel_end == NULL)
            channel_end = stop;
        if (channel < channel_end && *channel == ' ')
            channel++;
    }
    PyObject *chan = PyUnicode_DecodeUTF8(channel, channel_end - channel, "replace");
    PyObject *text = chan == NULL ? NULL : PyUnicode_DecodeUTF8(value, value_end - value, "replace");
    PyObject *pair = text == NULL ? NULL : PyTuple_Pack(2, chan, text);
    Py_XDECREF(chan);
    Py_XDECREF(text);
    return pair;
}

static PyMethodDef module_methods[] = {
    {"timestamp", timestamp, METH_O, timestamp_doc},
    {"round3", round3, METH_O, round3_doc},
    {"untrack_plain", (PyCFunction)(void (*)(void))untrack_plain, METH_FASTCALL, untrack_plain_doc},
    {"channel_and_variable", (PyCFunction)(void (*)(void))channel_and_variable, METH_FASTCALL,
     channel_and_variable_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "cti.ami._speedups",
    .m_doc = "The AMI hot path in C (optional; cti.ami.speedups says which implementation runs).",
    .m_size = -1,
    .m_methods = module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    str_event = PyUnicode_InternFromString("event");
    str_kind = PyUnicode_InternFromString("kind");
    str_raw = PyUnicode_InternFromString("raw");
    str_unknown = PyUnicode_InternFromString("unknown");
    str_time = PyUnicode_InternFromString("time");
    str_post_init = PyUnicode_InternFromString("__post_init__");
#if defined(HAVE_AVX2_PATH)
    __builtin_cpu_init();
    have_avx2 = __builtin_cpu_supports("avx2") && !getenv("HOTLINE_SPEEDUPS_NO_AVX2");
#endif
    struct { PyObject **s; const char *text; } names[] = {
        {&str_agent_channels, "agent_channels"}, {&str_agent_id, "agent_id"}, {&str_agent_left, "_agent_left"},
        {&str_answered_at, "answered_at"}, {&str_bridge, "bridge"}, {&str_by_channel, "by_channel"},
        {&str_call_id, "call_id"}, {&str_caller, "caller"}, {&str_caller_hung_up, "_caller_hung_up"},
        {&str_caller_name, "caller_name"}, {&str_channels, "channels"}, {&str_check_answer, "_check_answer"},
        {&str_consult, "consult"}, {&str_customer_channel, "customer_channel"}, {&str_direction, "direction"},
        {&str_dnis, "dnis"}, {&str_empty, ""}, {&str_end, "end"}, {&str_gave_up, "_gave_up"},
        {&str_gave_up_attr, "gave_up"}, {&str_hangup_cause, "hangup_cause"}, {&str_hangup_side, "hangup_side"},
        {&str_hung_up, "_hung_up"}, {&str_inbound, "inbound"}, {&str_internal, "internal"},
        {&str_linkedid, "linkedid"}, {&str_name, "name"}, {&str_outbound, "outbound"},
        {&str_outcome, "outcome"}, {&str_queue, "queue"}, {&str_queue_legs, "queue_legs"},
        {&str_queued_at, "queued_at"}, {&str_seat_rings, "_seat_rings"}, {&str_state, "state"},
        {&str_uniqueid, "uniqueid"}, {&str_agent_side, "agent"}, {&str_caller_side, "caller"},
        {&str_local, "Local/"}, {&str_hold_started, "hold_started"},
        {&str_relayed_consult_from, "relayed_consult_from"}, {&str_consulted, "consulted"},
        {&str_set_hold, "set_hold"}, {&str_transition, "_transition"}, {&str_answered_method, "_answered"},
        {&str_join, "_join"}, {&tr_answer, "answer"}, {&str_ringing_at, "ringing_at"}, {&str_ringing, "ringing"},
        {&str_agents_offered, "agents_offered"}, {&str_consult_legs, "consult_legs"}, {&str_waited_attr, "waited"},
        {&str_by_interface, "by_interface"}, {&str_offer_method, "_offer"}, {&str_queue_answered, "_queue_answered"},
        {&tr_offer, "offer"}, {&tr_cancel_ring, "cancel"}, {&str_on_queued, "on_queued"},
        {&str_start_method, "_start"}, {&str_close_leg, "_close_leg"}, {&str_started_published, "started_published"},
        {&str_ivr_path, "ivr_path"}, {&str_gave_up_at, "gave_up_at"}, {&str_join_queue, "join"},
        {&str_overflow_at, "overflow:"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if ((*names[i].s = PyUnicode_InternFromString(names[i].text)) == NULL)
            return NULL;
    if ((kw_consult = Py_BuildValue("(N)", PyUnicode_InternFromString("consult"))) == NULL)
        return NULL;
    /* QueueLeg's and CallQueued's keywords as the queue join passes them, interned (for their Makers) */
    if ((kw_queue_leg = Py_BuildValue("(NN)", PyUnicode_InternFromString("queue"),
                                      PyUnicode_InternFromString("queued_at"))) == NULL ||
        (kw_call_queued = Py_BuildValue("(NNNNN)", PyUnicode_InternFromString("call_id"),
                                        PyUnicode_InternFromString("queue"), PyUnicode_InternFromString("position"),
                                        PyUnicode_InternFromString("priority"),
                                        PyUnicode_InternFromString("queued_at"))) == NULL)
        return NULL;
    /* the keywords the ChannelBook makes a Call and a Channel with, interned (a Maker finds each by identity) */
    if ((kw_call = Py_BuildValue("(NN)", PyUnicode_InternFromString("call_id"),
                                 PyUnicode_InternFromString("started_at"))) == NULL ||
        (kw_channel = Py_BuildValue("(NNNNN)", PyUnicode_InternFromString("uniqueid"),
                                    PyUnicode_InternFromString("name"), PyUnicode_InternFromString("linkedid"),
                                    PyUnicode_InternFromString("context"), PyUnicode_InternFromString("exten"))) == NULL)
        return NULL;
    struct { PyObject **s; const char *text; } agent_names[] = {
        {&tr_miss, "miss"}, {&tr_cancel, "cancel"}, {&tr_end, "end"}, {&tr_acw_done, "acw_done"},
        {&tr_login, "login"}, {&str_reason, "reason"},
        {&str_since, "since"}, {&str_before_call, "before_call"}, {&str_before_call_reason, "before_call_reason"},
        {&str_skills, "skills"}, {&str_interface, "interface"}, {&str_notify, "notify"},
        {&str_acw_seconds, "acw_seconds"},
    };
    for (size_t i = 0; i < sizeof(agent_names) / sizeof(agent_names[0]); i++)
        if ((*agent_names[i].s = PyUnicode_InternFromString(agent_names[i].text)) == NULL)
            return NULL;
    /* the event's field names, interned: the Maker finds each by identity (as a call's keywords) */
    static const char *state_changed[] = {"agent_id", "state",   "previous", "seconds_in_previous", "reason",
                                          "call_id",  "seat",    "at",       "acw_ends_in"};
    struct { PyObject **s; const char *text; } bus_names[] = {
        {&str_seq, "seq"}, {&str_ts, "ts"}, {&str_plain, "_plain"},
        {&str_deliver_to_groups, "_deliver_to_groups"}, {&str_types, "types"}, {&str_pending, "pending"},
        {&str_wakeup, "_wakeup"}, {&str_append, "append"}, {&str_done, "done"}, {&str_set_result, "set_result"},
        {&str_publish_failed, "publishing %r failed"}, {&str_exception, "exception"},
    };
    for (size_t i = 0; i < sizeof(bus_names) / sizeof(bus_names[0]); i++)
        if ((*bus_names[i].s = PyUnicode_InternFromString(bus_names[i].text)) == NULL)
            return NULL;
    struct { PyObject **s; const char *text; } queue_names[] = {
        {&str_waiting, "waiting"}, {&str_members, "members"}, {&str_ready, "ready"}, {&str_offered, "offered"},
        {&str_answered, "answered"}, {&str_abandoned, "abandoned"}, {&str_short_abandoned, "short_abandoned"},
        {&str_overflowed, "overflowed"}, {&str_answered_in_sl, "answered_in_sl"}, {&str_paused, "paused"},
        {&str_longest_wait, "longest_wait"}, {&str_force, "force"}, {&str_waited, "waited"},
        {&str_overflow, "overflow"}, {&str_get, "get"}, {&str_add, "add"}, {&str_discard, "discard"},
    };
    for (size_t i = 0; i < sizeof(queue_names) / sizeof(queue_names[0]); i++)
        if ((*queue_names[i].s = PyUnicode_InternFromString(queue_names[i].text)) == NULL)
            return NULL;
    /* QueueUpdated's keywords as QueueDesk passes them, interned (the Maker finds each by identity) */
    static const char *queue_updated[] = {"queue", "waiting", "longest_wait", "agents_ready", "agents_logged_in",
                                          "offered", "answered", "abandoned", "short_abandoned", "overflowed",
                                          "answered_in_sl", "service_level_seconds", "server"};
    if ((int_one = PyLong_FromLong(1)) == NULL || (kw_force = PyTuple_Pack(1, str_force)) == NULL ||
        (kw_queue_updated = PyTuple_New(13)) == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < 13; i++) {
        PyObject *name = PyUnicode_InternFromString(queue_updated[i]);
        if (name == NULL)
            return NULL;
        PyTuple_SET_ITEM(kw_queue_updated, i, name);
    }
    if ((float_zero = PyFloat_FromDouble(0.0)) == NULL || (kw_state_changed = PyTuple_New(9)) == NULL)
        return NULL;
    for (Py_ssize_t i = 0; i < 9; i++) {
        PyObject *name = PyUnicode_InternFromString(state_changed[i]);
        if (name == NULL)
            return NULL;
        PyTuple_SET_ITEM(kw_state_changed, i, name);
    }
    PyObject *builtins = PyImport_ImportModule("builtins");
    if (builtins == NULL)
        return NULL;
    builtin_round = PyObject_GetAttrString(builtins, "round");
    Py_DECREF(builtins);
    if (builtin_round == NULL)
        return NULL;
    empty_tuple = PyTuple_New(0);
    if (!str_event || !str_kind || !str_raw || !str_unknown || !str_time || !str_post_init || !empty_tuple)
        return NULL;
    if (PyType_Ready(&FramerType) < 0 || PyType_Ready(&ListenerType) < 0 || PyType_Ready(&MakerType) < 0 ||
        PyType_Ready(&DispatcherType) < 0 || PyType_Ready(&SearcherType) < 0 ||
        PyType_Ready(&ChannelBookType) < 0 || PyType_Ready(&AgentMovesType) < 0 ||
        PyType_Ready(&HandoverType) < 0 || PyType_Ready(&QueueDeskType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    if (PyModule_AddObjectRef(m, "Framer", (PyObject *)&FramerType) < 0 ||
        PyModule_AddObjectRef(m, "Listener", (PyObject *)&ListenerType) < 0 ||
        PyModule_AddObjectRef(m, "Maker", (PyObject *)&MakerType) < 0 ||
        PyModule_AddObjectRef(m, "Dispatcher", (PyObject *)&DispatcherType) < 0 ||
        PyModule_AddObjectRef(m, "Searcher", (PyObject *)&SearcherType) < 0 ||
        PyModule_AddObjectRef(m, "ChannelBook", (PyObject *)&ChannelBookType) < 0 ||
        PyModule_AddObjectRef(m, "AgentMoves", (PyObject *)&AgentMovesType) < 0 ||
        PyModule_AddObjectRef(m, "Handover", (PyObject *)&HandoverType) < 0 ||
        PyModule_AddObjectRef(m, "QueueDesk", (PyObject *)&QueueDeskType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
