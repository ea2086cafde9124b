/*
 * Node binding of the fused MaxSim kernel (maxsim-kernel.c). One call scores every block of an index
 * against one query on a libuv worker, so the event loop stays free; inside it the documents are split
 * into chunks that `threads` threads take in turn.
 *
 *   isa(): "avx512" | "avx2" | "scalar"
 *   score(blocks: {data: Float32Array | Uint16Array, docs, length, keep: Uint8Array | null, out: Float32Array}[],
 *         dim, queryT: Float32Array [dim × qpad], qpad, queryTokens, threads, isa?): Promise<void>
 *
 * `isa` runs a lesser instruction set than the CPU's best, so that every kernel can be tested on one machine.
 */
#include <node_api.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "maxsim-kernel.h"

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "saegim maxsim: " #call); \
      return NULL;                                         \
    }                                                      \
  } while (0)

/* Documents per unit of work: small enough to balance two threads, large enough to make taking one free. */
#define CHUNK_DOCS 32

typedef struct {
  saegim_block *blocks;
  int nblocks;
  int *chunk_block;
  int *chunk_first;
  int nchunks;
  atomic_int next;
  const float *qt;
  int qpad, nq, threads, dim;
  saegim_isa isa;
  napi_ref *refs;
  int nrefs;
  napi_async_work work;
  napi_deferred deferred;
} job;

static saegim_isa g_isa;

static void *worker(void *arg) {
  job *j = arg;
  float *best = malloc(sizeof(float) * (size_t)j->qpad);
  float *scratch = malloc(sizeof(float) * 16 * (size_t)j->dim);
  if (best && scratch) {
    for (int c; (c = atomic_fetch_add(&j->next, 1)) < j->nchunks;) {
      const saegim_block *b = &j->blocks[j->chunk_block[c]];
      int first = j->chunk_first[c];
      int end = first + CHUNK_DOCS < b->docs ? first + CHUNK_DOCS : b->docs;
      saegim_maxsim_block(b, first, end, j->qt, j->qpad, j->nq, j->isa, best, scratch);
    }
  }
  free(best);
  free(scratch);
  return NULL;
}

static void execute(napi_env env, void *data) {
  (void)env;
  job *j = data;
  pthread_t extra[63];
  int spawned = 0;
  for (int t = 1; t < j->threads && t < 64; t++) {
    if (pthread_create(&extra[spawned], NULL, worker, j) == 0) spawned++;
  }
  worker(j);
  for (int t = 0; t < spawned; t++) pthread_join(extra[t], NULL);
}

static void complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (status == napi_ok) {
    napi_resolve_deferred(env, j->deferred, undefined);
  } else {
    napi_value message, error;
    napi_create_string_utf8(env, "saegim maxsim: scoring was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, j->deferred, error);
  }
  for (int i = 0; i < j->nrefs; i++) napi_delete_reference(env, j->refs[i]);
  napi_delete_async_work(env, j->work);
  free(j->refs);
  free(j->blocks);
  free(j->chunk_block);
  free(j->chunk_first);
  free(j);
}

/* The typed array's data, checked for its element type and (when min > 0) length; NULL with an exception. */
static void *typed(napi_env env, napi_value value, napi_typedarray_type want, size_t min, const char *what, size_t *length) {
  bool is;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  napi_typedarray_type type;
  size_t n;
  void *ptr;
  napi_get_typedarray_info(env, value, &type, &n, &ptr, NULL, NULL);
  if (type != want || n < min) {
    napi_throw_range_error(env, NULL, what);
    return NULL;
  }
  if (length) *length = n;
  return ptr;
}

static int int_prop(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  int32_t out = -1;
  if (napi_get_named_property(env, obj, name, &v) == napi_ok) napi_get_value_int32(env, v, &out);
  return out;
}

