/*
 * Exact MaxSim, S(q, d) = Σ_i max_j q_i · d_j, for a block of documents padded to one length, fused so the
 * similarity matrix is never written out: each group of document rows is multiplied against the query in
 * registers and folded into a running maximum per query token straight away. The query is laid out
 * transposed, [dim][qpad] with qpad a multiple of 16 and its padding columns zero: a zero column scores 0
 * against every row, so its maximum is 0 and it adds nothing to the sum.
 *
 * Vectorised across query tokens (a register holds 16 or 8 of them), so the maximum over rows is a lane-wise
 * max and there is one horizontal sum per document. Rows are taken R at a time, each broadcast against the
 * same query loads, which is what keeps the FMA units rather than the load ports busy.
 */
#include "maxsim-kernel.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SAEGIM_X86 1
#endif

/* Rows converted from fp16 at a time (R-multiple for both kernels), so the float copy stays in L1. */
#define F16_ROWS 16

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {
      exp = 127 - 15 + 1;
      while ((mant & 0x400) == 0) { mant <<= 1; exp--; }
      bits = sign | (exp << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* ---- portable kernel: the reference for the vector ones, used where neither AVX2 nor AVX-512 exists ---- */

static void rows_scalar(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src) {
  (void)src;
  for (int r = 0; r < count; r++) {
    if (keep && !keep[r]) continue;
    const float *d = rows + (size_t)r * dim;
    for (int i = 0; i < qpad; i++) {
      float dot = 0;
      for (int k = 0; k < dim; k++) dot += d[k] * qt[(size_t)k * qpad + i];
      if (dot > best[i]) best[i] = dot;
    }
  }
}

#ifdef SAEGIM_X86

/* ---- AVX-512: 32 query tokens (two registers) × 8 rows per step, 16 accumulators ---- */

/* Spelled out row by row: with arrays of accumulators GCC kept them on the stack and ran at a third of the speed. */
#define ROW_PTRS8(rows, dim) \
  const float *p0 = (rows), *p1 = p0 + (dim), *p2 = p1 + (dim), *p3 = p2 + (dim), *p4 = p3 + (dim), *p5 = p4 + (dim), *p6 = p5 + (dim), *p7 = p6 + (dim)

#define FOLD512(m, a, r) \
  if (!keep || keep[r]) m = _mm512_max_ps(m, a)

__attribute__((target("avx512f"))) static inline void step32x8(const float *rows, int dim, const float *qt, int qpad, __m512 *m0, __m512 *m1, const uint8_t *keep, const char *ahead, int elem) {
  ROW_PTRS8(rows, dim);
  __m512 a00 = _mm512_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  __m512 a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00, a70 = a00, a71 = a00;
  const float *q = qt;
  const int every = 8 / elem;
  for (int k = 0; k < dim; k++, q += qpad) {
    if ((k & (every - 1)) == 0) _mm_prefetch(ahead + (size_t)k * 8 * elem, _MM_HINT_T0);
    const __m512 q0 = _mm512_loadu_ps(q), q1 = _mm512_loadu_ps(q + 16);
    __m512 b;
    b = _mm512_set1_ps(p0[k]); a00 = _mm512_fmadd_ps(b, q0, a00); a01 = _mm512_fmadd_ps(b, q1, a01);
    b = _mm512_set1_ps(p1[k]); a10 = _mm512_fmadd_ps(b, q0, a10); a11 = _mm512_fmadd_ps(b, q1, a11);
    b = _mm512_set1_ps(p2[k]); a20 = _mm512_fmadd_ps(b, q0, a20); a21 = _mm512_fmadd_ps(b, q1, a21);
    b = _mm512_set1_ps(p3[k]); a30 = _mm512_fmadd_ps(b, q0, a30); a31 = _mm512_fmadd_ps(b, q1, a31);
    b = _mm512_set1_ps(p4[k]); a40 = _mm512_fmadd_ps(b, q0, a40); a41 = _mm512_fmadd_ps(b, q1, a41);
    b = _mm512_set1_ps(p5[k]); a50 = _mm512_fmadd_ps(b, q0, a50); a51 = _mm512_fmadd_ps(b, q1, a51);
    b = _mm512_set1_ps(p6[k]); a60 = _mm512_fmadd_ps(b, q0, a60); a61 = _mm512_fmadd_ps(b, q1, a61);
    b = _mm512_set1_ps(p7[k]); a70 = _mm512_fmadd_ps(b, q0, a70); a71 = _mm512_fmadd_ps(b, q1, a71);
  }
  __m512 x = *m0, y = *m1;
  FOLD512(x, a00, 0); FOLD512(y, a01, 0); FOLD512(x, a10, 1); FOLD512(y, a11, 1);
  FOLD512(x, a20, 2); FOLD512(y, a21, 2); FOLD512(x, a30, 3); FOLD512(y, a31, 3);
  FOLD512(x, a40, 4); FOLD512(y, a41, 4); FOLD512(x, a50, 5); FOLD512(y, a51, 5);
  FOLD512(x, a60, 6); FOLD512(y, a61, 6); FOLD512(x, a70, 7); FOLD512(y, a71, 7);
  *m0 = x;
  *m1 = y;
}

/* The last 16 query tokens of an odd chunk count: one register, 8 rows. */
__attribute__((target("avx512f"))) static inline void step16x8(const float *rows, int dim, const float *qt, int qpad, __m512 *m0, const uint8_t *keep, const char *ahead, int elem) {
  ROW_PTRS8(rows, dim);
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
  const float *q = qt;
  const int every = 8 / elem;
  for (int k = 0; k < dim; k++, q += qpad) {
    if ((k & (every - 1)) == 0) _mm_prefetch(ahead + (size_t)k * 8 * elem, _MM_HINT_T0);
    const __m512 q0 = _mm512_loadu_ps(q);
    a0 = _mm512_fmadd_ps(_mm512_set1_ps(p0[k]), q0, a0);
    a1 = _mm512_fmadd_ps(_mm512_set1_ps(p1[k]), q0, a1);
    a2 = _mm512_fmadd_ps(_mm512_set1_ps(p2[k]), q0, a2);
    a3 = _mm512_fmadd_ps(_mm512_set1_ps(p3[k]), q0, a3);
    a4 = _mm512_fmadd_ps(_mm512_set1_ps(p4[k]), q0, a4);
    a5 = _mm512_fmadd_ps(_mm512_set1_ps(p5[k]), q0, a5);
    a6 = _mm512_fmadd_ps(_mm512_set1_ps(p6[k]), q0, a6);
    a7 = _mm512_fmadd_ps(_mm512_set1_ps(p7[k]), q0, a7);
  }
  __m512 x = *m0;
  FOLD512(x, a0, 0); FOLD512(x, a1, 1); FOLD512(x, a2, 2); FOLD512(x, a3, 3);
  FOLD512(x, a4, 4); FOLD512(x, a5, 5); FOLD512(x, a6, 6); FOLD512(x, a7, 7);
  *m0 = x;
}

__attribute__((target("avx512f"))) static inline void step16x1(const float *row, int dim, const float *qt, int qpad, __m512 *m0, __m512 *m1, int both) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0;
  const float *q = qt;
  for (int k = 0; k < dim; k++, q += qpad) {
    const __m512 b = _mm512_set1_ps(row[k]);
    a0 = _mm512_fmadd_ps(b, _mm512_loadu_ps(q), a0);
    if (both) a1 = _mm512_fmadd_ps(b, _mm512_loadu_ps(q + 16), a1);
  }
  *m0 = _mm512_max_ps(*m0, a0);
  if (both) *m1 = _mm512_max_ps(*m1, a1);
}

/*
 * Folds `count` rows into best[0..qpad): the running maximum per query token. `src` is where these rows sit
 * in the index (`elem` bytes a value: 4, or 2 for fp16 rows converted into `rows`); each group prefetches
 * the source two groups ahead, spread over its multiply loop. The rows of a group are one 32·dim-byte run
 * read as eight interleaved streams, which the hardware prefetcher does not fetch early enough: without
 * this the kernel ran at half speed on a corpus larger than the cache.
 */
__attribute__((target("avx512f"), always_inline)) static inline void rows_avx512(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src, int elem) {
  for (int col = 0; col < qpad; col += 32) {
    const int both = col + 16 < qpad;
    __m512 m0 = _mm512_loadu_ps(best + col);
    __m512 m1 = both ? _mm512_loadu_ps(best + col + 16) : _mm512_setzero_ps();
    int r = 0;
    for (; r + 8 <= count; r += 8) {
      const char *ahead = src + (size_t)(r + 16) * dim * elem;
      if (both) step32x8(rows + (size_t)r * dim, dim, qt + col, qpad, &m0, &m1, keep ? keep + r : 0, ahead, elem);
      else step16x8(rows + (size_t)r * dim, dim, qt + col, qpad, &m0, keep ? keep + r : 0, ahead, elem);
    }
    for (; r < count; r++) {
      if (keep && !keep[r]) continue;
      step16x1(rows + (size_t)r * dim, dim, qt + col, qpad, &m0, &m1, both);
    }
    _mm512_storeu_ps(best + col, m0);
    if (both) _mm512_storeu_ps(best + col + 16, m1);
  }
}

/* One copy per value width, so that the prefetch spacing is a constant in the inner loop. */
__attribute__((target("avx512f"))) static void rows_avx512_f32(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src) {
  rows_avx512(rows, count, keep, dim, qt, qpad, best, src, 4);
}

__attribute__((target("avx512f"))) static void rows_avx512_f16(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src) {
  rows_avx512(rows, count, keep, dim, qt, qpad, best, src, 2);
}

__attribute__((target("avx512f"))) static void halves_avx512(const uint16_t *src, size_t n, float *dst) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(src + i))));
  for (; i < n; i++) dst[i] = half_to_float(src[i]);
}

