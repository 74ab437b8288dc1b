/*
 * ilp_err.h - result codes shared by every ilp/ module.
 *
 * Functions that can fail return int: ILP_OK (0) or one of the negative codes
 * below. Decoders never return anything else, so "need more bytes" and "these
 * bytes are garbage" are never confused. Memory: no objects.
 */
#ifndef ILP_ERR_H
#define ILP_ERR_H

enum ilp_result {
	ILP_OK = 0,
	ILP_ERR_NEED_MORE = -1,   /* input ends before the item does; feed more */
	ILP_ERR_INVALID = -2,     /* input can never become valid */
	ILP_ERR_OVERFLOW = -3,    /* output would exceed the caller's capacity */
	ILP_ERR_UNSUPPORTED = -4, /* well-formed envelope of an unknown type */
	ILP_ERR_FULL = -5,        /* a fixed table has no free slot */
	ILP_ERR_NOT_FOUND = -6,   /* no such entry */
	ILP_ERR_RANGE = -7,       /* arithmetic would overflow or leave a limit */
	ILP_ERR_ARG = -8          /* API misuse by the caller (our bug, not input) */
};

/* Results a caller must look at. */
#if defined(__GNUC__) || defined(__clang__)
#define ILP_CHECK_RESULT __attribute__((warn_unused_result))
#else
#define ILP_CHECK_RESULT
#endif

/* Returns a static, human-readable name for an ilp_result ("need more", ...). */
const char *ilp_result_str(int r);

#endif /* ILP_ERR_H */
