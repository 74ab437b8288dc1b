/*
 * tls_bearssl_int.h - what the BearSSL backend's files share
 * (tls_bearssl.c: configurations and connections; tls_bearssl_pin.c: the
 * SPKI pin checker). Not for other modules: the API is net/tls.h.
 */
#ifndef NET_TLS_BEARSSL_INT_H
#define NET_TLS_BEARSSL_INT_H

#include "net/tls.h"

/* The pin checker's class: a client with a pin sets
 * c->x509.pin.vtable to it (struct tls_br_pin, net/tls_bearssl.h). */
extern const br_x509_class tls_br_pin_vtable;

#endif /* NET_TLS_BEARSSL_INT_H */
