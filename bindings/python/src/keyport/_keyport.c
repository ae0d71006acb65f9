/*
 * _keyport.c: the CPython extension over libkeyport (the 3.11 limited API, one abi3 wheel).
 *
 * The keyport package (__init__.py) builds the public API on this module: the exception classes
 * (made from the status table that status_table() returns), the curve and protocol enums, and the
 * dict helpers. This file keeps to what must be C:
 * - secrets stay in libkeyport's secure allocator (SecretKey, _Context, Operator, Credential);
 *   passphrases and key texts are copied from the caller's buffer into secure memory before use,
 *   and never taken as str;
 * - the GIL is released around Argon2id (contexts, operators), recovery, import preparation, key
 *   parsing (scrypt, PBKDF2) and network calls; the error detail is read in the same C call, on
 *   the same thread, before the GIL is taken again (see struct outcome);
 * - misuse of the library runs an illegal-argument callback that returns, so that it raises
 *   MisuseError instead of aborting the interpreter.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keyport.h"
#include "keyport_client.h"

/* ---------------------------------------------------------------- module state */

/* One interpreter: the module is single-phase, so the state is static. */
static kp_ctx *g_ctx;
static PyObject *g_errors;   /* dict: status code -> exception class (from keyport._errors) */
static PyObject *g_registry; /* dict: "Curve", "Protocol", "Culprit", ... -> Python classes */
static unsigned long g_misuse_calls;

static void on_illegal(const char *msg, void *data)
{
    (void)msg;
    (void)data;
    /* kp_misuse already wrote the detail and returns KP_ERR_MISUSE; this must only not abort. */
    __atomic_add_fetch(&g_misuse_calls, 1, __ATOMIC_RELAXED);
}

/* The status of one call and its detail, captured right after the call on the calling thread
 * (the detail is per thread in libkeyport), whether or not the GIL is held. */
struct outcome {
    kp_status st;
    char detail[1024];
};

static void outcome_set(struct outcome *o, kp_status st)
{
    o->st = st;
    if (st != KP_OK) {
        const char *d = kp_error_detail();
        size_t n = strlen(d);
        if (n >= sizeof o->detail) n = sizeof o->detail - 1;
        memcpy(o->detail, d, n);
        o->detail[n] = 0;
    } else {
        o->detail[0] = 0;
    }
}

static PyObject *registry(const char *name)
{
    PyObject *v = g_registry ? PyDict_GetItemString(g_registry, name) : NULL; /* borrowed */
    if (v == NULL) PyErr_Format(PyExc_RuntimeError, "keyport: %s is not registered (import keyport, not keyport._keyport)", name);
    return v;
}

/* Raises the class of st with (code, name, detail[, extra]); returns NULL. */
static PyObject *raise_status_extra(kp_status st, const char *detail, PyObject *extra)
{
    PyObject *key = PyLong_FromLong((long)st);
    PyObject *cls = (g_errors && key) ? PyDict_GetItemWithError(g_errors, key) : NULL;
    Py_XDECREF(key);
    if (cls == NULL) {
        if (!PyErr_Occurred())
            PyErr_Format(PyExc_RuntimeError, "keyport: status %d has no exception class (%s)", (int)st, detail);
        return NULL;
    }
    const char *name = kp_status_name(st);
    PyObject *exc = extra ? PyObject_CallFunction(cls, "isUO", (int)st, name ? name : "?", detail, extra)
                          : PyObject_CallFunction(cls, "isU", (int)st, name ? name : "?", detail);
    if (exc == NULL) return NULL;
    PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject *raise_outcome(const struct outcome *o)
{
    const char *d = o->detail[0] ? o->detail : kp_strerror(o->st);
    return raise_status_extra(o->st, d, NULL);
}

/* Raises the status of a call made with the GIL held. */
static PyObject *raise_now(kp_status st)
{
    struct outcome o;
    outcome_set(&o, st);
    return raise_outcome(&o);
}

static PyObject *raise_misuse(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return raise_status_extra(KP_ERR_MISUSE, msg, NULL);
}

/* A heap type's slots and spec: every type here is final and made only by this module. */
#define TYPE_SPEC(var, pyname, objtype, ...)                                                          \
    static PyType_Slot var##_slots[] = {__VA_ARGS__, {0, NULL}};                                     \
    static PyType_Spec var##_spec = {pyname, sizeof(objtype), 0,                                    \
                                     Py_TPFLAGS_DEFAULT | Py_TPFLAGS_DISALLOW_INSTANTIATION, var##_slots}

/* ---------------------------------------------------------------- argument helpers */

/* A sequence as a tuple (the limited API has no PySequence_Fast macros). */
static PyObject *as_tuple(PyObject *o, const char *msg)
{
    if (PyUnicode_Check(o) || PyBytes_Check(o) || !PySequence_Check(o)) {
        PyErr_SetString(PyExc_TypeError, msg);
        return NULL;
    }
    return PySequence_Tuple(o);
}

/* A name argument (a curve, a protocol, ...): its UTF-8 text, or NULL with a TypeError. */
static const char *name_arg(PyObject *o, const char *what)
{
    const char *s = PyUnicode_Check(o) ? PyUnicode_AsUTF8AndSize(o, NULL) : NULL;
    if (s == NULL && !PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, what);
    return s;
}

/* 0, or -1 with the status raised. */
static int ok_or_raise(kp_status st)
{
    if (st == KP_OK) return 0;
    raise_now(st);
    return -1;
}

static int get_curve(PyObject *o, kp_curve *out)
{
    const char *s = name_arg(o, "curve must be a str (keyport.Curve)");
    return s ? ok_or_raise(kp_curve_from_name(out, s)) : -1;
}

static int get_curve_opt(PyObject *o, kp_curve *out)
{
    if (o == NULL || o == Py_None) {
        *out = (kp_curve)0;
        return 0;
    }
    return get_curve(o, out);
}

static int get_protocol(PyObject *o, kp_protocol *out)
{
    const char *s = name_arg(o, "protocol must be a str (keyport.Protocol)");
    return s ? ok_or_raise(kp_protocol_from_name(out, s)) : -1;
}

static int get_kdf(PyObject *o, kp_kdf_strength *out)
{
    if (o == NULL || o == Py_None) {
        *out = KP_KDF_MODERATE;
        return 0;
    }
    const char *s = name_arg(o, "kdf must be a str (keyport.Kdf)");
    if (s == NULL) return -1;
    if (strcmp(s, "interactive") == 0) *out = KP_KDF_INTERACTIVE;
    else if (strcmp(s, "moderate") == 0) *out = KP_KDF_MODERATE;
    else if (strcmp(s, "sensitive") == 0) *out = KP_KDF_SENSITIVE;
    else {
        PyErr_Format(PyExc_ValueError, "kdf must be interactive, moderate or sensitive, not %R", o);
        return -1;
    }
    return 0;
}

static int get_action(PyObject *o, kp_action *out)
{
    const char *s = name_arg(o, "action must be a str (keyport.Action)");
    return s ? ok_or_raise(kp_action_from_name(out, s)) : -1;
}

static int get_format(PyObject *o, kp_key_format *out)
{
    const char *s = name_arg(o, "key format must be a str, e.g. \"hex\" or \"mnemonic\"");
    return s ? ok_or_raise(kp_key_format_from_name(out, s)) : -1;
}

/* A str argument (or None when allowed): a UTF-8 pointer valid while o lives; NUL bytes refused. */
static int get_cstr(PyObject *o, const char **out, int allow_none, const char *what)
{
    if (o == NULL || o == Py_None) {
        if (!allow_none && o == Py_None) {
            PyErr_Format(PyExc_TypeError, "%s must be a str, not None", what);
            return -1;
        }
        *out = NULL;
        return 0;
    }
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a str", what);
        return -1;
    }
    Py_ssize_t n;
    const char *s = PyUnicode_AsUTF8AndSize(o, &n);
    if (s == NULL) return -1;
    if ((size_t)n != strlen(s)) {
        PyErr_Format(PyExc_ValueError, "%s holds a NUL character", what);
        return -1;
    }
    *out = s;
    return 0;
}

/* A document (JSON, a request body): bytes, bytearray, memoryview or str. */
static int get_doc(PyObject *o, Py_buffer *view, const char *what)
{
    if (PyUnicode_Check(o)) {
        Py_ssize_t n;
        const char *s = PyUnicode_AsUTF8AndSize(o, &n);
        if (s == NULL) return -1;
        return PyBuffer_FillInfo(view, o, (void *)s, n, 1, PyBUF_SIMPLE);
    }
    if (PyObject_GetBuffer(o, view, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be bytes, bytearray, memoryview or str", what);
        return -1;
    }
    return 0;
}

/* A secret input (a passphrase, a key's text): a bytes-like object only, never str. Copied into
 * secure memory, NUL-terminated; free with kp_secure_free. *out NULL for None when allowed. */
static int get_secret(PyObject *o, uint8_t **out, size_t *len, int allow_none, const char *what)
{
    *out = NULL;
    *len = 0;
    if (o == NULL || o == Py_None) {
        if (allow_none) return 0;
        PyErr_Format(PyExc_TypeError, "%s is required (bytes, bytearray or memoryview)", what);
        return -1;
    }
    if (PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError,
                     "%s must be bytes, bytearray or memoryview, not str: a str cannot be wiped "
                     "(read it with keyport.getpass() or keyport.read_secret())", what);
        return -1;
    }
    Py_buffer v;
    if (PyObject_GetBuffer(o, &v, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be bytes, bytearray or memoryview", what);
        return -1;
    }
    if ((size_t)v.len > KP_MAX_INPUT_BYTES) {
        PyBuffer_Release(&v);
        return raise_status_extra(KP_ERR_TOO_LARGE, "a secret input is larger than 1 MiB", NULL), -1;
    }
    uint8_t *p = kp_secure_alloc((size_t)v.len + 1);
    if (p == NULL) {
        PyBuffer_Release(&v);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(p, v.buf, (size_t)v.len);
    p[v.len] = 0;
    *len = (size_t)v.len;
    *out = p;
    PyBuffer_Release(&v);
    return 0;
}

static int get_fixed(PyObject *o, uint8_t *out, size_t n, const char *what)
{
    Py_buffer v;
    if (PyUnicode_Check(o) || PyObject_GetBuffer(o, &v, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_Format(PyExc_TypeError, "%s must be %zu bytes (bytes, bytearray or memoryview)", what, n);
        return -1;
    }
    if ((size_t)v.len != n) {
        PyErr_Format(PyExc_ValueError, "%s must be %zu bytes, not %zd", what, n, v.len);
        PyBuffer_Release(&v);
        return -1;
    }
    memcpy(out, v.buf, n);
    PyBuffer_Release(&v);
    return 0;
}

static int64_t now_or(PyObject *o, int *err)
{
    *err = 0;
    if (o == NULL || o == Py_None) return (int64_t)time(NULL);
    long long v = PyLong_AsLongLong(o);
    if (v == -1 && PyErr_Occurred()) *err = 1;
    return (int64_t)v;
}

static PyObject *buf_to_bytes(const kp_buf *b)
{
    return PyBytes_FromStringAndSize((const char *)(b->data ? b->data : (const uint8_t *)""), (Py_ssize_t)b->len);
}

static PyObject *curve_obj(kp_curve c)
{
    const char *n = kp_curve_name(c);
    if (n == NULL) Py_RETURN_NONE;
    PyObject *cls = registry("Curve");
    return cls ? PyObject_CallFunction(cls, "s", n) : NULL;
}

static PyObject *protocol_obj(kp_protocol p)
{
    const char *n = kp_protocol_name(p);
    if (n == NULL) Py_RETURN_NONE;
    PyObject *cls = registry("Protocol");
    return cls ? PyObject_CallFunction(cls, "s", n) : NULL;
}

/* ---------------------------------------------------------------- secure slots */

/* 32-byte slots in slabs of libkeyport's secure memory (locked, guarded, wiped), so that a key
 * object costs no system calls of its own: sodium_malloc maps, protects and locks pages for each
 * allocation. Used with the GIL held. A freed slot is wiped at once; slabs are kept for reuse. */
#define SLAB_SLOTS 64

struct slab {
    uint8_t *mem;
    uint64_t used;
    struct slab *next;
};

static struct slab *g_slabs;

static uint8_t *slot_alloc(void)
{
    struct slab *s;
    for (s = g_slabs; s != NULL && s->used == UINT64_MAX; s = s->next) {}
    if (s == NULL) {
        s = PyMem_Calloc(1, sizeof *s);
        if (s == NULL) return NULL;
        s->mem = kp_secure_alloc(SLAB_SLOTS * 32);
        if (s->mem == NULL) {
            PyMem_Free(s);
            return NULL;
        }
        s->next = g_slabs;
        g_slabs = s;
    }
    int i = __builtin_ctzll(~s->used);
    s->used |= UINT64_C(1) << i;
    return s->mem + 32 * i;
}

static void slot_free(uint8_t *p)
{
    if (p == NULL) return;
    kp_memzero(p, 32);
    for (struct slab *s = g_slabs; s != NULL; s = s->next)
        if (p >= s->mem && p < s->mem + SLAB_SLOTS * 32) {
            s->used &= ~(UINT64_C(1) << ((p - s->mem) / 32));
            return;
        }
}

/* ---------------------------------------------------------------- SecretKey */

/* A 32-byte scalar on a curve in secure memory: a recovered key, a parsed key, a signer's
 * encryption secret or share. Wiped by wipe(), on leaving a with block, and when freed. */
typedef struct {
    PyObject_HEAD
    uint8_t *secret;
    int wiped;
    kp_curve curve;
    kp_protocol protocol;
    uint8_t pub[KP_PUBKEY_MAX_BYTES];
    size_t publen;
    PyObject *report; /* the recovery report (keyport.RecoveryReport) or NULL */
    PyObject *raw;    /* recovery facts from C: (culprits, unresolved, note, unique, min_signers) or NULL */
    PyObject *doc;    /* the export response it was recovered from (bytes), for the report */
} SecretKeyObject;

static PyTypeObject *SecretKey_Type;

static PyObject *secretkey_new(kp_curve c, kp_protocol p, const uint8_t scalar[32], const uint8_t *pub, size_t publen)
{
    SecretKeyObject *k = PyObject_New(SecretKeyObject, SecretKey_Type);
    if (k == NULL) return NULL;
    k->secret = slot_alloc();
    k->wiped = 0;
    k->report = NULL;
    k->raw = NULL;
    k->doc = NULL;
    k->curve = c;
    k->protocol = p;
    k->publen = 0;
    memset(k->pub, 0, sizeof k->pub);
    if (k->secret == NULL) {
        Py_DECREF(k);
        return PyErr_NoMemory();
    }
    memcpy(k->secret, scalar, 32);
    if (pub != NULL) {
        memcpy(k->pub, pub, publen);
        k->publen = publen;
    } else {
        kp_status st = kp_public_key(g_ctx, k->pub, &k->publen, c, scalar);
        if (st != KP_OK) {
            Py_DECREF(k);
            return raise_now(st);
        }
    }
    return (PyObject *)k;
}

static void secretkey_dealloc(PyObject *self)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    slot_free(k->secret);
    k->secret = NULL;
    Py_CLEAR(k->report);
    Py_CLEAR(k->raw);
    Py_CLEAR(k->doc);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static int secretkey_live(SecretKeyObject *k)
{
    if (k->wiped || k->secret == NULL) {
        raise_misuse("the key was wiped: it can no longer be used");
        return -1;
    }
    return 0;
}

static PyObject *secretkey_wipe(PyObject *self, PyObject *unused)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    if (k->secret != NULL) kp_memzero(k->secret, 32);
    k->wiped = 1;
    Py_RETURN_NONE;
}

static PyObject *secretkey_enter(PyObject *self, PyObject *unused)
{
    if (secretkey_live((SecretKeyObject *)self) < 0) return NULL;
    return Py_NewRef(self);
}

static PyObject *secretkey_exit(PyObject *self, PyObject *args)
{
    secretkey_wipe(self, NULL);
    Py_RETURN_FALSE;
}

static PyObject *secretkey_copy_into(PyObject *self, PyObject *arg)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    if (secretkey_live(k) < 0) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(arg, &v, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "copy_into() needs a writable buffer (a bytearray) of at least 32 bytes");
        return NULL;
    }
    if (v.len < 32) {
        PyBuffer_Release(&v);
        PyErr_Format(PyExc_ValueError, "copy_into() needs at least 32 bytes, the buffer has %zd", v.len);
        return NULL;
    }
    memcpy(v.buf, k->secret, 32);
    PyBuffer_Release(&v);
    return PyLong_FromLong(32);
}

