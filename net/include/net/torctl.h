/*
 * torctl.h - the tor (and anon) control protocol as a pure engine: a reply
 * reader fed with received bytes in any split, command builders that write
 * into a caller buffer, and parsers for the few replies and events ilpd
 * uses (PROTOCOLINFO, GETINFO status/bootstrap-phase, ADD_ONION, HS_DESC).
 * It never touches a socket, a file or the clock (see control-spec.txt,
 * sections 2 "Message format", 3 "Commands" and 4.1 "Asynchronous events").
 *
 * Memory: struct torctl_reader is TORCTL_LINE_MAX + 24 bytes (about 1 KiB);
 * every other struct here is caller-owned and fixed in size (see each). No
 * heap. Thread/ISR: any thread, one context per caller.
 *
 * Trust: every byte from the control port is untrusted. The reader refuses
 * (ILP_ERR_INVALID, sticky: the caller closes the connection) a line longer
 * than TORCTL_LINE_MAX, a NUL byte, a status that is not three digits with
 * the first in 2..6, a separator other than ' ', '-' or '+', and a data
 * block ('+') larger than TORCTL_DATA_MAX. Parsers return ILP_ERR_INVALID
 * on anything malformed and never read outside the line.
 *
 * Secrets: the AUTHENTICATE builders copy the cookie (hex) or the password
 * into the caller's buffer; the caller must not log that buffer and should
 * clear it after sending. The same holds for the SAFECOOKIE hashes
 * (torctl_safecookie) and the buffers they are written from. Replies of ADD_ONION carry the private key: the
 * caller must not log reply lines.
 */
#ifndef NET_TORCTL_H
#define NET_TORCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ilp/ilp_err.h"

/* Longest reply line accepted, CRLF excluded. tor's own lines are far
 * shorter except GETINFO dumps ilpd never asks for. */
#ifndef TORCTL_LINE_MAX
#define TORCTL_LINE_MAX 1024
#endif

/* Most bytes of one '+' data block accepted (all its lines together). */
#ifndef TORCTL_DATA_MAX
#define TORCTL_DATA_MAX 65536
#endif

/* Sizes of parsed values (without the NUL). */
#define TORCTL_PATH_MAX 255          /* COOKIEFILE */
#define TORCTL_ID_MAX 56             /* a v3 onion ServiceID, no ".onion" */
#define TORCTL_KEY_MAX 127           /* "ED25519-V3:" + 88 base64 chars */
#define TORCTL_TAG_MAX 31            /* bootstrap TAG */
#define TORCTL_SUMMARY_MAX 127       /* bootstrap SUMMARY, unquoted */
#define TORCTL_COOKIE_LEN 32         /* tor's control_auth_cookie */

/* Largest command the builders write: AUTHENTICATE with a password of
 * TORCTL_PASSWORD_MAX bytes, each escaped as \ooo at worst. */
#define TORCTL_PASSWORD_MAX 255
#define TORCTL_CMD_MAX (16 + 4 * TORCTL_PASSWORD_MAX + 2)

/* ---- reply reader ------------------------------------------------------ */

enum torctl_line_kind {
	TORCTL_REPLY = 0,     /* "DDD<sep>text": a reply or event line */
	TORCTL_DATA,          /* one line of a '+' data block, dot-unstuffed */
	TORCTL_DATA_END       /* the "." that ends a data block (text empty) */
};

struct torctl_line {
	uint8_t kind;         /* enum torctl_line_kind */
	char sep;             /* TORCTL_REPLY: ' ' (last line), '-', '+' */
	int status;           /* 200..699; data lines carry their '+' line's */
	bool async;           /* status 6xx: an event, not a reply */
	bool last;            /* REPLY with sep ' ': the reply/event ends here */
	const char *text;     /* NUL-terminated, in the reader; valid until
			       * the next torctl_read() */
	size_t len;           /* strlen(text) */
};

enum torctl_reader_state {
	TORCTL_RD_LINE = 0,   /* expecting "DDD<sep>text" */
	TORCTL_RD_DATA,       /* inside a '+' data block */
	TORCTL_RD_FAILED      /* sticky: invalid input seen */
};

struct torctl_reader {
	uint8_t state;        /* enum torctl_reader_state */
	int data_status;      /* status of the '+' line of the data block */
	size_t data_bytes;    /* bytes of the current data block */
	size_t len;           /* bytes in line[] */
	char line[TORCTL_LINE_MAX + 2];
};

void torctl_reader_init(struct torctl_reader *r);

