/* peer_mvec_sse41.c -- the libmvec peer at sse41 width: mvec_tpl.h vectorised by GCC for libmvec's _ZGVb (SSE): 4 floats, 2 doubles.
 * SPDX-License-Identifier: MIT
 * Compiled -O3 -ffast-math -msse4.1 (bench/peers/CMakeLists.txt, this file only). */
#if !defined(__SSE4_1__) || !defined(__FAST_MATH__)
#error "peer_mvec_sse41.c needs -O3 -ffast-math -msse4.1 (set per file in bench/peers/CMakeLists.txt)"
#endif
#include "peers.h"

#define PEER_PREFIX peer_mvec
#define PEER_ISA sse41
#include "mvec_tpl.h"
