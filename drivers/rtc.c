/*
 * CMOS RTC reading (drivers/rtc.h).  MC146818A datasheet: registers 0x00,
 * 0x02, 0x04, 0x07-0x09 hold the time; status A bit 7 (UIP) is set for the
 * last 244 us before an update, so a reading started with UIP clear is
 * consistent; two equal readings in a row settle it anyway.
 */
#include <stddef.h>
#include "calendar.h"
#include "rtc.h"

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define CMOS_NMI_OFF    0x80            /* keep NMIs masked while the index is set */
#define REG_A           0x0a
#define REG_B           0x0b
#define A_UIP           0x80
#define B_24H           0x02
#define B_BINARY        0x04
#define HOUR_PM         0x80
#define UIP_SPINS       100000          /* far more than 244 us of port reads */
#define TRIES           5

static int from_bcd(uint8_t v, bool binary)
{
	if (binary)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

bool rtc_decode(const uint8_t r[RTC_NREGS], struct rtc_time *t)
{
	bool bin = r[RTC_R_B] & B_BINARY, h24 = r[RTC_R_B] & B_24H;
	int sec = from_bcd(r[RTC_R_SEC], bin), min = from_bcd(r[RTC_R_MIN], bin);
	int hour = from_bcd(r[RTC_R_HOUR] & (h24 ? 0xff : 0x7f), bin);
	int mday = from_bcd(r[RTC_R_MDAY], bin), mon = from_bcd(r[RTC_R_MON], bin);
	int yy = from_bcd(r[RTC_R_YEAR], bin), cc = from_bcd(r[RTC_R_CENTURY], bin);
	unsigned year;

	if (sec < 0 || sec > 59 || min < 0 || min > 59 || yy < 0 || yy > 99 ||
	    mon < 1 || mon > 12 || mday < 1)
		return false;
	if (h24) {
		if (hour < 0 || hour > 23)
			return false;
	} else {
		if (hour < 1 || hour > 12)
			return false;
		hour = hour % 12 + (r[RTC_R_HOUR] & HOUR_PM ? 12 : 0);
	}
	year = cc >= 19 && cc <= 99 ? (unsigned)(cc * 100 + yy) : (unsigned)(yy < 70 ? 2000 + yy : 1900 + yy);
	if ((unsigned)mday > calendar_days_in_month(year, (unsigned)mon))
		return false;
	*t = (struct rtc_time){ .year = (uint16_t)year, .mon = (uint8_t)mon, .mday = (uint8_t)mday,
				.hour = (uint8_t)hour, .min = (uint8_t)min, .sec = (uint8_t)sec };
	return true;
}

#ifndef PLINTH_HOST_TEST
#include <arch/cpu.h>
#include "spinlock.h"

static spinlock_t rtc_lock;             /* the index port is shared state */

static const uint8_t reg_index[RTC_NREGS] = {
	[RTC_R_SEC] = 0x00, [RTC_R_MIN] = 0x02, [RTC_R_HOUR] = 0x04, [RTC_R_MDAY] = 0x07,
	[RTC_R_MON] = 0x08, [RTC_R_YEAR] = 0x09, [RTC_R_CENTURY] = 0x32, [RTC_R_B] = REG_B,
};

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
	return inb(CMOS_DATA);
}

static bool rtc_snapshot(uint8_t r[RTC_NREGS])
{
	unsigned spins = 0;

	while (cmos_read(REG_A) & A_UIP)
		if (++spins == UIP_SPINS)
			return false;
	for (size_t i = 0; i < RTC_NREGS; i++)
		r[i] = cmos_read(reg_index[i]);
	return true;
}

static bool rtc_read_locked(struct rtc_time *t)
{
	uint8_t a[RTC_NREGS], b[RTC_NREGS];

	if (!rtc_snapshot(a))
		return false;
	for (int i = 0; i < TRIES; i++) {
		if (!rtc_snapshot(b))
			return false;
		if (__builtin_memcmp(a, b, sizeof(a)) == 0)
			return rtc_decode(b, t);
		__builtin_memcpy(a, b, sizeof(a));
	}
	return false;
}

bool rtc_read(struct rtc_time *t)
{
	uint64_t f = spin_lock_irqsave(&rtc_lock);
	bool ok = rtc_read_locked(t);

	spin_unlock_irqrestore(&rtc_lock, f);
	return ok;
}
#endif
