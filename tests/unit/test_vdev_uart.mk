UNIT_TESTS += test_vdev_uart
test_vdev_uart_SRCS := arch/x86_64/vdev/uart16550.c