/* ---- AVX2 + FMA: 16 query tokens (two registers) × 4 rows per step ---- */

__attribute__((target("avx2,fma"))) static inline void step8x4(const float *rows, int dim, const float *qt, int qpad, int col, __m256 *m0, __m256 *m1, const uint8_t *keep, const char *ahead, int elem) {
  __m256 a0[4], a1[4];
  for (int r = 0; r < 4; r++) { a0[r] = _mm256_setzero_ps(); a1[r] = _mm256_setzero_ps(); }
  const float *q = qt + col;
  const int every = 16 / elem;
  for (int k = 0; k < dim; k++, q += qpad) {
    if ((k & (every - 1)) == 0) _mm_prefetch(ahead + (size_t)k * 4 * elem, _MM_HINT_T0);
    __m256 q0 = _mm256_loadu_ps(q), q1 = _mm256_loadu_ps(q + 8);
    for (int r = 0; r < 4; r++) {
      __m256 b = _mm256_broadcast_ss(rows + (size_t)r * dim + k);
      a0[r] = _mm256_fmadd_ps(b, q0, a0[r]);
      a1[r] = _mm256_fmadd_ps(b, q1, a1[r]);
    }
  }
  for (int r = 0; r < 4; r++) {
    if (keep && !keep[r]) continue;
    *m0 = _mm256_max_ps(*m0, a0[r]);
    *m1 = _mm256_max_ps(*m1, a1[r]);
  }
}

