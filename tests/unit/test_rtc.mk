UNIT_TESTS += test_rtc
test_rtc_SRCS := drivers/rtc.c
