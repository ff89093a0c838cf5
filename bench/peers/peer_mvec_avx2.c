/* peer_mvec_avx2.c -- the libmvec peer at avx2 width: mvec_tpl.h vectorised by GCC for libmvec's _ZGVd (AVX2): 8 floats, 4 doubles.
 * SPDX-License-Identifier: MIT
 * Compiled -O3 -ffast-math -mavx2 -mfma (bench/peers/CMakeLists.txt, this file only). */
#if !defined(__AVX2__) || !defined(__FAST_MATH__)
#error "peer_mvec_avx2.c needs -O3 -ffast-math -mavx2 -mfma (set per file in bench/peers/CMakeLists.txt)"
#endif
#include "peers.h"

#define PEER_PREFIX peer_mvec
#define PEER_ISA avx2
#include "mvec_tpl.h"
