/*
 * ilp_err.c - names of the shared result codes.
 */
#include "ilp/ilp_err.h"

const char *ilp_result_str(int r)
{
	switch (r) {
	case ILP_OK:
		return "ok";
	case ILP_ERR_NEED_MORE:
		return "need more";
	case ILP_ERR_INVALID:
		return "invalid";
	case ILP_ERR_OVERFLOW:
		return "overflow";
	case ILP_ERR_UNSUPPORTED:
		return "unsupported";
	case ILP_ERR_FULL:
		return "full";
	case ILP_ERR_NOT_FOUND:
		return "not found";
	case ILP_ERR_RANGE:
		return "out of range";
	case ILP_ERR_ARG:
		return "bad argument";
	default:
		return "unknown result";
	}
}
