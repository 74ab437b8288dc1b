/*
 * tls_common.c - what both TLS backends share: the error names used in
 * logs, ilpctl's messages and the tests (docs/configuration.md lists them).
 */
#include "net/tls.h"

const char *tls_error_str(enum tls_error e)
{
	switch (e) {
	case TLS_OK: return "ok";
	case TLS_ERR_CLOSED: return "closed";
	case TLS_ERR_EXPIRED: return "certificate expired (or not yet valid)";
	case TLS_ERR_UNKNOWN_CA: return "unknown CA";
	case TLS_ERR_NAME_MISMATCH: return "name mismatch";
	case TLS_ERR_PIN_MISMATCH: return "pin mismatch";
	case TLS_ERR_BAD_CERT: return "bad or unsupported certificate";
	case TLS_ERR_HANDSHAKE: return "handshake failed";
	case TLS_ERR_PROTOCOL: return "TLS protocol error";
	case TLS_ERR_INTERNAL: return "internal error or out of memory";
	case TLS_ERR_TRUNCATED: return "peer closed the connection without close_notify (truncated)";
	}
	return "unknown TLS error";
}
