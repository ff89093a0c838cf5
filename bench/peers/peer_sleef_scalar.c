/* peer_sleef_scalar.c -- the SLEEF peer one element at a time: Sleef_{exp,log1p}f_u10, _u10 (double).
 * SPDX-License-Identifier: MIT
 * The scalar helpers for sleef_tpl.h: a "vector" of one lane. */
#include <math.h>
#include <string.h>

#include <sleef.h>

#include "peers.h"

#define T float
#define VT float
#define VW 1
#define LOADU(p) (*(p))
#define STOREU(p, v) (*(p) = (v))
#define SET1(s) (s)
#define ADD(a, b) ((a) + (b))
#define MUL(a, b) ((a) * (b))
#define DIV(a, b) ((a) / (b))
#define MAX(a, b) fmaxf(a, b)
#define ABS(v) fabsf(v)
#define NEG(v) (-(v))
#define SEL_GT(a, b, t, f) ((a) > (b) ? (t) : (f))
#define SEL_GE(a, b, t, f) ((a) >= (b) ? (t) : (f))
#define VEXP Sleef_expf_u10
#define VLOG1P Sleef_log1pf_u10
#define NAME(op) peer_sleef_##op##_f32_scalar
#include "sleef_tpl.h"

#define T double
#define VT double
#define VW 1
#define LOADU(p) (*(p))
#define STOREU(p, v) (*(p) = (v))
#define SET1(s) (s)
#define ADD(a, b) ((a) + (b))
#define MUL(a, b) ((a) * (b))
#define DIV(a, b) ((a) / (b))
#define MAX(a, b) fmax(a, b)
#define ABS(v) fabs(v)
#define NEG(v) (-(v))
#define SEL_GT(a, b, t, f) ((a) > (b) ? (t) : (f))
#define SEL_GE(a, b, t, f) ((a) >= (b) ? (t) : (f))
#define VEXP Sleef_exp_u10
#define VLOG1P Sleef_log1p_u10
#define NAME(op) peer_sleef_##op##_f64_scalar
#include "sleef_tpl.h"
