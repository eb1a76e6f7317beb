UNIT_TESTS += test_frame
test_frame_SRCS := core/frame.c