static PyObject *secretkey_reduce(PyObject *self, PyObject *args)
{
    PyErr_SetString(PyExc_TypeError, "a keyport.SecretKey cannot be pickled or copied: its bytes stay in secure memory");
    return NULL;
}

/* to_format(format, passphrase=None, kdf=None) -> bytearray: the key written in a key format
 * (hex, wif, keystore, ...), with its final newline, in a bytearray the caller can wipe. */
static PyObject *secretkey_to_format(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"format", "passphrase", "kdf", NULL};
    SecretKeyObject *k = (SecretKeyObject *)self;
    PyObject *fmt_o, *pass_o = Py_None, *kdf_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO", kwlist, &fmt_o, &pass_o, &kdf_o)) return NULL;
    if (secretkey_live(k) < 0) return NULL;
    kp_key_format fmt;
    kp_kdf_strength kdf;
    uint8_t *pass = NULL;
    size_t passlen = 0;
    if (get_format(fmt_o, &fmt) < 0 || get_kdf(kdf_o, &kdf) < 0) return NULL;
    if (get_secret(pass_o, &pass, &passlen, 1, "passphrase") < 0) return NULL;
    kp_buf out;
    kp_buf_init(&out, 1);
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_key_write(g_ctx, &out, fmt, k->curve, k->secret, (const char *)pass, passlen, kdf));
    Py_END_ALLOW_THREADS
    kp_secure_free(pass);
    PyObject *r = NULL;
    if (o.st != KP_OK) raise_outcome(&o);
    else r = PyByteArray_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len);
    kp_buf_release(&out);
    return r;
}

static PyObject *secretkey_repr(PyObject *self)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    char hex[2 * KP_PUBKEY_MAX_BYTES + 1];
    for (size_t i = 0; i < k->publen; i++) snprintf(hex + 2 * i, 3, "%02x", k->pub[i]);
    hex[2 * k->publen] = 0;
    const char *c = kp_curve_name(k->curve);
    return PyUnicode_FromFormat("<keyport.SecretKey curve=%s public_key=%s%s>", c ? c : "?", hex,
                                k->wiped ? " wiped" : "");
}

static PyObject *sk_get_curve(PyObject *self, void *c) { return curve_obj(((SecretKeyObject *)self)->curve); }
static PyObject *sk_get_protocol(PyObject *self, void *c) { return protocol_obj(((SecretKeyObject *)self)->protocol); }
static PyObject *sk_get_pub(PyObject *self, void *c)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    return PyBytes_FromStringAndSize((const char *)k->pub, (Py_ssize_t)k->publen);
}
static PyObject *sk_get_wiped(PyObject *self, void *c) { return PyBool_FromLong(((SecretKeyObject *)self)->wiped); }
/* The report is made when first asked for, by keyport's _make_report(response, facts). */
static PyObject *sk_get_report(PyObject *self, void *c)
{
    SecretKeyObject *k = (SecretKeyObject *)self;
    if (k->report == NULL && k->raw != NULL) {
        PyObject *fn = registry("_make_report");
        if (fn == NULL) return NULL;
        k->report = PyObject_CallFunctionObjArgs(fn, k->doc, k->raw, NULL);
        if (k->report == NULL) return NULL;
    }
    return Py_NewRef(k->report ? k->report : Py_None);
}

static PyMethodDef secretkey_methods[] = {
    {"wipe", secretkey_wipe, METH_NOARGS, "Overwrites the key's bytes with zeros; the key can no longer be used."},
    {"copy_into", secretkey_copy_into, METH_O, "Copies the 32-byte big-endian scalar into a writable buffer the caller owns."},
    {"to_format", (PyCFunction)(void (*)(void))secretkey_to_format, METH_VARARGS | METH_KEYWORDS,
     "The key in a key format, as a bytearray."},
    {"__enter__", secretkey_enter, METH_NOARGS, NULL},
    {"__exit__", secretkey_exit, METH_VARARGS, NULL},
    {"__reduce__", secretkey_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", secretkey_reduce, METH_VARARGS, NULL},
    {"__copy__", secretkey_reduce, METH_NOARGS, NULL},
    {"__deepcopy__", secretkey_reduce, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef secretkey_getset[] = {
    {"curve", sk_get_curve, NULL, "The curve (keyport.Curve).", NULL},
    {"protocol", sk_get_protocol, NULL, "The protocol of a recovered key (keyport.Protocol), else None.", NULL},
    {"public_key", sk_get_pub, NULL, "The public key in its wire form.", NULL},
    {"wiped", sk_get_wiped, NULL, "Whether wipe() ran.", NULL},
    {"report", sk_get_report, NULL, "For a recovered key: the signer table (keyport.RecoveryReport), else None.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(secretkey, "keyport.SecretKey", SecretKeyObject,
    {Py_tp_dealloc, secretkey_dealloc},
    {Py_tp_repr, secretkey_repr},
    {Py_tp_methods, secretkey_methods},
    {Py_tp_getset, secretkey_getset},
    {Py_tp_doc, "A private key whose bytes stay in libkeyport's secure memory. Use it as "
    "`with ... as key:`; it is wiped on leaving the block or by wipe()."});

static SecretKeyObject *as_secretkey(PyObject *o, const char *what)
{
    if (!PyObject_TypeCheck(o, SecretKey_Type)) {
        PyErr_Format(PyExc_TypeError, "%s must be a keyport.SecretKey", what);
        return NULL;
    }
    SecretKeyObject *k = (SecretKeyObject *)o;
    if (secretkey_live(k) < 0) return NULL;
    return k;
}

/* secret_from_scalar(curve, scalar) -> SecretKey: 32 big-endian bytes, checked against the order. */
static PyObject *m_secret_from_scalar(PyObject *m, PyObject *args)
{
    PyObject *curve_o, *buf_o;
    if (!PyArg_ParseTuple(args, "OO", &curve_o, &buf_o)) return NULL;
    kp_curve c;
    if (get_curve(curve_o, &c) < 0) return NULL;
    uint8_t *s;
    size_t len;
    if (get_secret(buf_o, &s, &len, 0, "scalar") < 0) return NULL;
    PyObject *r = NULL;
    if (len != 32) {
        PyErr_Format(PyExc_ValueError, "a scalar is 32 bytes (big-endian), not %zu", len);
    } else {
        kp_status st = kp_scalar_check(c, s);
        r = st == KP_OK ? secretkey_new(c, (kp_protocol)0, s, NULL, 0) : raise_now(st);
    }
    kp_secure_free(s);
    return r;
}

static PyObject *m_secret_random(PyObject *m, PyObject *arg)
{
    kp_curve c;
    if (get_curve(arg, &c) < 0) return NULL;
    uint8_t s[32];
    kp_status st = kp_scalar_random(s, c);
    PyObject *r = st == KP_OK ? secretkey_new(c, (kp_protocol)0, s, NULL, 0) : raise_now(st);
    kp_memzero(s, sizeof s);
    return r;
}

/* Test hook: the 32 bytes of the key's secure memory as they are now (zeros once wiped). */
static PyObject *m_test_secret_bytes(PyObject *m, PyObject *arg)
{
    if (!PyObject_TypeCheck(arg, SecretKey_Type)) {
        PyErr_SetString(PyExc_TypeError, "a keyport.SecretKey is needed");
        return NULL;
    }
    SecretKeyObject *k = (SecretKeyObject *)arg;
    return PyBytes_FromStringAndSize((const char *)k->secret, 32);
}

/* Test hook: calls libkeyport against its contract (a NULL output); raises MisuseError. */
static PyObject *m_test_misuse(PyObject *m, PyObject *unused)
{
    uint8_t s[32] = {1};
    kp_status st = kp_public_key(g_ctx, NULL, NULL, KP_CURVE_SECP256K1, s);
    return raise_now(st);
}

static PyObject *m_test_misuse_count(PyObject *m, PyObject *unused)
{
    return PyLong_FromUnsignedLong(__atomic_load_n(&g_misuse_calls, __ATOMIC_RELAXED));
}

/* ---------------------------------------------------------------- export contexts */

typedef struct {
    PyObject_HEAD
    uint8_t *secret; /* 32 bytes, secure */
    uint8_t ek[KP_ENCRYPTION_KEY_BYTES];
    int wiped;
} ContextObject;

static PyTypeObject *Context_Type;

static ContextObject *context_alloc(void)
{
    ContextObject *c = PyObject_New(ContextObject, Context_Type);
    if (c == NULL) return NULL;
    c->wiped = 0;
    c->secret = slot_alloc();
    if (c->secret == NULL) {
        Py_DECREF(c);
        PyErr_NoMemory();
        return NULL;
    }
    return c;
}

static void context_dealloc(PyObject *self)
{
    ContextObject *c = (ContextObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    slot_free(c->secret);
    c->secret = NULL;
    PyObject_Free(self);
    Py_DECREF(tp);
}

static int context_live(ContextObject *c)
{
    if (c->wiped) {
        raise_misuse("the export context was wiped");
        return -1;
    }
    return 0;
}

static PyObject *m_context_new(PyObject *m, PyObject *unused)
{
    ContextObject *c = context_alloc();
    if (c == NULL) return NULL;
    kp_status st = kp_encryption_keypair(g_ctx, c->secret, c->ek);
    if (st != KP_OK) {
        Py_DECREF(c);
        return raise_now(st);
    }
    return (PyObject *)c;
}

/* context_from_secret(key) -> _Context: a context whose secret is a secp256k1 SecretKey (e.g. the
 * decryption key of a context made by another tool). */
static PyObject *m_context_from_secret(PyObject *m, PyObject *arg)
{
    SecretKeyObject *k = as_secretkey(arg, "key");
    if (k == NULL) return NULL;
    if (k->curve != KP_CURVE_SECP256K1)
        return raise_status_extra(KP_ERR_CURVE_MISMATCH, "an export context's secret is a secp256k1 scalar", NULL);
    ContextObject *c = context_alloc();
    if (c == NULL) return NULL;
    memcpy(c->secret, k->secret, 32);
    kp_status st = kp_encryption_key_from_secret(g_ctx, c->ek, c->secret);
    if (st != KP_OK) {
        Py_DECREF(c);
        return raise_now(st);
    }
    return (PyObject *)c;
}

/* context_open(file, passphrase) -> _Context. Argon2id runs without the GIL. */
static PyObject *m_context_open(PyObject *m, PyObject *args)
{
    PyObject *file_o, *pass_o;
    if (!PyArg_ParseTuple(args, "OO", &file_o, &pass_o)) return NULL;
    Py_buffer file;
    if (PyUnicode_Check(file_o) || PyObject_GetBuffer(file_o, &file, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "the sealed context file must be bytes, bytearray or memoryview");
        return NULL;
    }
    uint8_t *pass;
    size_t passlen;
    if (get_secret(pass_o, &pass, &passlen, 0, "passphrase") < 0) {
        PyBuffer_Release(&file);
        return NULL;
    }
    uint8_t filecopy[KP_CONTEXT_FILE_BYTES + 1];
    size_t flen = (size_t)file.len > sizeof filecopy ? sizeof filecopy : (size_t)file.len;
    memcpy(filecopy, file.buf, flen);
    PyBuffer_Release(&file);
    ContextObject *c = context_alloc();
    if (c == NULL) {
        kp_secure_free(pass);
        return NULL;
    }
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    kp_status st = kp_context_open(g_ctx, c->secret, filecopy, flen, (const char *)pass, passlen);
    if (st == KP_OK) st = kp_encryption_key_from_secret(g_ctx, c->ek, c->secret);
    outcome_set(&o, st);
    Py_END_ALLOW_THREADS
    kp_secure_free(pass);
    if (o.st != KP_OK) {
        Py_DECREF(c);
        return raise_outcome(&o);
    }
    return (PyObject *)c;
}

static PyObject *context_seal(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"passphrase", "kdf", NULL};
    ContextObject *c = (ContextObject *)self;
    PyObject *pass_o, *kdf_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwlist, &pass_o, &kdf_o)) return NULL;
    if (context_live(c) < 0) return NULL;
    kp_kdf_strength kdf;
    if (get_kdf(kdf_o, &kdf) < 0) return NULL;
    uint8_t *pass;
    size_t passlen;
    if (get_secret(pass_o, &pass, &passlen, 0, "passphrase") < 0) return NULL;
    uint8_t file[KP_CONTEXT_FILE_BYTES];
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_context_seal(g_ctx, file, c->secret, (const char *)pass, passlen, kdf));
    Py_END_ALLOW_THREADS
    kp_secure_free(pass);
    if (o.st != KP_OK) return raise_outcome(&o);
    return PyBytes_FromStringAndSize((const char *)file, sizeof file);
}

/* export_request(delete=None, schemes=None) -> bytes: the body of POST /keys/{keyId}/export. */
static PyObject *context_request(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"delete", "schemes", NULL};
    ContextObject *c = (ContextObject *)self;
    PyObject *del_o = Py_None, *schemes_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "|OO", kwlist, &del_o, &schemes_o)) return NULL;
    if (context_live(c) < 0) return NULL;
    int del = -1;
    if (del_o != Py_None) {
        del = PyObject_IsTrue(del_o);
        if (del < 0) return NULL;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st;
    if (schemes_o == Py_None) {
        st = kp_export_request_write(&out, c->ek, del);
    } else {
        PyObject *seq = as_tuple(schemes_o, "schemes must be a sequence of (protocol, curve) pairs");
        if (seq == NULL) return NULL;
        Py_ssize_t n = PyTuple_Size(seq);
        kp_scheme sc[KP_MAX_SCHEMES + 1];
        if (n > KP_MAX_SCHEMES) {
            Py_DECREF(seq);
            return raise_status_extra(KP_ERR_TOO_MANY, "supportedSchemes holds at most 8 pairs", NULL);
        }
        for (Py_ssize_t i = 0; i < n; i++) {
            PyObject *pair = PyTuple_GetItem(seq, i);
            PyObject *p = NULL, *cv = NULL;
            if (PyTuple_Check(pair) && PyTuple_Size(pair) == 2) {
                p = PyTuple_GetItem(pair, 0);
                cv = PyTuple_GetItem(pair, 1);
            }
            if (p == NULL) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_TypeError, "each scheme is a (protocol, curve) tuple");
                return NULL;
            }
            if (get_protocol(p, &sc[i].protocol) < 0 || get_curve(cv, &sc[i].curve) < 0) {
                Py_DECREF(seq);
                return NULL;
            }
        }
        Py_DECREF(seq);
        st = kp_export_request_write_schemes(&out, c->ek, sc, (size_t)n, del);
    }
    PyObject *r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
    return r;
}