__attribute__((target("avx2,fma"), always_inline)) static inline void rows_avx2(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src, int elem) {
  for (int col = 0; col < qpad; col += 16) {
    __m256 m0 = _mm256_loadu_ps(best + col), m1 = _mm256_loadu_ps(best + col + 8);
    int r = 0;
    for (; r + 4 <= count; r += 4) step8x4(rows + (size_t)r * dim, dim, qt, qpad, col, &m0, &m1, keep ? keep + r : 0, src + (size_t)(r + 8) * dim * elem, elem);
    for (; r < count; r++) {
      if (keep && !keep[r]) continue;
      __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
      const float *q = qt + col;
      const float *d = rows + (size_t)r * dim;
      for (int k = 0; k < dim; k++, q += qpad) {
        __m256 b = _mm256_broadcast_ss(d + k);
        a0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(q), a0);
        a1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(q + 8), a1);
      }
      m0 = _mm256_max_ps(m0, a0);
      m1 = _mm256_max_ps(m1, a1);
    }
    _mm256_storeu_ps(best + col, m0);
    _mm256_storeu_ps(best + col + 8, m1);
  }
}

__attribute__((target("avx2,fma"))) static void rows_avx2_f32(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src) {
  rows_avx2(rows, count, keep, dim, qt, qpad, best, src, 4);
}

