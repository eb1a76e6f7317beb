/*
 * Guest CMOS RTC: the clock as seconds plus TSC, shown through the
 * MC146818A time registers.  See rtc.h for what is modelled.
 */
#include "calendar.h"
#include "rtc.h"

#define REG_SEC      0x00
#define REG_MIN      0x02
#define REG_HOUR     0x04
#define REG_WDAY     0x06
#define REG_MDAY     0x07
#define REG_MON      0x08
#define REG_YEAR     0x09
#define REG_A        0x0a
#define REG_B        0x0b
#define REG_C        0x0c
#define REG_D        0x0d
#define REG_CENTURY  0x32       /* the FADT's CENTURY field points here */

#define A_UIP        0x80
#define B_SET        0x80
#define B_UIE        0x10
#define B_BINARY     0x04
#define B_24H        0x02
#define D_VRT        0x80
#define HOUR_PM      0x80

#define SECS_PER_DAY 86400
#define MAX_SECS     253402300799ll     /* 9999-12-31 23:59:59 */

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back, in eras of
 * 400 years that start on March 1 (the leap day ends a year).
 */
static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, struct vrtc_date *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;

	d->mday = (uint8_t)(doy - (153 * mp + 2) / 5 + 1);
	d->mon = (uint8_t)(mp < 10 ? mp + 3 : mp - 9);
	d->year = (int64_t)yoe + era * 400 + (d->mon <= 2);
}

/* 1970-01-01 was a Thursday: weekday 5 when Sunday is 1. */
static uint8_t weekday(int64_t days, unsigned adj)
{
	int64_t n = days + 4 + adj;

	return (uint8_t)(n - floor_div(n, 7) * 7 + 1);
}

static int64_t date_days(const struct vrtc_date *d)
{
	unsigned last = calendar_days_in_month(d->year, d->mon);

	return days_from_civil(d->year, d->mon, d->mday > last ? last : d->mday);
}

static uint64_t vrtc_ticks(const struct vrtc *rtc, uint64_t now)
{
	uint64_t t = now - rtc->base_tsc;

	return (int64_t)t < 0 ? 0 : t;     /* a TSC read behind base_tsc counts as no time */
}

static bool vrtc_stopped(const struct vrtc *rtc)
{
	return rtc->cmos[REG_B] & B_SET;
}

static void vrtc_date_now(const struct vrtc *rtc, uint64_t now, struct vrtc_date *d)
{
	if (vrtc_stopped(rtc)) {
		*d = rtc->held;
		return;
	}
	uint64_t elapsed = vrtc_ticks(rtc, now) / rtc->tsc_hz;
	int64_t secs = elapsed > (uint64_t)(MAX_SECS - rtc->base_secs) ? MAX_SECS :
		       rtc->base_secs + (int64_t)elapsed;
	int64_t days = floor_div(secs, SECS_PER_DAY);
	unsigned sod = (unsigned)(secs - days * SECS_PER_DAY);

	civil_from_days(days, d);
	d->hour = (uint8_t)(sod / 3600);
	d->min = (uint8_t)(sod / 60 % 60);
	d->sec = (uint8_t)(sod % 60);
	d->wday = weekday(days, rtc->wday_adj);
}

/* Run the clock from date d, `frac` ticks into its second. */
static void vrtc_start(struct vrtc *rtc, const struct vrtc_date *d, uint64_t now, uint64_t frac)
{
	int64_t days = date_days(d);

	rtc->base_secs = days * SECS_PER_DAY + d->hour * 3600 + d->min * 60 + d->sec;
	rtc->base_tsc = now - frac;
	rtc->wday_adj = (uint8_t)((d->wday - weekday(days, 0) + 7) % 7);
}

int64_t vrtc_epoch_of(const struct vrtc_date *d)
{
	if (d->year < 1970 || d->year > 9999 || d->mon < 1 || d->mon > 12 || d->mday < 1 ||
	    d->mday > calendar_days_in_month(d->year, d->mon) || d->hour > 23 || d->min > 59 || d->sec > 59)
		return -1;
	return days_from_civil(d->year, d->mon, d->mday) * 86400 + d->hour * 3600 + d->min * 60 + d->sec;
}

void vrtc_init(struct vrtc *rtc, uint64_t epoch_secs, uint64_t now_tsc, uint64_t tsc_hz)
{
	*rtc = (struct vrtc){
		.base_secs = epoch_secs > MAX_SECS ? MAX_SECS : (int64_t)epoch_secs,
		.base_tsc = now_tsc,
		.tsc_hz = tsc_hz ? tsc_hz : 1,
	};
	rtc->cmos[REG_A] = 0x26;    /* 32.768 kHz time base, 1024 Hz rate */
	rtc->cmos[REG_B] = B_24H;
}

