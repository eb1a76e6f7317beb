/* The Gregorian calendar, for the machine's RTC (drivers/rtc.c) and guests' (vdev/rtc.c). */
#ifndef CORE_CALENDAR_H
#define CORE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

static inline bool calendar_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days in month m (1-12) of year y. */
static inline unsigned calendar_days_in_month(int64_t y, unsigned m)
{
	static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mdays[m - 1] + (m == 2 && calendar_leap(y));
}

#endif