static PyObject *culprits_and_groups(const kp_export_result *res)
{
    size_t nc = kp_export_result_culprit_count(res), ng = kp_export_result_group_count(res);
    PyObject *cul = PyList_New(0), *groups = PyList_New(0), *r = NULL;
    if (cul == NULL || groups == NULL) goto done;
    for (size_t i = 0; i < nc; i++) {
        kp_status why = KP_OK;
        const char *reason = "";
        const char *id = kp_export_result_culprit(res, i, &why, &reason);
        PyObject *t = Py_BuildValue("(sis)", id, (int)why, reason ? reason : "");
        if (t == NULL || PyList_Append(cul, t) < 0) {
            Py_XDECREF(t);
            goto done;
        }
        Py_DECREF(t);
    }
    for (size_t g = 0; g < ng; g++) {
        const char *const *ids = NULL;
        size_t n = kp_export_result_group(res, g, &ids);
        PyObject *l = PyList_New(0);
        if (l == NULL) goto done;
        for (size_t i = 0; i < n; i++) {
            PyObject *s = PyUnicode_FromString(ids[i]);
            if (s == NULL || PyList_Append(l, s) < 0) {
                Py_XDECREF(s);
                Py_DECREF(l);
                goto done;
            }
            Py_DECREF(s);
        }
        if (PyList_Append(groups, l) < 0) {
            Py_DECREF(l);
            goto done;
        }
        Py_DECREF(l);
    }
    r = Py_BuildValue("(OOsOI)", cul, groups, kp_export_result_note(res),
                      kp_export_result_unique(res) ? Py_True : Py_False, kp_export_result_min_signers(res));
done:
    Py_XDECREF(cul);
    Py_XDECREF(groups);
    return r;
}

/* recover(response) -> SecretKey: recovery runs without the GIL. On failure the status is raised
 * with the detail of this call; the Python layer adds the signer table. */
static PyObject *context_recover(PyObject *self, PyObject *arg)
{
    ContextObject *c = (ContextObject *)self;
    if (context_live(c) < 0) return NULL;
    Py_buffer v;
    if (get_doc(arg, &v, "the export response") < 0) return NULL;
    /* an immutable copy, so that no other thread changes the response while recovery reads it;
     * kept by the key for its report */
    PyObject *docobj = PyBytes_Check(arg) ? Py_NewRef(arg) : PyBytes_FromStringAndSize(v.buf, v.len);
    PyBuffer_Release(&v);
    if (docobj == NULL) return NULL;
    const char *doc = PyBytes_AsString(docobj);
    size_t len = (size_t)PyBytes_Size(docobj);
    kp_export_result *res = NULL;
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_export_recover(g_ctx, &res, c->secret, doc, len));
    Py_END_ALLOW_THREADS
    if (o.st != KP_OK) {
        Py_DECREF(docobj);
        return raise_outcome(&o);
    }
    uint8_t key[32], pub[KP_PUBKEY_MAX_BYTES];
    kp_export_result_private_key(res, key);
    size_t publen = kp_export_result_public_key(res, pub);
    PyObject *k = secretkey_new(kp_export_result_curve(res), kp_export_result_protocol(res), key, pub, publen);
    kp_memzero(key, sizeof key);
    if (k != NULL) {
        PyObject *raw = culprits_and_groups(res);
        if (raw == NULL) {
            Py_CLEAR(k);
        } else {
            ((SecretKeyObject *)k)->raw = raw;
            ((SecretKeyObject *)k)->doc = Py_NewRef(docobj);
        }
    }
    Py_DECREF(docobj);
    kp_export_result_free(res);
    return k;
}

/* _opens(ciphertext) -> bool: whether one share's envelope opens with this context (for the
 * signer table of a failed recovery). The plaintext is wiped at once. */
static PyObject *context_opens(PyObject *self, PyObject *arg)
{
    ContextObject *c = (ContextObject *)self;
    if (context_live(c) < 0) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(arg, &v, PyBUF_SIMPLE) < 0) return NULL;
    int ok = 0;
    if ((size_t)v.len > KP_ENVELOPE_OVERHEAD && (size_t)v.len < KP_MAX_INPUT_BYTES) {
        size_t mlen = (size_t)v.len - KP_ENVELOPE_OVERHEAD;
        uint8_t *m = kp_secure_alloc(mlen);
        if (m == NULL) {
            PyBuffer_Release(&v);
            return PyErr_NoMemory();
        }
        ok = kp_envelope_open(g_ctx, m, c->secret, v.buf, (size_t)v.len) == KP_OK;
        kp_secure_free(m);
    }
    PyBuffer_Release(&v);
    return PyBool_FromLong(ok);
}

static PyObject *context_wipe(PyObject *self, PyObject *unused)
{
    ContextObject *c = (ContextObject *)self;
    if (c->secret) kp_memzero(c->secret, 32);
    c->wiped = 1;
    Py_RETURN_NONE;
}

static PyObject *ctx_get_ek(PyObject *self, void *x)
{
    return PyBytes_FromStringAndSize((const char *)((ContextObject *)self)->ek, KP_ENCRYPTION_KEY_BYTES);
}

static PyMethodDef context_methods[] = {
    {"seal", (PyCFunction)(void (*)(void))context_seal, METH_VARARGS | METH_KEYWORDS, NULL},
    {"export_request", (PyCFunction)(void (*)(void))context_request, METH_VARARGS | METH_KEYWORDS, NULL},
    {"recover", context_recover, METH_O, NULL},
    {"_opens", context_opens, METH_O, NULL},
    {"wipe", context_wipe, METH_NOARGS, NULL},
    {"__reduce__", secretkey_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", secretkey_reduce, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef context_getset[] = {
    {"encryption_key", ctx_get_ek, NULL, "The context's encryption key (33-byte compressed secp256k1 point).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(context, "keyport._keyport._Context", ContextObject,
    {Py_tp_dealloc, context_dealloc},
    {Py_tp_methods, context_methods},
    {Py_tp_getset, context_getset});

/* ---------------------------------------------------------------- encryption keys and fingerprints */

static PyObject *m_encryption_key_encode(PyObject *m, PyObject *arg)
{
    uint8_t ek[33];
    char out[49];
    if (get_fixed(arg, ek, 33, "encryption key") < 0) return NULL;
    kp_status st = kp_encryption_key_encode(out, ek);
    return st == KP_OK ? PyUnicode_FromString(out) : raise_now(st);
}

static PyObject *m_encryption_key_decode(PyObject *m, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "encryption key") < 0) return NULL;
    uint8_t ek[33];
    kp_status st = kp_encryption_key_decode(g_ctx, ek, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    return st == KP_OK ? PyBytes_FromStringAndSize((const char *)ek, 33) : raise_now(st);
}

static PyObject *m_encryption_key_fingerprint(PyObject *m, PyObject *arg)
{
    uint8_t ek[33];
    char out[17];
    if (get_fixed(arg, ek, 33, "encryption key") < 0) return NULL;
    kp_status st = kp_encryption_key_fingerprint(out, ek);
    return st == KP_OK ? PyUnicode_FromString(out) : raise_now(st);
}

static PyObject *m_fingerprint(PyObject *m, PyObject *arg)
{
    uint8_t pk[32];
    char out[KP_FINGERPRINT_LEN + 1];
    if (get_fixed(arg, pk, 32, "operator public key") < 0) return NULL;
    kp_status st = kp_fingerprint(out, pk);
    return st == KP_OK ? PyUnicode_FromString(out) : raise_now(st);
}

static PyObject *m_encryption_keypair(PyObject *m, PyObject *unused)
{
    uint8_t s[32], ek[33];
    kp_status st = kp_encryption_keypair(g_ctx, s, ek);
    PyObject *r = st == KP_OK ? secretkey_new(KP_CURVE_SECP256K1, (kp_protocol)0, s, ek, 33) : raise_now(st);
    kp_memzero(s, sizeof s);
    return r;
}

/* ---------------------------------------------------------------- import */

/* A parsed GET /signers response, for many imports to the same signers. */
typedef struct {
    PyObject_HEAD
    kp_signers *s;
} SignerListObject;

static PyTypeObject *SignerList_Type;

static void signerlist_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    kp_signers_free(((SignerListObject *)self)->s);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* entries() -> [(signerId base64, encryption key)], in sorted order */
static PyObject *signerlist_entries(PyObject *self, PyObject *unused)
{
    const kp_signers *s = ((SignerListObject *)self)->s;
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l != NULL && i < kp_signers_count(s); i++) {
        uint8_t ek[33];
        const char *id = kp_signers_get(s, i, ek);
        PyObject *t = Py_BuildValue("(sy#)", id, (const char *)ek, (Py_ssize_t)33);
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

static PyMethodDef signerlist_methods[] = {
    {"entries", signerlist_entries, METH_NOARGS, "[(signerId, encryption key)] in sorted order."},
    {NULL, NULL, 0, NULL},
};

static PyObject *signerlist_len(PyObject *self, void *x)
{
    return PyLong_FromSize_t(kp_signers_count(((SignerListObject *)self)->s));
}

static PyGetSetDef signerlist_getset[] = {
    {"count", signerlist_len, NULL, "How many signers.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(signerlist, "keyport.SignerList", SignerListObject,
    {Py_tp_dealloc, signerlist_dealloc},
    {Py_tp_getset, signerlist_getset},
    {Py_tp_methods, signerlist_methods});

/* parse_signers(signers, cluster_id=None) -> SignerList */
static PyObject *m_parse_signers(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"signers", "cluster_id", NULL};
    PyObject *doc_o, *cid_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwlist, &doc_o, &cid_o)) return NULL;
    const char *cid;
    if (get_cstr(cid_o, &cid, 1, "cluster_id") < 0) return NULL;
    Py_buffer v;
    if (get_doc(doc_o, &v, "the signers document") < 0) return NULL;
    kp_signers *s = NULL;
    kp_status st = kp_signers_parse(g_ctx, &s, v.buf, (size_t)v.len, cid);
    PyBuffer_Release(&v);
    if (st != KP_OK) return raise_now(st);
    SignerListObject *o = PyObject_New(SignerListObject, SignerList_Type);
    if (o == NULL) {
        kp_signers_free(s);
        return NULL;
    }
    o->s = s;
    return (PyObject *)o;
}

