/*
 * routes.h - `ilpctl routes URL` (routes.c): ilpd's routing table from its
 * admin listener. Memory: see routes.c.
 */
#ifndef ILPCTL_ROUTES_H
#define ILPCTL_ROUTES_H

int ilpctl_routes_main(int argc, char **argv);

#endif /* ILPCTL_ROUTES_H */
