/* peer_libm.c -- the plain-C peer without -ffast-math: glibc scalar expf/log1pf (exp/log1p) per element.
 * SPDX-License-Identifier: MIT
 * mvec_tpl.h's loops as an ordinary build of that code compiles them. */
#if defined(__FAST_MATH__)
#error "peer_libm.c is the strict-IEEE build of mvec_tpl.h: compile it without -ffast-math"
#endif
#include "peers.h"

#define PEER_PREFIX peer_libm
#define PEER_ISA scalar
#include "mvec_tpl.h"