/* import_prepare(signers, key, curve=None, protocol, min_signers, name=None, cluster_id=None,
 *                key_format=None, path=None, passphrase=None) -> bytes
 * signers: a SignerList, or a GET /signers body. key: a SecretKey, or the key's text (bytes-like) in
 * key_format (default hex). Parsing, splitting and encrypting run without the GIL. */
static PyObject *m_import_prepare(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"signers", "key", "curve", "protocol", "min_signers", "name", "cluster_id",
                             "key_format", "path", "passphrase", NULL};
    PyObject *doc_o, *key_o, *curve_o = Py_None, *proto_o = Py_None, *name_o = Py_None, *cid_o = Py_None,
             *fmt_o = Py_None, *path_o = Py_None, *pass_o = Py_None;
    unsigned int t = 3;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|OOIOOOOO", kwlist, &doc_o, &key_o, &curve_o, &proto_o, &t, &name_o,
                                     &cid_o, &fmt_o, &path_o, &pass_o))
        return NULL;
    kp_curve c = (kp_curve)0;
    kp_protocol p = (kp_protocol)0;
    kp_key_format fmt = KP_KEYFMT_HEX;
    const char *name, *cid, *path;
    if (get_curve_opt(curve_o, &c) < 0 || get_cstr(name_o, &name, 1, "name") < 0 ||
        get_cstr(cid_o, &cid, 1, "cluster_id") < 0 || get_cstr(path_o, &path, 1, "path") < 0)
        return NULL;
    if (proto_o == Py_None) {
        PyErr_SetString(PyExc_TypeError, "import_prepare() needs protocol (keyport.Protocol)");
        return NULL;
    }
    if (get_protocol(proto_o, &p) < 0) return NULL;
    if (fmt_o != Py_None && get_format(fmt_o, &fmt) < 0) return NULL;
    SecretKeyObject *sk = NULL;
    uint8_t *text = NULL, *pass = NULL;
    size_t textlen = 0, passlen = 0;
    if (PyObject_TypeCheck(key_o, SecretKey_Type)) {
        sk = as_secretkey(key_o, "key");
        if (sk == NULL) return NULL;
        if (c == 0) c = sk->curve;
        if (c != sk->curve) return raise_status_extra(KP_ERR_CURVE_MISMATCH, "the key is on another curve than the one asked for", NULL);
    } else if (get_secret(key_o, &text, &textlen, 0, "key") < 0) {
        return NULL;
    }
    if (get_secret(pass_o, &pass, &passlen, 1, "passphrase") < 0) {
        kp_secure_free(text);
        return NULL;
    }
    const kp_signers *parsed = PyObject_TypeCheck(doc_o, SignerList_Type) ? ((SignerListObject *)doc_o)->s : NULL;
    char *doc = NULL;
    size_t doclen = 0;
    if (parsed == NULL) {
        Py_buffer v;
        if (get_doc(doc_o, &v, "the signers document") < 0) {
            kp_secure_free(text);
            kp_secure_free(pass);
            return NULL;
        }
        doc = PyMem_Malloc((size_t)v.len + 1);
        if (doc != NULL) {
            doclen = (size_t)v.len;
            memcpy(doc, v.buf, doclen);
            doc[doclen] = 0;
        }
        PyBuffer_Release(&v);
        if (doc == NULL) {
            kp_secure_free(text);
            kp_secure_free(pass);
            return PyErr_NoMemory();
        }
    }
    /* a SecretKey's own secure memory is used as it is (the call holds a reference to it) */
    uint8_t *scalar = sk != NULL ? sk->secret : kp_secure_alloc(32);
    if (scalar == NULL) {
        PyMem_Free(doc);
        kp_secure_free(text);
        kp_secure_free(pass);
        return PyErr_NoMemory();
    }
    /* a sensible curve for the protocol when neither the caller nor the format says */
    if (c == 0 && sk == NULL) {
        const kp_key_format_info *fi = kp_key_format_info_of(fmt);
        if (fi != NULL && fi->default_curve != 0) c = fi->default_curve;
        else c = p == KP_PROTOCOL_FROST ? KP_CURVE_ED25519 : KP_CURVE_SECP256K1;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    kp_status st = KP_OK;
    if (sk == NULL) {
        kp_key_params params = {c, path, (const char *)pass, passlen};
        kp_curve got = (kp_curve)0;
        st = kp_key_parse(g_ctx, &got, scalar, fmt, &params, text, textlen);
        if (st == KP_OK) c = got;
    }
    kp_signers *s = NULL;
    if (st == KP_OK && parsed == NULL) st = kp_signers_parse(g_ctx, &s, doc, doclen, cid);
    if (st == KP_OK) st = kp_import_prepare(g_ctx, &out, parsed ? parsed : s, c, p, t, name, scalar);
    outcome_set(&o, st);
    kp_signers_free(s);
    Py_END_ALLOW_THREADS
    if (sk == NULL) kp_secure_free(scalar);
    kp_secure_free(text);
    kp_secure_free(pass);
    PyMem_Free(doc);
    PyObject *r = o.st == KP_OK ? buf_to_bytes(&out) : raise_outcome(&o);
    kp_buf_release(&out);
    return r;
}

static PyObject *m_import_request_parse(PyObject *m, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "the import request") < 0) return NULL;
    kp_import_request *r = NULL;
    kp_status st = kp_import_request_parse(&r, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    if (st != KP_OK) return raise_now(st);
    PyObject *shares = PyList_New(0), *out = NULL;
    for (size_t i = 0; shares != NULL && i < kp_import_request_count(r); i++) {
        const uint8_t *ct;
        size_t ctlen;
        const char *id = kp_import_request_share(r, i, &ct, &ctlen);
        PyObject *t = Py_BuildValue("(sy#)", id, (const char *)ct, (Py_ssize_t)ctlen);
        if (t == NULL || PyList_Append(shares, t) < 0) Py_CLEAR(shares);
        Py_XDECREF(t);
    }
    if (shares != NULL) {
        PyObject *cv = curve_obj(kp_import_request_curve(r)), *pv = protocol_obj(kp_import_request_protocol(r));
        const char *nm = kp_import_request_name(r);
        if (cv && pv)
            out = Py_BuildValue("{sOsOsIszsO}", "curve", cv, "protocol", pv, "min_signers",
                                kp_import_request_min_signers(r), "name", nm, "shares", shares);
        Py_XDECREF(cv);
        Py_XDECREF(pv);
        Py_DECREF(shares);
    }
    kp_import_request_free(r);
    return out;
}

/* import_open_share(signer_secret, curve, index, n, t, ciphertext) -> (share, group public key, digest) */
static PyObject *m_import_open_share(PyObject *m, PyObject *args)
{
    PyObject *sec_o, *curve_o, *ct_o;
    unsigned int index, n, t;
    if (!PyArg_ParseTuple(args, "OOIIIO", &sec_o, &curve_o, &index, &n, &t, &ct_o)) return NULL;
    SecretKeyObject *sec = as_secretkey(sec_o, "signer_secret");
    kp_curve c;
    if (sec == NULL || get_curve(curve_o, &c) < 0) return NULL;
    Py_buffer v;
    if (PyObject_GetBuffer(ct_o, &v, PyBUF_SIMPLE) < 0) return NULL;
    uint8_t *share = kp_secure_alloc(32), pub[KP_PUBKEY_MAX_BYTES], digest[32];
    size_t publen = 0;
    if (share == NULL) {
        PyBuffer_Release(&v);
        return PyErr_NoMemory();
    }
    kp_status st = kp_import_open_share_digest(g_ctx, share, pub, &publen, digest, sec->secret, c, index, n, t, v.buf,
                                               (size_t)v.len);
    PyBuffer_Release(&v);
    PyObject *r = NULL;
    if (st != KP_OK) {
        raise_now(st);
    } else {
        PyObject *k = secretkey_new(c, (kp_protocol)0, share, NULL, 0);
        if (k != NULL) r = Py_BuildValue("(Ny#y#)", k, (const char *)pub, (Py_ssize_t)publen, (const char *)digest,
                                         (Py_ssize_t)32);
    }
    kp_secure_free(share);
    return r;
}

static int get_index(PyObject *o, uint8_t out[32])
{
    if (PyLong_Check(o)) {
        unsigned long long v = PyLong_AsUnsignedLongLong(o);
        if (v == (unsigned long long)-1 && PyErr_Occurred()) return -1;
        kp_scalar_from_u64(out, v);
        return 0;
    }
    return get_fixed(o, out, 32, "index");
}

/* export_seal_share(encryption_key, index, share) -> bytes: a signer's encryptedKeyShare. */
static PyObject *m_export_seal_share(PyObject *m, PyObject *args)
{
    PyObject *ek_o, *idx_o, *share_o;
    if (!PyArg_ParseTuple(args, "OOO", &ek_o, &idx_o, &share_o)) return NULL;
    uint8_t ek[33], idx[32];
    if (get_fixed(ek_o, ek, 33, "encryption key") < 0 || get_index(idx_o, idx) < 0) return NULL;
    SecretKeyObject *sh = as_secretkey(share_o, "share");
    if (sh == NULL) return NULL;
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st = kp_export_seal_share(g_ctx, &out, ek, sh->curve, idx, sh->secret);
    PyObject *r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
    return r;
}

/* Reads [(id bytes, data bytes)] into parallel arrays of views. */
static int get_pairs(PyObject *o, Py_buffer *a, Py_buffer *b, size_t *n, size_t max, const char *what)
{
    PyObject *seq = as_tuple(o, what);
    if (seq == NULL) return -1;
    Py_ssize_t len = PyTuple_Size(seq);
    *n = 0;
    if ((size_t)len > max) {
        Py_DECREF(seq);
        raise_status_extra(KP_ERR_TOO_MANY, "more than 64 signers", NULL);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *it = PyTuple_GetItem(seq, i);
        if (!PyTuple_Check(it) || PyTuple_Size(it) != 2 || get_doc(PyTuple_GetItem(it, 0), &a[i], what) < 0) {
            if (!PyErr_Occurred()) PyErr_Format(PyExc_TypeError, "%s: each entry is a (signer_id, bytes) tuple", what);
            goto fail;
        }
        if (PyObject_GetBuffer(PyTuple_GetItem(it, 1), &b[i], PyBUF_SIMPLE) < 0) {
            PyBuffer_Release(&a[i]);
            goto fail;
        }
        (*n)++;
    }
    Py_DECREF(seq);
    return 0;
fail:
    for (size_t i = 0; i < *n; i++) {
        PyBuffer_Release(&a[i]);
        PyBuffer_Release(&b[i]);
    }
    *n = 0;
    Py_DECREF(seq);
    return -1;
}

