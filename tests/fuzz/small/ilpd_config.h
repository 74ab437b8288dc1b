/* Board options for fuzz_switch_small only: tables small enough that the
 * fuzzer fills them (pending table full -> T03, route table full) and a
 * switch step costs microseconds. Not a real board. */
#ifndef ILPD_CONFIG_H
#define ILPD_CONFIG_H
#define ILPD_BOARD_NAME "fuzz-small"
#define ILPD_MAX_PEERS 4
#define ILPD_MAX_ROUTES 4
#define ILPD_ROUTE_PREFIX_MAX 32
#define ILPD_MAX_PENDING 8
#define ILPD_ADDRESS_MAX 31
#endif
