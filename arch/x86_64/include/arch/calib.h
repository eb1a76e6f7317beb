/*
 * Clock arithmetic for timer calibration and delays.  Pure integer code with
 * no hardware access, so the host unit tests check it directly.
 */
#ifndef ARCH_CALIB_H
#define ARCH_CALIB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Frequency of a clock that advanced `ticks` while a reference clock of
 * `ref_hz` advanced `ref_ticks`: ticks * ref_hz / ref_ticks, computed with a
 * 128-bit intermediate.  0 if ref_ticks or ref_hz is 0; saturates at UINT64_MAX.
 */
uint64_t calib_hz(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz);

/* Ticks elapsed from start to end on a counter `mask` wide (e.g. 0xffffff). */
uint64_t calib_delta(uint64_t start, uint64_t end, uint64_t mask);

/* Ticks of a clock of `hz` in `us` microseconds, rounded up; saturates. */
uint64_t calib_ticks_for_us(uint64_t us, uint64_t hz);

/* Whole microseconds in `ticks` of a clock of `hz`, rounded down; 0 if hz is 0. */
uint64_t calib_us_for_ticks(uint64_t ticks, uint64_t hz);

/* `hz` as MHz with one decimal, rounded to nearest ("1000.0", "3.5"). */
int calib_fmt_mhz(char *buf, size_t n, uint64_t hz);

#endif