static PyObject *m_signers_write(PyObject *m, PyObject *args)
{
    const char *cid;
    PyObject *list_o;
    if (!PyArg_ParseTuple(args, "sO", &cid, &list_o)) return NULL;
    Py_buffer ids[KP_MAX_SIGNERS], eks[KP_MAX_SIGNERS];
    size_t n;
    if (get_pairs(list_o, ids, eks, &n, KP_MAX_SIGNERS, "signers") < 0) return NULL;
    kp_signer_info info[KP_MAX_SIGNERS];
    PyObject *r = NULL;
    for (size_t i = 0; i < n; i++) {
        info[i].signer_id = ids[i].buf;
        info[i].signer_id_len = (size_t)ids[i].len;
        if (eks[i].len != 33) {
            PyErr_SetString(PyExc_ValueError, "an encryption key is 33 bytes");
            goto done;
        }
        memcpy(info[i].encryption_key, eks[i].buf, 33);
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st = kp_signers_write(&out, cid, info, n);
    r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
done:
    for (size_t i = 0; i < n; i++) {
        PyBuffer_Release(&ids[i]);
        PyBuffer_Release(&eks[i]);
    }
    return r;
}

/* export_response_write(curve, protocol, public_key, min_signers, [(signer_id, ciphertext)]) -> bytes */
static PyObject *m_export_response_write(PyObject *m, PyObject *args)
{
    PyObject *curve_o, *proto_o, *pub_o, *list_o;
    unsigned int t;
    if (!PyArg_ParseTuple(args, "OOOIO", &curve_o, &proto_o, &pub_o, &t, &list_o)) return NULL;
    kp_curve c;
    kp_protocol p;
    if (get_curve(curve_o, &c) < 0 || get_protocol(proto_o, &p) < 0) return NULL;
    Py_buffer pub;
    if (PyObject_GetBuffer(pub_o, &pub, PyBUF_SIMPLE) < 0) return NULL;
    Py_buffer ids[KP_MAX_SIGNERS], cts[KP_MAX_SIGNERS];
    size_t n;
    if (get_pairs(list_o, ids, cts, &n, KP_MAX_SIGNERS, "shares") < 0) {
        PyBuffer_Release(&pub);
        return NULL;
    }
    kp_signer_share sh[KP_MAX_SIGNERS];
    for (size_t i = 0; i < n; i++) {
        sh[i].signer_id = ids[i].buf;
        sh[i].signer_id_len = (size_t)ids[i].len;
        sh[i].ciphertext = cts[i].buf;
        sh[i].ciphertext_len = (size_t)cts[i].len;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st = kp_export_response_write(&out, c, p, pub.buf, (size_t)pub.len, t, sh, n);
    PyObject *r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
    for (size_t i = 0; i < n; i++) {
        PyBuffer_Release(&ids[i]);
        PyBuffer_Release(&cts[i]);
    }
    PyBuffer_Release(&pub);
    return r;
}

static PyObject *m_scheme_check(PyObject *m, PyObject *args)
{
    PyObject *p_o, *c_o;
    if (!PyArg_ParseTuple(args, "OO", &p_o, &c_o)) return NULL;
    kp_protocol p;
    kp_curve c;
    if (get_protocol(p_o, &p) < 0 || get_curve(c_o, &c) < 0) return NULL;
    kp_status st = kp_scheme_check(p, c);
    if (st != KP_OK) return raise_now(st);
    Py_RETURN_NONE;
}

static PyObject *m_key_name_check(PyObject *m, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "name") < 0) return NULL;
    kp_status st = kp_key_name_check(v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    if (st != KP_OK) return raise_now(st);
    Py_RETURN_NONE;
}

/* ---------------------------------------------------------------- operators */

typedef struct {
    PyObject_HEAD
    kp_operator *op;
} OperatorObject;

static PyTypeObject *Operator_Type;

static void operator_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    kp_operator_free(((OperatorObject *)self)->op);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static PyObject *operator_wrap(kp_operator *op)
{
    OperatorObject *o = PyObject_New(OperatorObject, Operator_Type);
    if (o == NULL) {
        kp_operator_free(op);
        return NULL;
    }
    o->op = op;
    return (PyObject *)o;
}

/* Operator.new(name, passphrase, kdf=None) -> (Operator, file bytes) */
static PyObject *operator_new_cls(PyObject *cls, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"name", "passphrase", "kdf", NULL};
    const char *name;
    PyObject *pass_o, *kdf_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "sO|O", kwlist, &name, &pass_o, &kdf_o)) return NULL;
    kp_kdf_strength kdf;
    if (get_kdf(kdf_o, &kdf) < 0) return NULL;
    uint8_t *pass;
    size_t passlen;
    if (get_secret(pass_o, &pass, &passlen, 0, "passphrase") < 0) return NULL;
    char *namecopy = PyMem_Malloc(strlen(name) + 1);
    if (namecopy == NULL) {
        kp_secure_free(pass);
        return PyErr_NoMemory();
    }
    strcpy(namecopy, name);
    kp_operator *op = NULL;
    kp_buf file;
    kp_buf_init(&file, 0);
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_operator_new(g_ctx, &op, &file, namecopy, (const char *)pass, passlen, kdf));
    Py_END_ALLOW_THREADS
    kp_secure_free(pass);
    PyMem_Free(namecopy);
    PyObject *r = NULL;
    if (o.st != KP_OK) {
        raise_outcome(&o);
    } else {
        PyObject *w = operator_wrap(op);
        if (w != NULL) r = Py_BuildValue("(NN)", w, buf_to_bytes(&file));
    }
    kp_buf_release(&file);
    return r;
}

static PyObject *operator_parse_cls(PyObject *cls, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "the operator file") < 0) return NULL;
    kp_operator *op = NULL;
    kp_status st = kp_operator_parse(&op, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    return st == KP_OK ? operator_wrap(op) : raise_now(st);
}

static PyObject *operator_unlock(PyObject *self, PyObject *arg)
{
    OperatorObject *op = (OperatorObject *)self;
    uint8_t *pass;
    size_t passlen;
    if (get_secret(arg, &pass, &passlen, 0, "passphrase") < 0) return NULL;
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_operator_unlock(g_ctx, op->op, (const char *)pass, passlen));
    Py_END_ALLOW_THREADS
    kp_secure_free(pass);
    if (o.st != KP_OK) return raise_outcome(&o);
    Py_RETURN_NONE;
}

static PyObject *op_get_name(PyObject *self, void *x) { return PyUnicode_FromString(kp_operator_name(((OperatorObject *)self)->op)); }
static PyObject *op_get_pk(PyObject *self, void *x)
{
    uint8_t pk[32];
    kp_operator_public_key(((OperatorObject *)self)->op, pk);
    return PyBytes_FromStringAndSize((const char *)pk, 32);
}
static PyObject *op_get_unlocked(PyObject *self, void *x)
{
    return PyBool_FromLong(kp_operator_is_unlocked(((OperatorObject *)self)->op));
}
static PyObject *op_get_fp(PyObject *self, void *x)
{
    uint8_t pk[32];
    char fp[KP_FINGERPRINT_LEN + 1];
    kp_operator_public_key(((OperatorObject *)self)->op, pk);
    kp_status st = kp_fingerprint(fp, pk);
    return st == KP_OK ? PyUnicode_FromString(fp) : raise_now(st);
}
static PyObject *operator_repr(PyObject *self)
{
    OperatorObject *op = (OperatorObject *)self;
    return PyUnicode_FromFormat("<keyport.Operator name=%s%s>", kp_operator_name(op->op),
                                kp_operator_is_unlocked(op->op) ? " unlocked" : "");
}

static PyMethodDef operator_methods[] = {
    {"new", (PyCFunction)(void (*)(void))operator_new_cls, METH_VARARGS | METH_KEYWORDS | METH_CLASS,
     "Makes an operator with a fresh key: (Operator, the operator file)."},
    {"parse", operator_parse_cls, METH_O | METH_CLASS, "Reads an operator file; the secret stays sealed."},
    {"unlock", operator_unlock, METH_O, "Opens the sealed secret with the passphrase (bytes-like)."},
    {"__reduce__", secretkey_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", secretkey_reduce, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef operator_getset[] = {
    {"name", op_get_name, NULL, NULL, NULL},
    {"public_key", op_get_pk, NULL, "The Ed25519 public key (32 bytes).", NULL},
    {"unlocked", op_get_unlocked, NULL, NULL, NULL},
    {"fingerprint", op_get_fp, NULL, "The fingerprint people read aloud (XXXX-XXXX-XXXX-XXXX).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(operator, "keyport.Operator", OperatorObject,
    {Py_tp_dealloc, operator_dealloc},
    {Py_tp_repr, operator_repr},
    {Py_tp_methods, operator_methods},
    {Py_tp_getset, operator_getset});

/* ---------------------------------------------------------------- policies */

typedef struct {
    PyObject_HEAD
    kp_policy *p;
    PyObject *text;
} PolicyObject;

static PyTypeObject *Policy_Type;

static void policy_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    kp_policy_free(((PolicyObject *)self)->p);
    Py_CLEAR(((PolicyObject *)self)->text);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static PyObject *policy_parse_cls(PyObject *cls, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "the policy") < 0) return NULL;
    kp_policy *p = NULL;
    kp_status st = kp_policy_parse(&p, v.buf, (size_t)v.len);
    PyObject *text = st == KP_OK ? PyBytes_FromStringAndSize(v.buf, v.len) : NULL;
    PyBuffer_Release(&v);
    if (st != KP_OK) return raise_now(st);
    PolicyObject *o = text ? PyObject_New(PolicyObject, Policy_Type) : NULL;
    if (o == NULL) {
        kp_policy_free(p);
        Py_XDECREF(text);
        return NULL;
    }
    o->p = p;
    o->text = text;
    return (PyObject *)o;
}

/* Policy.write(id, [(name, public key)], {"import": M, "export": M, "archive": M}) -> bytes */
static PyObject *policy_write_cls(PyObject *cls, PyObject *args)
{
    const char *id;
    PyObject *ops_o, *q_o;
    if (!PyArg_ParseTuple(args, "sOO!", &id, &ops_o, &PyDict_Type, &q_o)) return NULL;
    PyObject *seq = as_tuple(ops_o, "operators must be a sequence of (name, public_key) pairs");
    if (seq == NULL) return NULL;
    Py_ssize_t n = PyTuple_Size(seq);
    if (n > 256) {
        Py_DECREF(seq);
        return raise_status_extra(KP_ERR_POLICY, "a policy holds at most 256 operators", NULL);
    }
    kp_policy_member mem[256];
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *it = PyTuple_GetItem(seq, i);
        if (!PyTuple_Check(it) || PyTuple_Size(it) != 2 ||
            get_cstr(PyTuple_GetItem(it, 0), &mem[i].name, 0, "operator name") < 0 ||
            get_fixed(PyTuple_GetItem(it, 1), mem[i].public_key, 32, "operator public key") < 0) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "each operator is a (name, public_key) tuple");
            Py_DECREF(seq);
            return NULL;
        }
    }
    unsigned q[KP_ACTION_COUNT] = {0, 0, 0};
    PyObject *k, *val;
    Py_ssize_t pos = 0;
    while (PyDict_Next(q_o, &pos, &k, &val)) {
        kp_action a;
        if (get_action(k, &a) < 0) {
            Py_DECREF(seq);
            return NULL;
        }
        if (a > KP_ACTION_COUNT) {
            /* sign is optional and not written by kp_policy_write: it has no place in q */
            PyErr_SetString(PyExc_ValueError, "policy_write: the quorum names import, export and archive; an "
                                              "optional sign quorum is added to the policy document by hand");
            Py_DECREF(seq);
            return NULL;
        }
        long qv = PyLong_AsLong(val);
        if (qv == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return NULL;
        }
        q[a - 1] = qv < 0 ? 0 : (unsigned)qv;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st = kp_policy_write(&out, id, mem, (size_t)n, q);
    Py_DECREF(seq);
    PyObject *r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
    return r;
}

static PyObject *policy_quorum(PyObject *self, PyObject *arg)
{
    kp_action a;
    if (get_action(arg, &a) < 0) return NULL;
    return PyLong_FromUnsignedLong(kp_policy_quorum(((PolicyObject *)self)->p, a));
}