/* Consumes bytes from p[0..n) up to and including the next line end (LF;
 * a CR before it is dropped). Returns ILP_OK with *out filled when a line
 * is complete (*consumed bytes used: call again with the rest), or
 * ILP_ERR_NEED_MORE when all n bytes were buffered without completing a
 * line (*consumed == n), or ILP_ERR_INVALID (sticky; *consumed == n). */
int torctl_read(struct torctl_reader *r, const uint8_t *p, size_t n,
		size_t *consumed, struct torctl_line *out) ILP_CHECK_RESULT;

/* ---- command builders --------------------------------------------------
 * Each writes one command with its CRLF to out[0..cap) and its length to
 * *len; ILP_ERR_OVERFLOW if it does not fit, ILP_ERR_ARG if an argument
 * cannot be sent safely (CR, LF, NUL, or a space inside a token). */

int torctl_cmd_protocolinfo(char *out, size_t cap, size_t *len) ILP_CHECK_RESULT;
/* AUTHENTICATE <hex of the cookie bytes>. */
int torctl_cmd_auth_cookie(char *out, size_t cap, const uint8_t *cookie,
			   size_t n, size_t *len) ILP_CHECK_RESULT;
/* AUTHENTICATE "<password>" as a QuotedString: '"' and '\' get a
 * backslash, other bytes below 0x20 and 0x7f become \ooo (octal). At most
 * TORCTL_PASSWORD_MAX bytes. */
int torctl_cmd_auth_password(char *out, size_t cap, const char *password,
			     size_t *len) ILP_CHECK_RESULT;
int torctl_cmd_getinfo(char *out, size_t cap, const char *key,
		       size_t *len) ILP_CHECK_RESULT;
/* SETEVENTS <events>: events is a space-separated list ("HS_DESC"). */
int torctl_cmd_setevents(char *out, size_t cap, const char *events,
			 size_t *len) ILP_CHECK_RESULT;
/* ADD_ONION NEW:ED25519-V3 (key == NULL or "") or ADD_ONION <key> (the
 * "ED25519-V3:<base64>" ADD_ONION returned before), then
 * " Port=<vport>,<ip>:<port>" (IPv6 ip in brackets). */
int torctl_cmd_add_onion(char *out, size_t cap, const char *key,
			 uint16_t vport, const char *ip, uint16_t port,
			 size_t *len) ILP_CHECK_RESULT;
int torctl_cmd_del_onion(char *out, size_t cap, const char *id,
			 size_t *len) ILP_CHECK_RESULT;
/* SIGNAL <name> ("SHUTDOWN", "HUP", ...). */
int torctl_cmd_signal(char *out, size_t cap, const char *name,
		      size_t *len) ILP_CHECK_RESULT;
int torctl_cmd_takeownership(char *out, size_t cap, size_t *len) ILP_CHECK_RESULT;

/* ---- SAFECOOKIE (control-spec 3.24 AUTHCHALLENGE) ------------------------
 * The cookie never leaves ilpd: the client sends a random nonce, tor
 * proves it knows the cookie (SERVERHASH), and only then the client proves
 * it too, with a hash that cannot be replayed elsewhere. */

#define TORCTL_NONCE_LEN 32          /* client and server nonces */
#define TORCTL_HASH_LEN 32           /* HMAC-SHA256 */

/* AUTHCHALLENGE SAFECOOKIE <64 hex digits of the client nonce>. */
int torctl_cmd_authchallenge(char *out, size_t cap,
			     const uint8_t nonce[TORCTL_NONCE_LEN],
			     size_t *len) ILP_CHECK_RESULT;

struct torctl_challenge {             /* 64 bytes */
	uint8_t server_hash[TORCTL_HASH_LEN];
	uint8_t server_nonce[TORCTL_NONCE_LEN];
};

/* Parses the text of the 250 reply to AUTHCHALLENGE: "AUTHCHALLENGE
 * SERVERHASH=<64 hex> SERVERNONCE=<64 hex>" (either case; other NAME=VALUE
 * words ignored). INVALID if the verb differs, a value is missing, quoted,
 * repeated, not hex or not exactly 64 digits; *c is zeroed then. */
int torctl_parse_authchallenge(const char *text, size_t n,
			       struct torctl_challenge *c) ILP_CHECK_RESULT;

/* The two HMAC-SHA256 values of SAFECOOKIE over cookie | client_nonce |
 * server_nonce: server_hash (key "Tor safe cookie authentication
 * server-to-controller hash": what tor must send as SERVERHASH; compare
 * with hal_memeq_ct) and client_hash (key "... controller-to-server hash":
 * what AUTHENTICATE sends, via torctl_cmd_auth_cookie). Pure; uses
 * hal_hmac_sha256; wipes its stack copy of the inputs. */