__attribute__((target("avx2,fma"))) static void rows_avx2_f16(const float *rows, int count, const uint8_t *keep, int dim, const float *qt, int qpad, float *best, const char *src) {
  rows_avx2(rows, count, keep, dim, qt, qpad, best, src, 2);
}

__attribute__((target("avx2,f16c"))) static void halves_f16c(const uint16_t *src, size_t n, float *dst) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
  for (; i < n; i++) dst[i] = half_to_float(src[i]);
}

#endif /* SAEGIM_X86 */

static void halves_scalar(const uint16_t *src, size_t n, float *dst) {
  for (size_t i = 0; i < n; i++) dst[i] = half_to_float(src[i]);
}

typedef void (*rows_fn)(const float *, int, const uint8_t *, int, const float *, int, float *, const char *);
typedef void (*halves_fn)(const uint16_t *, size_t, float *);

static rows_fn pick_rows(saegim_isa isa, int halves) {
#ifdef SAEGIM_X86
  if (isa == SAEGIM_ISA_AVX512) return halves ? rows_avx512_f16 : rows_avx512_f32;
  if (isa == SAEGIM_ISA_AVX2) return halves ? rows_avx2_f16 : rows_avx2_f32;
#endif
  (void)isa;
  (void)halves;
  return rows_scalar;
}

static halves_fn pick_halves(saegim_isa isa) {
#ifdef SAEGIM_X86
  if (isa == SAEGIM_ISA_AVX512) return halves_avx512;
  if (isa == SAEGIM_ISA_AVX2) return halves_f16c;
#endif
  (void)isa;
  return halves_scalar;
}

saegim_isa saegim_best_isa(void) {
#ifdef SAEGIM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return SAEGIM_ISA_AVX512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) return SAEGIM_ISA_AVX2;
#endif
  return SAEGIM_ISA_SCALAR;
}

const char *saegim_isa_name(saegim_isa isa) {
  switch (isa) {
    case SAEGIM_ISA_AVX512: return "avx512";
    case SAEGIM_ISA_AVX2: return "avx2";
    default: return "scalar";
  }
}

void saegim_maxsim_block(const saegim_block *block, int first, int end, const float *qt, int qpad, int nq, saegim_isa isa, float *best, float *scratch) {
  rows_fn rows = pick_rows(isa, block->halves != 0);
  halves_fn halves = pick_halves(isa);
  const int dim = block->dim, length = block->length;
  const size_t stride = (size_t)length * dim;
  for (int b = first; b < end; b++) {
    for (int i = 0; i < qpad; i++) best[i] = -INFINITY;
    const uint8_t *keep = block->keep ? block->keep + (size_t)b * length : 0;
    if (block->halves) {
      const uint16_t *doc = block->halves + (size_t)b * stride;
      for (int r = 0; r < length; r += F16_ROWS) {
        int count = length - r < F16_ROWS ? length - r : F16_ROWS;
        halves(doc + (size_t)r * dim, (size_t)count * dim, scratch);
        rows(scratch, count, keep ? keep + r : 0, dim, qt, qpad, best, (const char *)(doc + (size_t)r * dim));
      }
    } else {
      const float *doc = block->floats + (size_t)b * stride;
      rows(doc, length, keep, dim, qt, qpad, best, (const char *)doc);
    }
    /* A document with no scorable row leaves -inf everywhere: it scores 0, as maxSimScore's empty maximum. */
    float total = 0;
    for (int i = 0; i < nq; i++) if (best[i] != -INFINITY) total += best[i];
    block->out[b] = total;
  }
}
