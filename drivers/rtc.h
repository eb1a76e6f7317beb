/*
 * The machine's CMOS RTC (MC146818A-compatible, ports 0x70/0x71), read
 * once at boot: guests' RTCs start from it (arch/x86_64/pc/).  plinth
 * never writes it.  The time is taken as the firmware keeps it, which on
 * PCs and in QEMU is UTC.
 */
#ifndef DRIVERS_RTC_H
#define DRIVERS_RTC_H

#include <stdbool.h>
#include <stdint.h>

struct rtc_time {
	uint16_t year;                  /* e.g. 2026 */
	uint8_t mon, mday;              /* 1-12, 1-31 */
	uint8_t hour, min, sec;         /* 24-hour */
};

/* CMOS registers a reading needs, in this order (rtc_decode's input). */
enum { RTC_R_SEC, RTC_R_MIN, RTC_R_HOUR, RTC_R_MDAY, RTC_R_MON, RTC_R_YEAR,
       RTC_R_CENTURY, RTC_R_B, RTC_NREGS };

/*
 * Decode raw registers: BCD or binary and 12- or 24-hour as status B says;
 * the century from its register (0x32) when that holds 19-99, else years
 * below 70 are 20xx.  False for a value out of range (an RTC that is not
 * there reads all ones).
 */
bool rtc_decode(const uint8_t r[RTC_NREGS], struct rtc_time *t);

/* Read the RTC now (between updates); false if it is absent or inconsistent. */
bool rtc_read(struct rtc_time *t);

#endif