void torctl_safecookie(const uint8_t cookie[TORCTL_COOKIE_LEN],
		       const uint8_t client_nonce[TORCTL_NONCE_LEN],
		       const uint8_t server_nonce[TORCTL_NONCE_LEN],
		       uint8_t server_hash[TORCTL_HASH_LEN],
		       uint8_t client_hash[TORCTL_HASH_LEN]);

/* ---- parsers -------------------------------------------------------------
 * They take the text of one TORCTL_REPLY line (without status and
 * separator). */

/* Reads a QuotedString at s[0..n) (s[0] must be '"'): C-style escapes
 * \\ \" \' \n \r \t and \ooo (octal) are decoded into out (cap bytes with
 * the NUL). *used = bytes of s taken, both quotes included. A NUL byte
 * (decoded), an unknown escape or a missing closing quote is INVALID; a
 * value longer than cap - 1 is OVERFLOW. */
int torctl_unquote(const char *s, size_t n, char *out, size_t cap,
		   size_t *used) ILP_CHECK_RESULT;

#define TORCTL_AUTH_NULL 0x1u
#define TORCTL_AUTH_HASHEDPASSWORD 0x2u
#define TORCTL_AUTH_COOKIE 0x4u
#define TORCTL_AUTH_SAFECOOKIE 0x8u

struct torctl_protocolinfo {          /* 264 bytes */
	unsigned methods;             /* TORCTL_AUTH_* (unknown ones ignored) */
	bool have_auth;               /* an "AUTH METHODS=" line was seen */
	char cookie_file[TORCTL_PATH_MAX + 1];  /* "" if not given */
};

void torctl_protocolinfo_init(struct torctl_protocolinfo *pi);
/* Feeds one line of a PROTOCOLINFO reply ("PROTOCOLINFO 1",
 * "AUTH METHODS=... [COOKIEFILE="..."]", "VERSION Tor=...", "OK"). Lines
 * of other kinds are ignored (the spec allows new ones). */
int torctl_parse_protocolinfo(struct torctl_protocolinfo *pi,
			      const char *text, size_t n) ILP_CHECK_RESULT;

struct torctl_bootstrap {
	int progress;                 /* 0..100 */
	char tag[TORCTL_TAG_MAX + 1];
	char summary[TORCTL_SUMMARY_MAX + 1];
};

/* Parses "status/bootstrap-phase=<SEV> BOOTSTRAP PROGRESS=N TAG=T
 * SUMMARY="..." ..." (the GETINFO line) or "STATUS_CLIENT <SEV> BOOTSTRAP
 * ..." (the event). PROGRESS is required (0..100); TAG and SUMMARY are
 * optional (left "" if absent; cut if too long). */
int torctl_parse_bootstrap(const char *text, size_t n,
			   struct torctl_bootstrap *b) ILP_CHECK_RESULT;

struct torctl_onion {
	char id[TORCTL_ID_MAX + 1];   /* ServiceID, "" until seen */
	char key[TORCTL_KEY_MAX + 1]; /* "ED25519-V3:<base64>" or "" */
};

void torctl_onion_init(struct torctl_onion *o);
/* Feeds one line of an ADD_ONION reply: "ServiceID=<id>" (base32,
 * 16..56 characters), "PrivateKey=<type>:<base64>", "ClientAuth..." and
 * "OK" (ignored). */
int torctl_parse_add_onion(struct torctl_onion *o, const char *text,
			   size_t n) ILP_CHECK_RESULT;

enum torctl_hs_action {
	TORCTL_HS_OTHER = 0,          /* REQUESTED, RECEIVED, CREATED, ... */
	TORCTL_HS_UPLOAD,
	TORCTL_HS_UPLOADED,
	TORCTL_HS_FAILED
};

struct torctl_hs_desc {
	uint8_t action;               /* enum torctl_hs_action */
	char address[TORCTL_ID_MAX + 1]; /* onion id without suffix */
};

/* Parses the text of a 650 event line "HS_DESC <Action> <HSAddress> ...".
 * ILP_ERR_NOT_FOUND if the event is not HS_DESC; INVALID if malformed. */
int torctl_parse_hs_desc(const char *text, size_t n,
			 struct torctl_hs_desc *ev) ILP_CHECK_RESULT;

/* True if s[0..n) is a plausible onion id: 16..56 characters a-z, 2-7. */
bool torctl_id_valid(const char *s, size_t n);
/* True if s is "<TYPE>:<base64>" with TYPE in A-Z0-9- and fits
 * TORCTL_KEY_MAX. */
bool torctl_key_valid(const char *s, size_t n);

#endif /* NET_TORCTL_H */
