/* sleef_tpl.h -- the stable softplus composition on SLEEF's u10 exp and log1p, written once for every
 * vector width. SPDX-License-Identifier: MIT
 *
 * Included by peer_sleef_<isa>.c once per dtype, after it defines the helpers below (SLEEF's own
 * helper<isa>.h style): a peer file is one helper table, not a copy of the math.
 *   T, VT, VW               scalar type, vector type, lanes
 *   LOADU(p), STOREU(p, v)  unaligned load/store; SET1(s)
 *   ADD, MUL, DIV, MAX      lane-wise
 *   ABS(v), NEG(v)          sign cleared / flipped
 *   SEL_GT(a, b, t, f)      per lane: a > b ? t : f  (ordered compare)
 *   SEL_GE(a, b, t, f)      per lane: a >= b ? t : f
 *   VEXP, VLOG1P            the SLEEF u10 functions of that width
 *   NAME(op)                the exported name: peer_sleef_<op>_<dtype>_<isa>
 * The tail (n % VW elements) goes through a zero-padded stack vector, so nothing past n is touched.
 * Undefines every helper at the end, so the file can define the next dtype's.
 */
static inline VT NAME(fwd_v)(VT x, VT beta, VT threshold)
{
    const VT z = MUL(x, beta);
    const VT r = DIV(ADD(MAX(z, SET1((T)0)), VLOG1P(VEXP(NEG(ABS(z))))), beta);
    return SEL_GT(z, threshold, x, r);
}

static inline VT NAME(bwd_v)(VT dy, VT x, VT beta, VT threshold)
{
    const VT z = MUL(x, beta), one = SET1((T)1);
    const VT e = VEXP(NEG(ABS(z)));
    const VT s = DIV(SEL_GE(z, SET1((T)0), one, e), ADD(one, e));
    return SEL_GT(z, threshold, dy, MUL(dy, s));
}

void NAME(fwd)(size_t n, const T *x, T *y, T beta, T threshold)
{
    const VT b = SET1(beta), t = SET1(threshold);
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        STOREU(y + i, NAME(fwd_v)(LOADU(x + i), b, t));
    if (i < n) {
        T bx[VW] = {0}, by[VW];
        memcpy(bx, x + i, (n - i) * sizeof(T));
        STOREU(by, NAME(fwd_v)(LOADU(bx), b, t));
        memcpy(y + i, by, (n - i) * sizeof(T));
    }
}

void NAME(bwd)(size_t n, const T *dy, const T *x, T *dx, T beta, T threshold)
{
    const VT b = SET1(beta), t = SET1(threshold);
    size_t i = 0;
    for (; i + VW <= n; i += VW)
        STOREU(dx + i, NAME(bwd_v)(LOADU(dy + i), LOADU(x + i), b, t));
    if (i < n) {
        T bdy[VW] = {0}, bx[VW] = {0}, bdx[VW];
        memcpy(bdy, dy + i, (n - i) * sizeof(T));
        memcpy(bx, x + i, (n - i) * sizeof(T));
        STOREU(bdx, NAME(bwd_v)(LOADU(bdy), LOADU(bx), b, t));
        memcpy(dx + i, bdx, (n - i) * sizeof(T));
    }
}

#undef T
#undef VT
#undef VW
#undef LOADU
#undef STOREU
#undef SET1
#undef ADD
#undef MUL
#undef DIV
#undef MAX
#undef ABS
#undef NEG
#undef SEL_GT
#undef SEL_GE
#undef VEXP
#undef VLOG1P
#undef NAME