static uint8_t vrtc_enc(const struct vrtc *rtc, unsigned v)
{
	if (rtc->cmos[REG_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned vrtc_dec(const struct vrtc *rtc, uint8_t v)
{
	if (rtc->cmos[REG_B] & B_BINARY)
		return v;
	return (v >> 4) * 10u + (v & 0xf);
}

static uint8_t clamp(unsigned v, unsigned lo, unsigned hi)
{
	return (uint8_t)(v < lo ? lo : v > hi ? hi : v);
}

static uint8_t vrtc_hour_enc(const struct vrtc *rtc, unsigned h)
{
	if (rtc->cmos[REG_B] & B_24H)
		return vrtc_enc(rtc, h);
	return vrtc_enc(rtc, h % 12 ? h % 12 : 12) | (h >= 12 ? HOUR_PM : 0);
}

static uint8_t vrtc_hour_dec(const struct vrtc *rtc, uint8_t v)
{
	if (rtc->cmos[REG_B] & B_24H)
		return clamp(vrtc_dec(rtc, v), 0, 23);
	return (uint8_t)(clamp(vrtc_dec(rtc, v & ~HOUR_PM), 1, 12) % 12 + (v & HOUR_PM ? 12 : 0));
}

static bool vrtc_is_time(uint8_t reg)
{
	return reg == REG_SEC || reg == REG_MIN || reg == REG_HOUR || reg == REG_CENTURY ||
	       (reg >= REG_WDAY && reg <= REG_YEAR);
}

static uint8_t vrtc_time_get(const struct vrtc *rtc, const struct vrtc_date *d, uint8_t reg)
{
	switch (reg) {
	case REG_SEC:  return vrtc_enc(rtc, d->sec);
	case REG_MIN:  return vrtc_enc(rtc, d->min);
	case REG_HOUR: return vrtc_hour_enc(rtc, d->hour);
	case REG_WDAY: return vrtc_enc(rtc, d->wday);
	case REG_MDAY: return vrtc_enc(rtc, d->mday);
	case REG_MON:  return vrtc_enc(rtc, d->mon);
	case REG_YEAR: return vrtc_enc(rtc, (unsigned)(d->year % 100));
	default:       return vrtc_enc(rtc, (unsigned)(d->year / 100 % 100));
	}
}

static void vrtc_time_set(const struct vrtc *rtc, struct vrtc_date *d, uint8_t reg, uint8_t v)
{
	unsigned n = vrtc_dec(rtc, v);

	switch (reg) {
	case REG_SEC:  d->sec = clamp(n, 0, 59); break;
	case REG_MIN:  d->min = clamp(n, 0, 59); break;
	case REG_HOUR: d->hour = vrtc_hour_dec(rtc, v); break;
	case REG_WDAY: d->wday = clamp(n, 1, 7); break;
	case REG_MDAY: d->mday = clamp(n, 1, 31); break;
	case REG_MON:  d->mon = clamp(n, 1, 12); break;
	case REG_YEAR: d->year = d->year / 100 * 100 + clamp(n, 0, 99); break;
	default:       d->year = clamp(n, 0, 99) * 100 + d->year % 100; break;
	}
}

static uint8_t vrtc_data_read(const struct vrtc *rtc, uint64_t now)
{
	uint8_t reg = rtc->index;

	if (vrtc_is_time(reg)) {
		struct vrtc_date d;

		vrtc_date_now(rtc, now, &d);
		return vrtc_time_get(rtc, &d, reg);
	}
	switch (reg) {
	case REG_A: {
		uint64_t frac = vrtc_ticks(rtc, now) % rtc->tsc_hz;
		bool uip = !vrtc_stopped(rtc) && frac >= rtc->tsc_hz - rtc->tsc_hz / 4096;

		return rtc->cmos[REG_A] | (uip ? A_UIP : 0);
	}
	case REG_C:
		return 0;
	case REG_D:
		return D_VRT;
	}
	return rtc->cmos[reg];
}

static void vrtc_b_write(struct vrtc *rtc, uint8_t v, uint64_t now)
{
	bool was = vrtc_stopped(rtc);

	if (v & B_SET) {
		if (!was)
			vrtc_date_now(rtc, now, &rtc->held);
		v &= ~B_UIE;            /* datasheet: SET clears UIE */
	}
	rtc->cmos[REG_B] = v;
	if (was && !(v & B_SET))
		vrtc_start(rtc, &rtc->held, now, 0);
}

static void vrtc_data_write(struct vrtc *rtc, uint8_t v, uint64_t now)
{
	uint8_t reg = rtc->index;

	if (vrtc_is_time(reg)) {
		if (vrtc_stopped(rtc)) {
			vrtc_time_set(rtc, &rtc->held, reg, v);
			return;
		}
		struct vrtc_date d;

		vrtc_date_now(rtc, now, &d);
		vrtc_time_set(rtc, &d, reg, v);
		vrtc_start(rtc, &d, now, vrtc_ticks(rtc, now) % rtc->tsc_hz);
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		vrtc_b_write(rtc, v, now);
		break;
	default:                        /* C and D are read-only: their bytes are never read */
		rtc->cmos[reg] = v;
	}
}

uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now_tsc)
{
	if (port != VRTC_PORT_DATA)
		return 0xff;            /* the index register is write-only */
	return vrtc_data_read(rtc, now_tsc);
}

void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t val, uint64_t now_tsc)
{
	if (port == VRTC_PORT_INDEX) {
		rtc->index = val & 0x7f;
		rtc->nmi_disabled = val & 0x80;
	} else if (port == VRTC_PORT_DATA) {
		vrtc_data_write(rtc, val, now_tsc);
	}
}
