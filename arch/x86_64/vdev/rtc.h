/*
 * A guest CMOS RTC (Motorola MC146818A datasheet) at ports 0x70 (index) and
 * 0x71 (data), with 128 bytes of CMOS.
 *
 * The clock is the caller's epoch (seconds since 1970-01-01 00:00:00; UTC
 * or local time, as the guest expects) plus the TSC time since vrtc_init.
 * Registers 0x00-0x09 and the century at 0x32 show it in BCD or binary and
 * in 12- or 24-hour form as status B says at the time of the read, so
 * changing B's format bits converts the registers, where the chip would
 * need the time set again.  The calendar is Gregorian (2100 is not a leap
 * year, unlike the chip's).  Day of week (1 = Sunday) counts on its own as
 * on the chip: a date written without it keeps the old day of week.
 *
 * Setting the time: with B.SET the clock stops, time registers take writes,
 * and clearing SET restarts the clock at the written time, at the start of a
 * second.  A time register written while the clock runs changes the time at
 * once and keeps the fraction of the second.  A value out of range is
 * clamped to its field's range, and a day past the month's end counts as
 * the month's last day once the clock runs from it.
 *
 * Status A's UIP bit is set for the last 244 us (8 cycles of 32.768 kHz)
 * before each second, and never while SET stops the clock; the divider and
 * rate bits are kept but change nothing.  Interrupts are not modelled: no
 * periodic, alarm or update-ended IRQ 8, status C reads 0, and the alarm
 * registers (0x01, 0x03, 0x05) are plain storage.  Status D reads 0x80
 * (valid RAM and time).  Bit 7 of the index write is the NMI mask of PCs;
 * it is kept in nmi_disabled and ignored for the index.
 *
 * No locking inside: the caller serialises all calls on one vrtc.
 */
#ifndef ARCH_VDEV_RTC_H
#define ARCH_VDEV_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define VRTC_PORT_INDEX 0x70
#define VRTC_PORT_DATA  0x71
#define VRTC_CMOS_SIZE  128

struct vrtc_date {
	int64_t year;               /* 0-9999 */
	uint8_t mon, mday;          /* 1-12, 1-31 */
	uint8_t hour, min, sec;     /* 24-hour */
	uint8_t wday;               /* 1-7, 1 = Sunday */
};

struct vrtc {
	uint8_t cmos[VRTC_CMOS_SIZE];   /* alarms, status A and B, and the plain RAM */
	uint8_t index;
	bool nmi_disabled;
	int64_t base_secs;          /* the time at base_tsc */
	uint64_t base_tsc;
	uint64_t tsc_hz;
	uint8_t wday_adj;           /* days (0-6) added to the weekday of the date */
	struct vrtc_date held;      /* the time registers while SET stops the clock */
};

/* Reset state (A = 0x26, B = 0x02: BCD, 24-hour) showing epoch_secs at now_tsc. */
void vrtc_init(struct vrtc *rtc, uint64_t epoch_secs, uint64_t now_tsc, uint64_t tsc_hz);

/* Seconds since the epoch of a date (wday ignored), or -1 outside 1970..9999 or invalid. */
int64_t vrtc_epoch_of(const struct vrtc_date *d);

/* Guest IN/OUT at port 0x70 or 0x71 (others, and reads of 0x70, give 0xff). */
uint8_t vrtc_read(struct vrtc *rtc, uint16_t port, uint64_t now_tsc);
void vrtc_write(struct vrtc *rtc, uint16_t port, uint8_t val, uint64_t now_tsc);

#endif
