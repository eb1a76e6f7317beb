/* Clock arithmetic for calibration and delays (see arch/calib.h). */
#include <stdio.h>
#include <arch/calib.h>

uint64_t calib_hz(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz)
{
	if (ref_ticks == 0 || ref_hz == 0)
		return 0;
	/* ticks * ref_hz overflows 64 bits for a 4 GHz TSC over a second of a
	 * 10 MHz reference, so the product is kept in 128 bits. */
	unsigned __int128 q = (unsigned __int128)ticks * ref_hz / ref_ticks;
	return q > UINT64_MAX ? UINT64_MAX : (uint64_t)q;
}

uint64_t calib_delta(uint64_t start, uint64_t end, uint64_t mask)
{
	return (end - start) & mask;
}

uint64_t calib_ticks_for_us(uint64_t us, uint64_t hz)
{
	unsigned __int128 t = (unsigned __int128)us * hz + 999999u;
	t /= 1000000u;
	return t > UINT64_MAX ? UINT64_MAX : (uint64_t)t;
}

uint64_t calib_us_for_ticks(uint64_t ticks, uint64_t hz)
{
	if (hz == 0)
		return 0;
	unsigned __int128 us = (unsigned __int128)ticks * 1000000u / hz;
	return us > UINT64_MAX ? UINT64_MAX : (uint64_t)us;
}

int calib_fmt_mhz(char *buf, size_t n, uint64_t hz)
{
	/* Tenths of a MHz = units of 100 kHz, rounded to nearest. */
	uint64_t tenths = hz / 100000u + (hz % 100000u >= 50000u);
	return snprintf(buf, n, "%llu.%llu", (unsigned long long)(tenths / 10),
			(unsigned long long)(tenths % 10));
}
