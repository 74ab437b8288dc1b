/*
 * btp.h - BTP 2.0 frames (RFC 23): Response, Error, Message, Transfer, their
 * protocol data, the auth entries and the `ilp` sub-protocol.
 *
 * Memory: struct btp_frame is about 120 bytes of pointers and lengths into
 * the caller's buffer (zero copy). Protocol data is validated once by the
 * decoder and then walked with btp_pd_next(), so no table of entries is
 * needed and there is no limit on their number other than the frame size.
 * No heap, no global state; reentrant.
 *
 * Decoding: btp_frame_decode() takes exactly one whole frame. An unknown type
 * (0, 3, 4, 5, 8..255) returns ILP_ERR_UNSUPPORTED with f->type and
 * f->request_id filled in, so the caller can answer with a BTP Error; every
 * other malformation is ILP_ERR_INVALID. Bytes after the last field inside
 * contents are ignored (RFC 30); bytes after the contents are invalid.
 * Protocol names must be printable ASCII. The Error's triggeredAt is kept
 * raw and never fails a frame (btp_error_triggered_at() parses it).
 */
#ifndef ILP_BTP_H
#define ILP_BTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

enum btp_type {
	BTP_RESPONSE = 1,
	BTP_ERROR = 2,
	BTP_MESSAGE = 6,
	BTP_TRANSFER = 7
};

enum btp_content_type {
	BTP_CT_OCTET_STREAM = 0,
	BTP_CT_TEXT_UTF8 = 1,
	BTP_CT_JSON = 2
};

#define BTP_CODE_LEN 3
#define BTP_ERROR_DATA_MAX 8192   /* RFC 23 ASN.1 bound on Error data */

/* One protocol data entry; pointers reference the frame. */
struct btp_pd_entry {
	const uint8_t *name;
	size_t name_len;
	uint8_t content_type;
	const uint8_t *data;
	size_t data_len;
};

/* A validated protocol data list: `count` entries encoded in [p, end). */
struct btp_pd {
	const uint8_t *p;
	const uint8_t *end;
	size_t count;
};

/* Iterator over a struct btp_pd; initialise with btp_pd_iter_init(). */
struct btp_pd_iter {
	const uint8_t *p;
	const uint8_t *end;
	size_t left;
};

struct btp_frame {
	uint8_t type;
	uint32_t request_id;
	/* BTP_TRANSFER */
	uint64_t amount;
	/* BTP_ERROR */
	const uint8_t *code;          /* BTP_CODE_LEN bytes */
	const uint8_t *name;
	size_t name_len;
	const uint8_t *triggered_at;  /* raw GeneralizedTime bytes */
	size_t triggered_at_len;
	const uint8_t *data;
	size_t data_len;
	/* all types */
	struct btp_pd pd;
};

/* Total size of the frame starting at p (type + id + length + contents):
 * ILP_ERR_NEED_MORE until all of it is present, ILP_ERR_INVALID on a
 * non-canonical length. */
int btp_frame_measure(const uint8_t *p, size_t avail, size_t *size) ILP_CHECK_RESULT;

int btp_frame_decode(const uint8_t *buf, size_t len, struct btp_frame *f,
		     const char **why) ILP_CHECK_RESULT;

void btp_pd_iter_init(struct btp_pd_iter *it, const struct btp_pd *pd);
/* Returns true and fills *e while entries remain. */
bool btp_pd_next(struct btp_pd_iter *it, struct btp_pd_entry *e);
/* Finds the first entry named `name` (NUL-terminated). */
bool btp_pd_find(const struct btp_pd *pd, const char *name, struct btp_pd_entry *e);
/* The first (primary) entry, if any. */
bool btp_pd_primary(const struct btp_pd *pd, struct btp_pd_entry *e);

/* Parses the Error's triggeredAt (0-3 fractional digits accepted). */
int btp_error_triggered_at(const struct btp_frame *f, int64_t *ms) ILP_CHECK_RESULT;

/* ---- encoding ---------------------------------------------------------- */

/* What to encode: same fields as struct btp_frame, with the protocol data
 * given as an array of entries instead of a validated list. */
struct btp_frame_out {
	uint8_t type;                 /* must be a known enum btp_type */
	uint32_t request_id;
	uint64_t amount;              /* BTP_TRANSFER */
	const uint8_t *code;          /* BTP_ERROR: BTP_CODE_LEN bytes */
	const uint8_t *name;
	size_t name_len;
	int64_t triggered_at;         /* BTP_ERROR: ms since epoch */
	const uint8_t *data;
	size_t data_len;
	const struct btp_pd_entry *entries;
	size_t entry_count;
};

/* Encodes one frame into buf (buf == NULL measures). ILP_ERR_INVALID for an
 * unknown type or an entry name that is not printable ASCII. */
int btp_frame_encode(const struct btp_frame_out *f, uint8_t *buf, size_t cap,
		     size_t *len) ILP_CHECK_RESULT;

/* ---- auth and the ilp sub-protocol ------------------------------------ */

#define BTP_PD_AUTH "auth"
#define BTP_PD_AUTH_TOKEN "auth_token"
#define BTP_PD_AUTH_USERNAME "auth_username"
#define BTP_PD_ILP "ilp"

/* An auth request as RFC 23 and ilp-plugin-btp define it. */
struct btp_auth {
	const uint8_t *token;
	size_t token_len;
	const uint8_t *username;   /* NULL if the entry is absent */
	size_t username_len;
};

/* True-and-filled if f is a Message whose primary entry is `auth` and which
 * carries an `auth_token` entry. ILP_ERR_INVALID otherwise, with *why. */
int btp_auth_parse(const struct btp_frame *f, struct btp_auth *a,
		   const char **why) ILP_CHECK_RESULT;

/* Encodes the auth Message ilp-plugin-btp sends: entries auth (empty),
 * auth_username (text, omitted when username is NULL), auth_token (text). */
int btp_auth_encode(uint32_t request_id, const uint8_t *username, size_t ulen,
		    const uint8_t *token, size_t tlen, uint8_t *buf, size_t cap,
		    size_t *len) ILP_CHECK_RESULT;

/* Encodes a Message (type BTP_MESSAGE) or Response (BTP_RESPONSE) carrying
 * one `ilp` entry (octet-stream) with the ILP packet. */
int btp_ilp_encode(uint8_t type, uint32_t request_id, const uint8_t *ilp,
		   size_t ilp_len, uint8_t *buf, size_t cap,
		   size_t *len) ILP_CHECK_RESULT;

/* Finds the `ilp` entry of a frame. */
bool btp_ilp_find(const struct btp_frame *f, const uint8_t **ilp, size_t *len);

/* Encodes a BTP Error frame: code (3 ASCII), name, triggeredAt, data, no
 * protocol data. */
int btp_error_encode(uint32_t request_id, const char code[BTP_CODE_LEN],
		     const char *name, int64_t triggered_at, const uint8_t *data,
		     size_t data_len, uint8_t *buf, size_t cap,
		     size_t *len) ILP_CHECK_RESULT;

#endif /* ILP_BTP_H */
