/* peer_mvec_avx512.c -- the libmvec peer at avx512 width: mvec_tpl.h vectorised by GCC for libmvec's _ZGVe (AVX-512): 16 floats, 8 doubles.
 * SPDX-License-Identifier: MIT
 * Compiled -O3 -ffast-math -mavx512f -mprefer-vector-width=512 (bench/peers/CMakeLists.txt, this file only). */
#if !defined(__AVX512F__) || !defined(__FAST_MATH__)
#error "peer_mvec_avx512.c needs -O3 -ffast-math -mavx512f -mprefer-vector-width=512 (set per file in bench/peers/CMakeLists.txt)"
#endif
#include "peers.h"

#define PEER_PREFIX peer_mvec
#define PEER_ISA avx512
#include "mvec_tpl.h"
