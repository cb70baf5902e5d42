// Lane sums of 16 vectors at once: out lane r = sum of v[r]'s lanes. Four shuffle-and-add levels
// (blocks across pairs, block halves, lane pairs, lanes) cost about two shuffles per row instead
// of a dependent four-step reduction per row.
//
// No include guard: kernels include it once per SIMD target, inside a namespace of their own,
// after defining ANEMLL_SUM_LANES16_ATTR (inline plus the target's attributes).
ANEMLL_SUM_LANES16_ATTR __m512 SumLanes16(const __m512* v) {
  __m512 s[8], t[4], u[2];
  for (int i = 0; i < 8; ++i) {
    s[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                         _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
  }
  // t[j] blocks: rows 4j..4j+3, four partial lanes each.
  for (int j = 0; j < 4; ++j) {
    t[j] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * j], s[2 * j + 1], 0x88),
                         _mm512_shuffle_f32x4(s[2 * j], s[2 * j + 1], 0xDD));
  }
  for (int j = 0; j < 2; ++j) {
    u[j] = _mm512_add_ps(_mm512_shuffle_ps(t[2 * j], t[2 * j + 1], 0x44),
                         _mm512_shuffle_ps(t[2 * j], t[2 * j + 1], 0xEE));
  }
  // Lane 4k+m now holds row k+4m.
  const __m512 mixed = _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], 0x88), _mm512_shuffle_ps(u[0], u[1], 0xDD));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, mixed);
}
