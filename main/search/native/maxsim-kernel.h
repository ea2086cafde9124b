#ifndef SAEGIM_MAXSIM_KERNEL_H
#define SAEGIM_MAXSIM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SAEGIM_ISA_SCALAR = 0, SAEGIM_ISA_AVX2 = 1, SAEGIM_ISA_AVX512 = 2 } saegim_isa;

/* One block of documents, each padded to `length` rows of `dim` values: exactly one of floats / halves. */
typedef struct {
  const float *floats;
  const uint16_t *halves;
  /* keep[b * length + j] = 0 leaves row j of document b out; NULL scores every row. */
  const uint8_t *keep;
  int docs;
  int length;
  int dim;
  float *out;
} saegim_block;

saegim_isa saegim_best_isa(void);
const char *saegim_isa_name(saegim_isa isa);

/*
 * Scores documents [first, end) of the block into block->out. qt is the query transposed, [dim][qpad], qpad a
 * multiple of 16 padded with zero columns; nq the real query tokens. best holds qpad floats and scratch
 * 16 × dim floats (the fp16 rows converted at a time), both owned by the calling thread.
 */
void saegim_maxsim_block(const saegim_block *block, int first, int end, const float *qt, int qpad, int nq, saegim_isa isa, float *best, float *scratch);

#endif