static PyObject *pol_get_id(PyObject *self, void *x) { return PyUnicode_FromString(kp_policy_id(((PolicyObject *)self)->p)); }
static PyObject *pol_get_text(PyObject *self, void *x) { return Py_NewRef(((PolicyObject *)self)->text); }
static PyObject *pol_get_ops(PyObject *self, void *x)
{
    const kp_policy *p = ((PolicyObject *)self)->p;
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l != NULL && i < kp_policy_operator_count(p); i++) {
        uint8_t pk[32];
        const char *name = kp_policy_operator(p, i, pk);
        PyObject *t = Py_BuildValue("(sy#)", name, (const char *)pk, (Py_ssize_t)32);
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

static PyMethodDef policy_methods[] = {
    {"parse", policy_parse_cls, METH_O | METH_CLASS, "Reads and checks a policy document."},
    {"write", policy_write_cls, METH_VARARGS | METH_CLASS, "Checks and writes a policy document (bytes)."},
    {"quorum", policy_quorum, METH_O, "The quorum of an action."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef policy_getset[] = {
    {"id", pol_get_id, NULL, NULL, NULL},
    {"operators", pol_get_ops, NULL, "[(name, public key)]", NULL},
    {"text", pol_get_text, NULL, "The policy document as it was read.", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(policy, "keyport.Policy", PolicyObject,
    {Py_tp_dealloc, policy_dealloc},
    {Py_tp_methods, policy_methods},
    {Py_tp_getset, policy_getset});

/* ---------------------------------------------------------------- approvals */

static PyObject *m_approval_sign(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"operator", "policy", "action", "request", "key_id", "bundle", "now", "ttl", NULL};
    PyObject *op_o, *pol_o, *act_o, *req_o, *kid_o = Py_None, *bundle_o = Py_None, *now_o = Py_None;
    long long ttl = 600;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!O!OO|OOOL", kwlist, Operator_Type, &op_o, Policy_Type, &pol_o,
                                     &act_o, &req_o, &kid_o, &bundle_o, &now_o, &ttl))
        return NULL;
    kp_action a;
    const char *kid;
    int err;
    int64_t now = now_or(now_o, &err);
    if (err || get_action(act_o, &a) < 0 || get_cstr(kid_o, &kid, 1, "key_id") < 0) return NULL;
    if (!kp_operator_is_unlocked(((OperatorObject *)op_o)->op))
        return raise_status_extra(KP_ERR_LOCKED, "the operator is not unlocked: call unlock(passphrase) first", NULL);
    Py_buffer req, bun = {0};
    if (get_doc(req_o, &req, "the request body") < 0) return NULL;
    if (bundle_o != Py_None && get_doc(bundle_o, &bun, "the approval bundle") < 0) {
        PyBuffer_Release(&req);
        return NULL;
    }
    kp_buf out;
    kp_buf_init(&out, 0);
    kp_status st = kp_approval_sign(g_ctx, &out, bundle_o != Py_None ? bun.buf : NULL,
                                    bundle_o != Py_None ? (size_t)bun.len : 0, ((OperatorObject *)op_o)->op,
                                    ((PolicyObject *)pol_o)->p, a, kid, req.buf, (size_t)req.len, now, (int64_t)ttl);
    PyBuffer_Release(&req);
    if (bundle_o != Py_None) PyBuffer_Release(&bun);
    PyObject *r = st == KP_OK ? buf_to_bytes(&out) : raise_now(st);
    kp_buf_release(&out);
    return r;
}

/* A nonce store over a Python set of bytes (used nonces), called with the GIL held. */
static int ns_seen(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES])
{
    PyObject *b = PyBytes_FromStringAndSize((const char *)nonce, KP_APPROVAL_NONCE_BYTES);
    if (b == NULL) return -1;
    int r = PySet_Contains((PyObject *)data, b);
    Py_DECREF(b);
    return r;
}

static int ns_remember(void *data, const uint8_t nonce[KP_APPROVAL_NONCE_BYTES], int64_t expires)
{
    PyObject *b = PyBytes_FromStringAndSize((const char *)nonce, KP_APPROVAL_NONCE_BYTES);
    if (b == NULL) return -1;
    int r = PySet_Add((PyObject *)data, b);
    Py_DECREF(b);
    return r;
}

/* approvals_verify(policy, action, request, bundle, key_id=None, now=None, used_nonces=None)
 * -> (quorum_met, counted, needed, [(verdict, text, name or None, public key)]) */
static PyObject *m_approvals_verify(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"policy", "action", "request", "bundle", "key_id", "now", "used_nonces", NULL};
    PyObject *pol_o, *act_o, *req_o, *bundle_o, *kid_o = Py_None, *now_o = Py_None, *nonces_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O!OOO|OOO", kwlist, Policy_Type, &pol_o, &act_o, &req_o, &bundle_o,
                                     &kid_o, &now_o, &nonces_o))
        return NULL;
    kp_action a;
    const char *kid;
    int err;
    int64_t now = now_or(now_o, &err);
    if (err || get_action(act_o, &a) < 0 || get_cstr(kid_o, &kid, 1, "key_id") < 0) return NULL;
    if (nonces_o != Py_None && !PySet_Check(nonces_o)) {
        PyErr_SetString(PyExc_TypeError, "used_nonces must be a set (of 16-byte nonces) or None");
        return NULL;
    }
    kp_nonce_store ns = {ns_seen, ns_remember, nonces_o};
    Py_buffer req, bun;
    if (get_doc(req_o, &req, "the request body") < 0) return NULL;
    if (get_doc(bundle_o, &bun, "the approval bundle") < 0) {
        PyBuffer_Release(&req);
        return NULL;
    }
    kp_approval_report *rep = NULL;
    kp_status st = kp_approvals_verify(g_ctx, &rep, ((PolicyObject *)pol_o)->p, a, kid, req.buf, (size_t)req.len,
                                       bun.buf, (size_t)bun.len, now, nonces_o != Py_None ? &ns : NULL);
    PyBuffer_Release(&req);
    PyBuffer_Release(&bun);
    if (PyErr_Occurred()) {
        kp_approval_report_free(rep);
        return NULL;
    }
    if (st != KP_OK) return raise_now(st);
    PyObject *l = PyList_New(0), *r = NULL;
    for (size_t i = 0; l != NULL && i < kp_approval_report_count(rep); i++) {
        const char *name = NULL;
        uint8_t pk[32] = {0};
        kp_verdict v = kp_approval_report_get(rep, i, &name, pk);
        PyObject *t = Py_BuildValue("(iszy#)", (int)v, kp_verdict_text(v), name, (const char *)pk, (Py_ssize_t)32);
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    if (l != NULL)
        r = Py_BuildValue("(OIIN)", kp_approval_report_quorum_met(rep) ? Py_True : Py_False,
                          kp_approval_report_counted(rep), kp_approval_report_needed(rep), l);
    kp_approval_report_free(rep);
    return r;
}

/* ---------------------------------------------------------------- the audit log */

typedef struct {
    PyObject_HEAD
    kp_audit_log *log;
    PyObject *writer; /* keeps the operator alive while the log uses it */
    char torn[4096];
    PyThread_type_lock lock; /* one append at a time: they run without the GIL */
} AuditLogObject;

static PyTypeObject *AuditLog_Type;

static void auditlog_dealloc(PyObject *self)
{
    AuditLogObject *a = (AuditLogObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    kp_audit_close(a->log);
    a->log = NULL;
    Py_CLEAR(a->writer);
    if (a->lock) PyThread_free_lock(a->lock);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* AuditLog.open(path, writer, now=None) */
static PyObject *auditlog_open_cls(PyObject *cls, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"path", "writer", "now", NULL};
    PyObject *path_o, *op_o, *now_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O&O!|O", kwlist, PyUnicode_FSConverter, &path_o, Operator_Type, &op_o,
                                     &now_o))
        return NULL;
    int err;
    int64_t now = now_or(now_o, &err);
    if (err) {
        Py_DECREF(path_o);
        return NULL;
    }
    AuditLogObject *a = PyObject_New(AuditLogObject, AuditLog_Type);
    if (a == NULL) {
        Py_DECREF(path_o);
        return NULL;
    }
    a->log = NULL;
    a->writer = Py_NewRef(op_o);
    a->torn[0] = 0;
    a->lock = PyThread_allocate_lock();
    if (a->lock == NULL) {
        Py_DECREF(path_o);
        Py_DECREF(a);
        return PyErr_NoMemory();
    }
    /* verifying the existing chain reads the whole file: without the GIL */
    const char *path = PyBytes_AsString(path_o);
    const kp_operator *writer = ((OperatorObject *)op_o)->op;
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    outcome_set(&o, kp_audit_open(g_ctx, &a->log, path, writer, now, a->torn));
    Py_END_ALLOW_THREADS
    Py_DECREF(path_o);
    if (o.st != KP_OK) {
        raise_outcome(&o);
        Py_DECREF(a);
        return NULL;
    }
    return (PyObject *)a;
}

static int get_strlist(PyObject *o, const char **out, size_t *n, size_t max)
{
    PyObject *seq = as_tuple(o, "actors must be a sequence of str");
    if (seq == NULL) return -1;
    Py_ssize_t len = PyTuple_Size(seq);
    if ((size_t)len > max) {
        Py_DECREF(seq);
        PyErr_Format(PyExc_ValueError, "at most %zu actors", max);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++)
        if (get_cstr(PyTuple_GetItem(seq, i), &out[i], 0, "actor") < 0) {
            Py_DECREF(seq);
            return -1;
        }
    *n = (size_t)len;
    Py_DECREF(seq); /* the items are kept alive by the caller's sequence */
    return 0;
}

/* append(event, key_id=None, public_key=None, actors=(), details=None, now=None) -> head (hex) */
static PyObject *auditlog_append(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"event", "key_id", "public_key", "actors", "details", "now", NULL};
    AuditLogObject *a = (AuditLogObject *)self;
    const char *event, *kid = NULL, *pub = NULL, *details = NULL;
    PyObject *kid_o = Py_None, *pub_o = Py_None, *actors_o = NULL, *det_o = Py_None, *now_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|OOOOO", kwlist, &event, &kid_o, &pub_o, &actors_o, &det_o, &now_o))
        return NULL;
    if (a->log == NULL) return raise_misuse("the audit log is closed");
    int err;
    int64_t now = now_or(now_o, &err);
    if (err || get_cstr(kid_o, &kid, 1, "key_id") < 0 || get_cstr(pub_o, &pub, 1, "public_key") < 0 ||
        get_cstr(det_o, &details, 1, "details") < 0)
        return NULL;
    const char *actors[64];
    size_t nact = 0;
    if (actors_o != NULL && get_strlist(actors_o, actors, &nact, 64) < 0) return NULL;
    char head[65];
    struct outcome o;
    /* the strings belong to the arguments, which live through the call; the fsync runs without the GIL */
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(a->lock, WAIT_LOCK);
    outcome_set(&o, a->log == NULL ? KP_ERR_MISUSE : kp_audit_append(a->log, now, event, kid, pub, actors, nact, details, head));
    PyThread_release_lock(a->lock);
    Py_END_ALLOW_THREADS
    if (o.st == KP_ERR_MISUSE && a->log == NULL) return raise_misuse("the audit log is closed");
    if (o.st != KP_OK) return raise_outcome(&o);
    return PyUnicode_FromString(head);
}

static PyObject *auditlog_close(PyObject *self, PyObject *unused)
{
    AuditLogObject *a = (AuditLogObject *)self;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(a->lock, WAIT_LOCK);
    kp_audit_close(a->log);
    a->log = NULL;
    PyThread_release_lock(a->lock);
    Py_END_ALLOW_THREADS
    Py_RETURN_NONE;
}

static PyObject *auditlog_enter(PyObject *self, PyObject *unused) { return Py_NewRef(self); }
static PyObject *auditlog_exit(PyObject *self, PyObject *args) { auditlog_close(self, NULL); Py_RETURN_FALSE; }
static PyObject *al_get_torn(PyObject *self, void *x)
{
    AuditLogObject *a = (AuditLogObject *)self;
    if (!a->torn[0]) Py_RETURN_NONE;
    return PyUnicode_DecodeFSDefault(a->torn);
}
static PyObject *al_get_closed(PyObject *self, void *x) { return PyBool_FromLong(((AuditLogObject *)self)->log == NULL); }