static napi_value score(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "score(blocks, dim, queryT, qpad, queryTokens, threads)");
    return NULL;
  }
  int32_t dim, qpad, nq, threads;
  CHECK(env, napi_get_value_int32(env, argv[1], &dim));
  CHECK(env, napi_get_value_int32(env, argv[3], &qpad));
  CHECK(env, napi_get_value_int32(env, argv[4], &nq));
  CHECK(env, napi_get_value_int32(env, argv[5], &threads));
  if (dim <= 0 || qpad <= 0 || qpad % 16 != 0 || nq <= 0 || nq > qpad || threads <= 0) {
    napi_throw_range_error(env, NULL, "score: dim, qpad (a multiple of 16 ≥ queryTokens), queryTokens and threads must be positive");
    return NULL;
  }
  int want = (int)g_isa;
  napi_valuetype isa_type = napi_undefined;
  if (argc > 6) napi_typeof(env, argv[6], &isa_type);
  if (isa_type == napi_string) {
    char name[16] = {0};
    size_t len;
    napi_get_value_string_utf8(env, argv[6], name, sizeof name, &len);
    if (strcmp(name, "avx512") == 0) want = SAEGIM_ISA_AVX512;
    else if (strcmp(name, "avx2") == 0) want = SAEGIM_ISA_AVX2;
    else if (strcmp(name, "scalar") == 0) want = SAEGIM_ISA_SCALAR;
    else want = -1;
    if (want < 0 || want > (int)g_isa) {
      napi_throw_range_error(env, NULL, "score: isa must be scalar, avx2 or avx512, and supported by this CPU");
      return NULL;
    }
  }
  uint32_t nblocks;
  CHECK(env, napi_get_array_length(env, argv[0], &nblocks));

  job *j = calloc(1, sizeof *j);
  j->blocks = calloc(nblocks ? nblocks : 1, sizeof *j->blocks);
  j->refs = calloc((size_t)nblocks * 3 + 1, sizeof *j->refs);
  j->nblocks = (int)nblocks;
  j->dim = dim;
  j->qpad = qpad;
  j->nq = nq;
  j->threads = threads;
  j->isa = (saegim_isa)want;
  j->qt = typed(env, argv[2], napi_float32_array, (size_t)dim * qpad, "score: queryT must be a Float32Array of dim × qpad", NULL);
  if (!j->qt) goto fail;
  napi_create_reference(env, argv[2], 1, &j->refs[j->nrefs++]);

  int nchunks = 0;
  for (uint32_t i = 0; i < nblocks; i++) {
    napi_value obj, data, keep, out;
    saegim_block *b = &j->blocks[i];
    if (napi_get_element(env, argv[0], i, &obj) != napi_ok) goto fail;
    b->docs = int_prop(env, obj, "docs");
    b->length = int_prop(env, obj, "length");
    b->dim = dim;
    if (b->docs <= 0 || b->length <= 0) {
      napi_throw_range_error(env, NULL, "score: every block needs positive docs and length");
      goto fail;
    }
    size_t rows = (size_t)b->docs * b->length;
    napi_get_named_property(env, obj, "data", &data);
    napi_typedarray_type type = napi_float32_array;
    bool is = false;
    napi_is_typedarray(env, data, &is);
    if (is) napi_get_typedarray_info(env, data, &type, NULL, NULL, NULL, NULL);
    if (type == napi_uint16_array) {
      b->halves = typed(env, data, napi_uint16_array, rows * dim, "score: block data must hold docs × length × dim values", NULL);
      if (!b->halves) goto fail;
    } else {
      b->floats = typed(env, data, napi_float32_array, rows * dim, "score: block data must be a Float32Array or Uint16Array of docs × length × dim", NULL);
      if (!b->floats) goto fail;
    }
    napi_create_reference(env, data, 1, &j->refs[j->nrefs++]);
    napi_get_named_property(env, obj, "keep", &keep);
    napi_valuetype kt;
    napi_typeof(env, keep, &kt);
    if (kt != napi_null && kt != napi_undefined) {
      b->keep = typed(env, keep, napi_uint8_array, rows, "score: keep must be null or a Uint8Array of docs × length", NULL);
      if (!b->keep) goto fail;
      napi_create_reference(env, keep, 1, &j->refs[j->nrefs++]);
    }
    napi_get_named_property(env, obj, "out", &out);
    b->out = typed(env, out, napi_float32_array, (size_t)b->docs, "score: out must be a Float32Array of docs", NULL);
    if (!b->out) goto fail;
    napi_create_reference(env, out, 1, &j->refs[j->nrefs++]);
    nchunks += (b->docs + CHUNK_DOCS - 1) / CHUNK_DOCS;
  }
  j->chunk_block = malloc(sizeof(int) * (size_t)(nchunks ? nchunks : 1));
  j->chunk_first = malloc(sizeof(int) * (size_t)(nchunks ? nchunks : 1));
  for (int i = 0, c = 0; i < j->nblocks; i++) {
    for (int first = 0; first < j->blocks[i].docs; first += CHUNK_DOCS, c++) {
      j->chunk_block[c] = i;
      j->chunk_first[c] = first;
    }
  }
  j->nchunks = nchunks;
  atomic_init(&j->next, 0);

  napi_value promise, name;
  CHECK(env, napi_create_promise(env, &j->deferred, &promise));
  napi_create_string_utf8(env, "saegim.maxsim", NAPI_AUTO_LENGTH, &name);
  CHECK(env, napi_create_async_work(env, NULL, name, execute, complete, j, &j->work));
  CHECK(env, napi_queue_async_work(env, j->work));
  return promise;

fail:
  for (int i = 0; i < j->nrefs; i++) napi_delete_reference(env, j->refs[i]);
  free(j->refs);
  free(j->blocks);
  free(j);
  return NULL;
}

static napi_value isa(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_string_utf8(env, saegim_isa_name(g_isa), NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  g_isa = saegim_best_isa();
  napi_property_descriptor props[] = {
      {"isa", NULL, isa, NULL, NULL, NULL, napi_default, NULL},
      {"score", NULL, score, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
