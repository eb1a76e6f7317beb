/* HPET: the main counter, used as the reference clock for calibration. */
#ifndef PLINTH_HPET_H
#define PLINTH_HPET_H

#include <stdint.h>
#include <stdbool.h>

int hpet_init(uint64_t phys);          /* 0, or -1 if absent or unusable */
bool hpet_present(void);
uint64_t hpet_counter(void);
uint64_t hpet_hz(void);

#endif