static PyMethodDef auditlog_methods[] = {
    {"open", (PyCFunction)(void (*)(void))auditlog_open_cls, METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
    {"append", (PyCFunction)(void (*)(void))auditlog_append, METH_VARARGS | METH_KEYWORDS, NULL},
    {"close", auditlog_close, METH_NOARGS, NULL},
    {"__enter__", auditlog_enter, METH_NOARGS, NULL},
    {"__exit__", auditlog_exit, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef auditlog_getset[] = {
    {"torn_path", al_get_torn, NULL, "Where a torn last line was moved on opening, or None.", NULL},
    {"closed", al_get_closed, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(auditlog, "keyport.AuditLog", AuditLogObject,
    {Py_tp_dealloc, auditlog_dealloc},
    {Py_tp_methods, auditlog_methods},
    {Py_tp_getset, auditlog_getset});

/* audit_verify(text, writer_key=None, head=None) -> (ok, problem, entries, line, seq, head, writer, message) */
static PyObject *m_audit_verify(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"text", "writer_key", "head", NULL};
    PyObject *text_o, *wk_o = Py_None, *head_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OO", kwlist, &text_o, &wk_o, &head_o)) return NULL;
    uint8_t wk[32], head[32];
    if (wk_o != Py_None && get_fixed(wk_o, wk, 32, "writer_key") < 0) return NULL;
    if (head_o != Py_None && get_fixed(head_o, head, 32, "head") < 0) return NULL;
    Py_buffer v;
    if (get_doc(text_o, &v, "the audit log") < 0) return NULL;
    kp_audit_report rep;
    memset(&rep, 0, sizeof rep);
    kp_status st;
    Py_BEGIN_ALLOW_THREADS
    st = kp_audit_verify(g_ctx, &rep, v.buf, (size_t)v.len, wk_o != Py_None ? wk : NULL, head_o != Py_None ? head : NULL);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&v);
    if (st != KP_OK && st != KP_ERR_LOG) return raise_now(st);
    return Py_BuildValue("(OinnLsss)", st == KP_OK ? Py_True : Py_False, (int)rep.problem, (Py_ssize_t)rep.entries,
                         (Py_ssize_t)rep.line, (long long)rep.seq, rep.head, rep.writer, rep.message);
}

static int entry_cb(const kp_audit_entry *e, void *data)
{
    PyObject *actors = PyList_New(0);
    if (actors == NULL) return 1;
    for (size_t i = 0; i < e->nactors; i++) {
        PyObject *s = PyUnicode_FromString(e->actors[i]);
        if (s == NULL || PyList_Append(actors, s) < 0) {
            Py_XDECREF(s);
            Py_DECREF(actors);
            return 1;
        }
        Py_DECREF(s);
    }
    PyObject *t = Py_BuildValue("(LLszzNss)", (long long)e->seq, (long long)e->time, e->event, e->key_id,
                                e->public_key, actors, e->details, e->line);
    if (t == NULL) return 1;
    int r = PyList_Append((PyObject *)data, t);
    Py_DECREF(t);
    return r < 0 ? 1 : 0;
}

/* audit_entries(text) -> [(seq, time, event, key_id, public_key, actors, details json, line)] */
static PyObject *m_audit_entries(PyObject *m, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "the audit log") < 0) return NULL;
    PyObject *l = PyList_New(0);
    if (l == NULL) {
        PyBuffer_Release(&v);
        return NULL;
    }
    kp_status st = kp_audit_entries(v.buf, (size_t)v.len, entry_cb, l);
    PyBuffer_Release(&v);
    if (PyErr_Occurred()) {
        Py_DECREF(l);
        return NULL;
    }
    if (st != KP_OK) {
        Py_DECREF(l);
        return raise_now(st);
    }
    return l;
}

/* ---------------------------------------------------------------- key formats and addresses */

static PyObject *curve_bits(unsigned bits)
{
    PyObject *l = PyList_New(0);
    for (int c = KP_CURVE_SECP256K1; l != NULL && c <= KP_CURVE_STARK; c++)
        if (bits & KP_CURVE_BIT(c)) {
            PyObject *o = curve_obj((kp_curve)c);
            if (o == NULL || PyList_Append(l, o) < 0) Py_CLEAR(l);
            Py_XDECREF(o);
        }
    return l;
}

/* key_formats() -> [(name, in_curves, out_curves, default_curve, path, passphrase, summary, refusal, aliases)] */
static PyObject *m_key_formats(PyObject *m, PyObject *unused)
{
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l != NULL && i < kp_key_format_count(); i++) {
        const kp_key_format_info *f = kp_key_format_get(i);
        PyObject *t = Py_BuildValue("(sNNNiiszz)", f->name, curve_bits(f->in_curves), curve_bits(f->out_curves),
                                    curve_obj(f->default_curve), f->path, f->passphrase, f->summary, f->refusal,
                                    f->aliases);
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

/* parse_key(text, format="hex", curve=None, path=None, passphrase=None) -> SecretKey */
static PyObject *m_parse_key(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"text", "format", "curve", "path", "passphrase", "public_only", NULL};
    PyObject *text_o, *fmt_o = Py_None, *curve_o = Py_None, *path_o = Py_None, *pass_o = Py_None;
    int public_only = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "O|OOOOp", kwlist, &text_o, &fmt_o, &curve_o, &path_o, &pass_o,
                                     &public_only))
        return NULL;
    kp_key_format fmt = KP_KEYFMT_HEX;
    kp_curve c;
    const char *path;
    if ((fmt_o != Py_None && get_format(fmt_o, &fmt) < 0) || get_curve_opt(curve_o, &c) < 0 ||
        get_cstr(path_o, &path, 1, "path") < 0)
        return NULL;
    uint8_t *text, *pass;
    size_t textlen, passlen;
    if (get_secret(text_o, &text, &textlen, 0, "the key's text") < 0) return NULL;
    if (get_secret(pass_o, &pass, &passlen, 1, "passphrase") < 0) {
        kp_secure_free(text);
        return NULL;
    }
    char *pathcopy = NULL;
    if (path != NULL) {
        pathcopy = PyMem_Malloc(strlen(path) + 1);
        if (pathcopy == NULL) {
            kp_secure_free(text);
            kp_secure_free(pass);
            return PyErr_NoMemory();
        }
        strcpy(pathcopy, path);
    }
    uint8_t *scalar = kp_secure_alloc(32), pub[KP_PUBKEY_MAX_BYTES];
    size_t publen = 0;
    kp_curve got = (kp_curve)0;
    struct outcome o;
    if (scalar == NULL) {
        outcome_set(&o, KP_ERR_NOMEM);
    } else {
        Py_BEGIN_ALLOW_THREADS
        kp_key_params params = {c, pathcopy, (const char *)pass, passlen};
        outcome_set(&o, public_only ? kp_key_public(g_ctx, &got, pub, &publen, fmt, &params, text, textlen)
                                    : kp_key_parse(g_ctx, &got, scalar, fmt, &params, text, textlen));
        Py_END_ALLOW_THREADS
    }
    kp_secure_free(text);
    kp_secure_free(pass);
    PyMem_Free(pathcopy);
    PyObject *r;
    if (o.st != KP_OK) r = raise_outcome(&o);
    else if (public_only) r = Py_BuildValue("(Ny#)", curve_obj(got), (const char *)pub, (Py_ssize_t)publen);
    else r = secretkey_new(got, (kp_protocol)0, scalar, NULL, 0);
    kp_secure_free(scalar);
    return r;
}

static PyObject *m_key_write_check(PyObject *m, PyObject *args)
{
    PyObject *fmt_o, *curve_o = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &fmt_o, &curve_o)) return NULL;
    kp_key_format fmt;
    kp_curve c;
    if (get_format(fmt_o, &fmt) < 0 || get_curve_opt(curve_o, &c) < 0) return NULL;
    kp_status st = kp_key_write_check(fmt, c);
    if (st != KP_OK) return raise_now(st);
    Py_RETURN_NONE;
}

/* addresses(curve, public_key, protocol=None) -> [(kind, label, text)] */
static PyObject *m_addresses(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"curve", "public_key", "protocol", NULL};
    PyObject *curve_o, *pub_o, *proto_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "OO|O", kwlist, &curve_o, &pub_o, &proto_o)) return NULL;
    kp_curve c;
    kp_protocol p = (kp_protocol)0;
    if (get_curve(curve_o, &c) < 0 || (proto_o != Py_None && get_protocol(proto_o, &p) < 0)) return NULL;
    Py_buffer v;
    if (PyUnicode_Check(pub_o) || PyObject_GetBuffer(pub_o, &v, PyBUF_SIMPLE) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "public_key must be bytes");
        return NULL;
    }
    kp_address out[KP_ADDRESS_MAX];
    size_t n = 0;
    kp_status st = kp_addresses(g_ctx, out, &n, c, (int)p, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    if (st != KP_OK) return raise_now(st);
    PyObject *l = PyList_New(0);
    for (size_t i = 0; l != NULL && i < n; i++) {
        PyObject *t = Py_BuildValue("(sss)", out[i].kind, out[i].label, out[i].text);
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);
        Py_XDECREF(t);
    }
    return l;
}

static PyObject *m_public_key(PyObject *m, PyObject *arg)
{
    SecretKeyObject *k = as_secretkey(arg, "key");
    if (k == NULL) return NULL;
    return PyBytes_FromStringAndSize((const char *)k->pub, (Py_ssize_t)k->publen);
}

/* ---------------------------------------------------------------- credentials */

typedef struct {
    PyObject_HEAD
    kp_credential *c;
} CredentialObject;

static PyTypeObject *Credential_Type;

static void credential_dealloc(PyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    kp_credential_free(((CredentialObject *)self)->c);
    PyObject_Free(self);
    Py_DECREF(tp);
}

static int get_alg(PyObject *o, kp_cred_alg *out)
{
    const char *s = name_arg(o, "algorithm must be \"Ed25519\" or \"ECDSA-P256\"");
    return s ? ok_or_raise(kp_cred_alg_from_name(out, s)) : -1;
}

/* Credential.new(cred_id, algorithm="Ed25519") -> bytes: a new credential file (it holds the
 * private key: write it with mode 0600). */
static PyObject *credential_new_cls(PyObject *cls, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"cred_id", "algorithm", NULL};
    const char *id;
    PyObject *alg_o = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "s|O", kwlist, &id, &alg_o)) return NULL;
    kp_cred_alg alg = KP_CRED_ED25519;
    if (alg_o != NULL && get_alg(alg_o, &alg) < 0) return NULL;
    kp_buf out;
    kp_buf_init(&out, 1);
    kp_status st = kp_credential_new(&out, alg, id);
    PyObject *r = st == KP_OK ? PyByteArray_FromStringAndSize((const char *)out.data, (Py_ssize_t)out.len) : raise_now(st);
    kp_buf_release(&out);
    return r;
}

static PyObject *credential_parse_cls(PyObject *cls, PyObject *arg)
{
    uint8_t *text;
    size_t len;
    if (get_secret(arg, &text, &len, 0, "the credential file") < 0) return NULL;
    kp_credential *c = NULL;
    kp_status st = kp_credential_parse(&c, (const char *)text, len);
    kp_secure_free(text);
    if (st != KP_OK) return raise_now(st);
    CredentialObject *o = PyObject_New(CredentialObject, Credential_Type);
    if (o == NULL) {
        kp_credential_free(c);
        return NULL;
    }
    o->c = c;
    return (PyObject *)o;
}

