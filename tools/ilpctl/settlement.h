/*
 * settlement.h - `ilpctl settlement URL [PEER]` (settlement.c): each peer's
 * balance and settlement state from ilpd's GET /health.
 */
#ifndef ILPCTL_SETTLEMENT_H
#define ILPCTL_SETTLEMENT_H

int ilpctl_settlement_main(int argc, char **argv);

#endif /* ILPCTL_SETTLEMENT_H */