static PyObject *credential_sign(PyObject *self, PyObject *arg)
{
    Py_buffer v;
    if (get_doc(arg, &v, "message") < 0) return NULL;
    kp_buf sig;
    kp_buf_init(&sig, 0);
    kp_status st = kp_credential_sign(((CredentialObject *)self)->c, &sig, v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    PyObject *r = st == KP_OK ? buf_to_bytes(&sig) : raise_now(st);
    kp_buf_release(&sig);
    return r;
}

static PyObject *cred_get_id(PyObject *self, void *x) { return PyUnicode_FromString(kp_credential_id(((CredentialObject *)self)->c)); }
static PyObject *cred_get_alg(PyObject *self, void *x)
{
    return PyUnicode_FromString(kp_cred_alg_name(kp_credential_alg(((CredentialObject *)self)->c)));
}
static PyObject *cred_get_pub(PyObject *self, void *x)
{
    kp_buf b;
    kp_buf_init(&b, 0);
    kp_status st = kp_credential_public_hex(((CredentialObject *)self)->c, &b);
    PyObject *r = st == KP_OK ? PyUnicode_FromStringAndSize((const char *)b.data, (Py_ssize_t)strlen((const char *)b.data)) : raise_now(st);
    kp_buf_release(&b);
    return r;
}

static PyObject *m_credential_verify(PyObject *m, PyObject *args)
{
    PyObject *alg_o, *msg_o, *sig_o;
    const char *pub;
    if (!PyArg_ParseTuple(args, "OsOO", &alg_o, &pub, &msg_o, &sig_o)) return NULL;
    kp_cred_alg alg;
    if (get_alg(alg_o, &alg) < 0) return NULL;
    Py_buffer mv, sv;
    if (get_doc(msg_o, &mv, "message") < 0) return NULL;
    if (get_doc(sig_o, &sv, "signature") < 0) {
        PyBuffer_Release(&mv);
        return NULL;
    }
    kp_status st = kp_credential_verify(alg, pub, mv.buf, (size_t)mv.len, sv.buf, (size_t)sv.len);
    PyBuffer_Release(&mv);
    PyBuffer_Release(&sv);
    if (st != KP_OK) return raise_now(st);
    Py_RETURN_NONE;
}

static PyMethodDef credential_methods[] = {
    {"new", (PyCFunction)(void (*)(void))credential_new_cls, METH_VARARGS | METH_KEYWORDS | METH_CLASS, NULL},
    {"parse", credential_parse_cls, METH_O | METH_CLASS, NULL},
    {"sign", credential_sign, METH_O, NULL},
    {"__reduce__", secretkey_reduce, METH_NOARGS, NULL},
    {"__reduce_ex__", secretkey_reduce, METH_VARARGS, NULL},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef credential_getset[] = {
    {"cred_id", cred_get_id, NULL, NULL, NULL},
    {"algorithm", cred_get_alg, NULL, NULL, NULL},
    {"public_key_hex", cred_get_pub, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

TYPE_SPEC(credential, "keyport.Credential", CredentialObject,
    {Py_tp_dealloc, credential_dealloc},
    {Py_tp_methods, credential_methods},
    {Py_tp_getset, credential_getset});

/* ---------------------------------------------------------------- the API client */

typedef struct {
    PyObject_HEAD
    kp_client *c;
    PyObject *cred; /* kept alive: the client holds it by reference */
    PyThread_type_lock lock; /* one call at a time per client */
} ClientObject;

static PyTypeObject *Client_Type;

static void client_dealloc(PyObject *self)
{
    ClientObject *c = (ClientObject *)self;
    PyTypeObject *tp = Py_TYPE(self);
    kp_client_free(c->c);
    Py_CLEAR(c->cred);
    if (c->lock) PyThread_free_lock(c->lock);
    PyObject_Free(self);
    Py_DECREF(tp);
}

/* _Client(base_url, token, credential=None) */
static PyObject *m_client_new(PyObject *m, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"base_url", "token", "credential", NULL};
    const char *url, *token;
    PyObject *cred_o = Py_None;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|O", kwlist, &url, &token, &cred_o)) return NULL;
    if (cred_o != Py_None && !PyObject_TypeCheck(cred_o, Credential_Type)) {
        PyErr_SetString(PyExc_TypeError, "credential must be a keyport.Credential or None");
        return NULL;
    }
    ClientObject *c = PyObject_New(ClientObject, Client_Type);
    if (c == NULL) return NULL;
    c->c = NULL;
    c->cred = NULL;
    c->lock = PyThread_allocate_lock();
    if (c->lock == NULL) {
        Py_DECREF(c);
        return PyErr_NoMemory();
    }
    kp_status st = kp_client_new(&c->c, url, token);
    if (st != KP_OK) {
        Py_DECREF(c);
        return raise_now(st);
    }
    if (cred_o != Py_None) {
        c->cred = Py_NewRef(cred_o);
        kp_client_set_credential(c->c, ((CredentialObject *)cred_o)->c);
    }
    return (PyObject *)c;
}

/* call(method, path, body=None, user_action=False, approvals=None) -> (status, body bytes).
 * approvals: the bundle (bytes), sent as standard base64. The network runs without the GIL. */
static PyObject *client_call(PyObject *self, PyObject *args, PyObject *kw)
{
    static char *kwlist[] = {"method", "path", "body", "user_action", "approvals", NULL};
    ClientObject *c = (ClientObject *)self;
    const char *method, *path;
    PyObject *body_o = Py_None, *appr_o = Py_None;
    int ua = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kw, "ss|OpO", kwlist, &method, &path, &body_o, &ua, &appr_o)) return NULL;
    if (ua && c->cred == NULL)
        return raise_misuse("a user action needs a credential: give credential= to the client");
    Py_buffer body = {0};
    int has_body = body_o != Py_None;
    if (has_body && get_doc(body_o, &body, "the request body") < 0) return NULL;
    kp_buf b64;
    kp_buf_init(&b64, 0);
    if (appr_o != Py_None) {
        Py_buffer av;
        if (get_doc(appr_o, &av, "the approval bundle") < 0) {
            if (has_body) PyBuffer_Release(&body);
            return NULL;
        }
        kp_status st = kp_buf_addb64(&b64, av.buf, (size_t)av.len, 0);
        PyBuffer_Release(&av);
        if (st != KP_OK) {
            if (has_body) PyBuffer_Release(&body);
            kp_buf_release(&b64);
            return raise_now(st);
        }
    }
    size_t blen = has_body ? (size_t)body.len : 0;
    uint8_t *bcopy = PyMem_Malloc(blen + 1);
    char *mcopy = PyMem_Malloc(strlen(method) + strlen(path) + 2);
    if (bcopy == NULL || mcopy == NULL) {
        PyMem_Free(bcopy);
        PyMem_Free(mcopy);
        if (has_body) PyBuffer_Release(&body);
        kp_buf_release(&b64);
        return PyErr_NoMemory();
    }
    if (has_body) memcpy(bcopy, body.buf, blen);
    if (has_body) PyBuffer_Release(&body);
    strcpy(mcopy, method);
    char *pcopy = mcopy + strlen(method) + 1;
    strcpy(pcopy, path);
    kp_buf resp;
    kp_buf_init(&resp, 0);
    long status = 0;
    struct outcome o;
    Py_BEGIN_ALLOW_THREADS
    PyThread_acquire_lock(c->lock, WAIT_LOCK);
    outcome_set(&o, kp_client_call(c->c, &resp, &status, mcopy, pcopy, has_body ? bcopy : NULL, blen, ua,
                                   appr_o != Py_None ? (const char *)b64.data : NULL));
    PyThread_release_lock(c->lock);
    Py_END_ALLOW_THREADS
    PyMem_Free(bcopy);
    PyMem_Free(mcopy);
    kp_buf_release(&b64);
    PyObject *r = o.st == KP_OK ? Py_BuildValue("(lN)", status, buf_to_bytes(&resp)) : raise_outcome(&o);
    kp_buf_release(&resp);
    return r;
}

static PyMethodDef client_methods[] = {
    {"call", (PyCFunction)(void (*)(void))client_call, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

TYPE_SPEC(client, "keyport._keyport._Client", ClientObject,
    {Py_tp_dealloc, client_dealloc},
    {Py_tp_methods, client_methods});

/* ---------------------------------------------------------------- small functions */

static PyObject *m_status_table(PyObject *m, PyObject *unused)
{
    PyObject *l = PyList_New(0);
#define KP_X_ROW(name, num, msg)                                              \
    if (l != NULL) {                                                          \
        PyObject *t = Py_BuildValue("(sis)", #name, num, msg);                \
        if (t == NULL || PyList_Append(l, t) < 0) Py_CLEAR(l);                \
        Py_XDECREF(t);                                                        \
    }
    KP_STATUS_TABLE(KP_X_ROW)
#undef KP_X_ROW
    return l;
}

static PyObject *m_strerror(PyObject *m, PyObject *arg)
{
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    return PyUnicode_FromString(kp_strerror((kp_status)v));
}

static PyObject *m_status_name(PyObject *m, PyObject *arg)
{
    long v = PyLong_AsLong(arg);
    if (v == -1 && PyErr_Occurred()) return NULL;
    const char *n = kp_status_name((kp_status)v);
    if (n == NULL) Py_RETURN_NONE;
    return PyUnicode_FromString(n);
}

/* _register(errors: {code: class}, classes: {name: class}) */
static PyObject *m_register(PyObject *m, PyObject *args)
{
    PyObject *errs, *classes;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &errs, &PyDict_Type, &classes)) return NULL;
    Py_XDECREF(g_errors);
    g_errors = Py_NewRef(errs);
    Py_XDECREF(g_registry);
    g_registry = Py_NewRef(classes);
    Py_RETURN_NONE;
}

static PyObject *m_wipe(PyObject *m, PyObject *arg)
{
    Py_buffer v;
    if (PyObject_GetBuffer(arg, &v, PyBUF_WRITABLE) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "wipe() needs a writable buffer (bytearray, writable memoryview)");
        return NULL;
    }
    kp_memzero(v.buf, (size_t)v.len);
    PyBuffer_Release(&v);
    Py_RETURN_NONE;
}

static PyObject *m_secure_unlocked_count(PyObject *m, PyObject *unused)
{
    return PyLong_FromSize_t(kp_secure_unlocked_count());
}

static PyObject *m_raise_status(PyObject *m, PyObject *args)
{
    int code;
    const char *detail;
    if (!PyArg_ParseTuple(args, "is", &code, &detail)) return NULL;
    return raise_status_extra((kp_status)code, detail, NULL);
}

static PyMethodDef module_methods[] = {
    {"status_table", m_status_table, METH_NOARGS, "The status table: [(name, code, message)]."},
    {"strerror", m_strerror, METH_O, NULL},
    {"status_name", m_status_name, METH_O, NULL},
    {"_register", m_register, METH_VARARGS, NULL},
    {"_raise_status", m_raise_status, METH_VARARGS, NULL},
    {"_test_secret_bytes", m_test_secret_bytes, METH_O, "Test hook: the key's secure memory as it is now."},
    {"_test_misuse", m_test_misuse, METH_NOARGS, "Test hook: calls libkeyport against its contract."},
    {"_test_misuse_count", m_test_misuse_count, METH_NOARGS, NULL},
    {"wipe", m_wipe, METH_O, "Overwrites a writable buffer with zeros (never optimized away)."},
    {"secure_unlocked_count", m_secure_unlocked_count, METH_NOARGS, NULL},
    {"secret_from_scalar", m_secret_from_scalar, METH_VARARGS, NULL},
    {"secret_random", m_secret_random, METH_O, NULL},
    {"context_new", m_context_new, METH_NOARGS, NULL},
    {"context_open", m_context_open, METH_VARARGS, NULL},
    {"context_from_secret", m_context_from_secret, METH_O, NULL},
    {"encryption_keypair", m_encryption_keypair, METH_NOARGS, NULL},
    {"encryption_key_encode", m_encryption_key_encode, METH_O, NULL},
    {"encryption_key_decode", m_encryption_key_decode, METH_O, NULL},
    {"encryption_key_fingerprint", m_encryption_key_fingerprint, METH_O, NULL},
    {"fingerprint", m_fingerprint, METH_O, NULL},
    {"signers_write", m_signers_write, METH_VARARGS, NULL},
    {"parse_signers", (PyCFunction)(void (*)(void))m_parse_signers, METH_VARARGS | METH_KEYWORDS, NULL},
    {"import_prepare", (PyCFunction)(void (*)(void))m_import_prepare, METH_VARARGS | METH_KEYWORDS, NULL},
    {"import_request_parse", m_import_request_parse, METH_O, NULL},
    {"import_open_share", m_import_open_share, METH_VARARGS, NULL},
    {"export_seal_share", m_export_seal_share, METH_VARARGS, NULL},
    {"export_response_write", m_export_response_write, METH_VARARGS, NULL},
    {"scheme_check", m_scheme_check, METH_VARARGS, NULL},
    {"key_name_check", m_key_name_check, METH_O, NULL},
    {"approval_sign", (PyCFunction)(void (*)(void))m_approval_sign, METH_VARARGS | METH_KEYWORDS, NULL},
    {"approvals_verify", (PyCFunction)(void (*)(void))m_approvals_verify, METH_VARARGS | METH_KEYWORDS, NULL},
    {"audit_verify", (PyCFunction)(void (*)(void))m_audit_verify, METH_VARARGS | METH_KEYWORDS, NULL},
    {"audit_entries", m_audit_entries, METH_O, NULL},
    {"key_formats", m_key_formats, METH_NOARGS, NULL},
    {"parse_key", (PyCFunction)(void (*)(void))m_parse_key, METH_VARARGS | METH_KEYWORDS, NULL},
    {"key_write_check", m_key_write_check, METH_VARARGS, NULL},
    {"addresses", (PyCFunction)(void (*)(void))m_addresses, METH_VARARGS | METH_KEYWORDS, NULL},
    {"public_key", m_public_key, METH_O, NULL},
    {"credential_verify", m_credential_verify, METH_VARARGS, NULL},
    {"client_new", (PyCFunction)(void (*)(void))m_client_new, METH_VARARGS | METH_KEYWORDS, NULL},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "keyport._keyport",
    "The C layer of keyport over libkeyport; use the keyport package.", -1, module_methods,
    NULL, NULL, NULL, NULL,
};

static int add_type(PyObject *m, PyTypeObject **slot, PyType_Spec *spec, const char *name)
{
    *slot = (PyTypeObject *)PyType_FromSpec(spec);
    if (*slot == NULL) return -1;
    return PyModule_AddObjectRef(m, name, (PyObject *)*slot);
}

PyMODINIT_FUNC PyInit__keyport(void)
{
    if (g_ctx == NULL) {
        kp_status st = kp_ctx_new(&g_ctx);
        if (st != KP_OK) {
            PyErr_Format(PyExc_ImportError, "libkeyport could not start: %s: %s", kp_strerror(st), kp_error_detail());
            return NULL;
        }
        kp_ctx_set_illegal_callback(g_ctx, on_illegal, NULL);
    }
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL) return NULL;
    if (add_type(m, &SecretKey_Type, &secretkey_spec, "SecretKey") < 0 ||
        add_type(m, &Context_Type, &context_spec, "_Context") < 0 ||
        add_type(m, &Operator_Type, &operator_spec, "Operator") < 0 ||
        add_type(m, &Policy_Type, &policy_spec, "Policy") < 0 ||
        add_type(m, &AuditLog_Type, &auditlog_spec, "AuditLog") < 0 ||
        add_type(m, &Credential_Type, &credential_spec, "Credential") < 0 ||
        add_type(m, &Client_Type, &client_spec, "_Client") < 0 ||
        add_type(m, &SignerList_Type, &signerlist_spec, "SignerList") < 0 ||
        PyModule_AddStringConstant(m, "LIBRARY_VERSION", KP_VERSION_STRING) < 0 ||
        PyModule_AddIntConstant(m, "CONTEXT_FILE_BYTES", KP_CONTEXT_FILE_BYTES) < 0 ||
        PyModule_AddIntConstant(m, "MAX_SIGNERS", KP_MAX_SIGNERS) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
