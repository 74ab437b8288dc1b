/*
 * admin_send.c - POST /admin/ilp/send (the admin API, httpd.h): sends an
 * ILP Prepare from ilpd's own account (local.h) and answers with its
 * outcome.
 *
 * Request: a JSON object {destination, amount, data, expiresAt?,
 * executionCondition?}: destination an ILP address; amount a decimal
 * string (0..2^64-1, canonical digits); data base64 (at most 32767 bytes,
 * may be ""); expiresAt ISO-8601 UTC ("2026-12-07T12:00:00.000Z", the
 * milliseconds optional; default now + 30 s; must be in the future and at
 * most ADMIN_SEND_MAX_EXPIRY_MS ahead); executionCondition base64 of 32
 * bytes (default SHA-256(SHA-256(data)), the condition local delivery
 * fulfills). Any other key, a wrong type or value: 400 {"error", "key"}.
 *
 * Answer (200): {"accepted":true,"fulfillment":B64,"data":B64} or
 * {"accepted":false,"code","message","triggeredBy","data":B64}. 503 when
 * no send slot is free (ours or the local account's).
 *
 * Memory: struct ilpd_admin_send_mem (admin_send.h), one static object
 * the memory map lists as admin_send; no heap.
 */
#include <stdio.h>
#include <string.h>

#include "admin_send.h"
#include "daemon.h"
#include "httpd.h"
#include "local.h"
#include "hal/hal_crypto.h"
#include "hal/hal_time.h"
#include "ilp/ilp_packet.h"
#include "ilp/oer.h"
#include "net/base64.h"
#include "net/json.h"
#include "net/json_out.h"

#define ADMIN_SEND_DEFAULT_EXPIRY_MS 30000
#define ADMIN_SEND_MAX_EXPIRY_MS 300000
/* The answer may come this long after the Prepare's expiry (the switch
 * rejects it at the expiry; this covers the loop's lateness). */
#define ADMIN_SEND_MARGIN_MS 5000

static struct ilpd_admin_send_mem as_mem;

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" -> ms since the epoch. */
static int as_iso(const uint8_t *s, size_t n, int64_t *ms)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	struct oer_civil c;
	int f[7] = { 0 };
	size_t i;
	int k = 0;

	if (n != 20 && n != 24)
		return -1;
	if (s[n - 1] != 'Z')
		return -1;
	for (i = 0; i < 19; i++) {
		if (shape[i] == 'd') {
			if (s[i] < '0' || s[i] > '9')
				return -1;
		} else if (s[i] != (uint8_t)shape[i]) {
			return -1;
		}
	}
	if (n == 24) {
		if (s[19] != '.')
			return -1;
		for (i = 20; i < 23; i++) {
			if (s[i] < '0' || s[i] > '9')
				return -1;
			f[6] = f[6] * 10 + (s[i] - '0');
		}
	}
	{
		static const uint8_t at[6] = { 0, 5, 8, 11, 14, 17 };
		static const uint8_t len[6] = { 4, 2, 2, 2, 2, 2 };

		for (k = 0; k < 6; k++)
			for (i = 0; i < len[k]; i++)
				f[k] = f[k] * 10 + (s[at[k] + i] - '0');
	}
	c.year = f[0];
	c.month = f[1];
	c.day = f[2];
	c.hour = f[3];
	c.minute = f[4];
	c.second = f[5];
	c.millisecond = f[6];
	return oer_ms_from_civil(&c, ms) == ILP_OK ? 0 : -1;
}

/* Canonical decimal digits of a u64. */
static int as_amount(const uint8_t *s, size_t n, uint64_t *v)
{
	size_t i;

	*v = 0;
	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		uint64_t dgt;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		dgt = (uint64_t)(s[i] - '0');
		if (*v > (UINT64_MAX - dgt) / 10)
			return -1;
		*v = *v * 10 + dgt;
	}
	return 0;
}

/* Writes p[0..n) as a base64 JSON string value (no escaping needed). */
static bool as_b64_value(struct jout *w, const uint8_t *p, size_t n)
{
	size_t bl;

	jout_raw(w, "\"", 1);
	if (w->overflow || b64_encode(p, n, w->buf + w->len, w->cap - w->len, &bl) != ILP_OK) {
		w->overflow = true;
		return false;
	}
	w->len += bl;
	jout_raw(w, "\"", 1);
	return !w->overflow;
}

/* The answer for reply (a Fulfill or Reject) as JSON into out; its length,
 * or 0 if it did not fit. */
static size_t as_answer_json(const uint8_t *reply, size_t n, char *out, size_t cap)
{
	struct jout w;
	const char *why;
	int t = ilp_packet_type(reply, n);

	jout_init(&w, out, cap);
	jout_begin_object(&w);
	if (t == 13) {
		struct ilp_fulfill f;

		if (ilp_fulfill_decode(reply, n, &f, &why) != ILP_OK)
			return 0;
		jout_key(&w, "accepted");
		jout_raw(&w, "true", 4);
		jout_key(&w, "fulfillment");
		if (!as_b64_value(&w, f.fulfillment, ILP_FULFILLMENT_LEN))
			return 0;
		jout_key(&w, "data");
		if (!as_b64_value(&w, f.data, f.data_len))
			return 0;
	} else if (t == 14) {
		struct ilp_reject r;

		if (ilp_reject_decode(reply, n, &r, &why) != ILP_OK)
			return 0;
		jout_key(&w, "accepted");
		jout_raw(&w, "false", 5);
		jout_key(&w, "code");
		jout_utf8(&w, r.code, ILP_CODE_LEN);
		jout_key(&w, "message");
		jout_utf8(&w, r.message, r.message_len);
		jout_key(&w, "triggeredBy");
		jout_utf8(&w, r.triggered_by, r.triggered_by_len);
		jout_key(&w, "data");
		if (!as_b64_value(&w, r.data, r.data_len))
			return 0;
	} else {
		return 0;
	}
	jout_end_object(&w);
	jout_raw(&w, "\n", 1);
	return w.overflow ? 0 : w.len;
}

static void as_done(void *ctx, const uint8_t *reply, size_t n)
{
	struct ilpd_admin_send_slot *a = ctx;
	struct ilpd_http_resp *rs = a->rs;
	size_t len;

	if (rs != NULL) {
		/* answered before ilpd_local_send returned: a synchronous answer */
		len = as_answer_json(reply, n, rs->body, rs->cap);
		a->answered = true;
		if (len == 0) {
			(void)ilpd_http_error(rs, 502, "the answer does not fit this board's "
					      "response buffer", NULL);
			return;
		}
		rs->status = 200;
		rs->len = len;
		return;
	}
	len = as_answer_json(reply, n, as_mem.out, sizeof(as_mem.out));
	if (len == 0) {
		static const char e[] = "{\"error\":\"the answer does not fit this board's "
					"response buffer\",\"key\":null}\n";

		(void)ilpd_http_respond(a->d, a->token, 502, "application/json", e, sizeof(e) - 1);
	} else {
		(void)ilpd_http_respond(a->d, a->token, 200, "application/json", as_mem.out, len);
	}
	a->used = false;
}

/* The string member `key` of the top object: 1 present (*s, *n set), 0
 * absent, -1 present but not a string. */
static int as_str(const struct jdoc *doc, const char *key, const uint8_t **s, size_t *n)
{
	uint32_t i = json_member(doc, 0, key);
	const struct jnode *v;

	if (i == JSON_NONE)
		return 0;
	v = json_node(doc, i);
	if (v->type != JSON_STRING)
		return -1;
	*s = v->str;
	*n = v->len;
	return 1;
}

int ilpd_admin_send_route(struct ilpd_daemon *d, const struct ilpd_http_req *rq,
			  struct ilpd_http_resp *rs, uint32_t conn_token)
{
	static const char *const known[] = {
		"destination", "amount", "data", "expiresAt", "executionCondition", NULL
	};
	struct jdoc doc;
	struct ilp_prepare p;
	const struct jnode *top, *m;
	const uint8_t *s;
	uint8_t cond[ILP_CONDITION_LEN], h[HAL_SHA256_LEN];
	struct ilpd_admin_send_slot *a = NULL;
	int64_t now = hal_wall_ms();
	size_t n, plen, i;
	int r;

	if (rq->body_len == 0)
		return ilpd_http_error(rs, 400, "a JSON object is required", NULL);
	memcpy(as_mem.body, rq->body, rq->body_len);
	json_init(&doc, as_mem.nodes,
		  (uint32_t)(sizeof(as_mem.nodes) / sizeof(as_mem.nodes[0])), 2);
	if (json_parse(&doc, as_mem.body, rq->body_len) != 0)
		return ilpd_http_error(rs, 400, doc.err != NULL ? doc.err : "malformed JSON", NULL);
	top = json_node(&doc, 0);
	for (m = json_node(&doc, top->child); m != NULL; m = json_node(&doc, m->next)) {
		for (i = 0; known[i] != NULL; i++)
			if (m->key_len == strlen(known[i]) && memcmp(m->key, known[i], m->key_len) == 0)
				break;
		if (known[i] == NULL) {
			/* name the key, as /admin/peers does (bytes it cannot
			 * show as text become '?'; long names are cut) */
			static char kb[65];
			size_t k;

			for (k = 0; k < m->key_len && k < sizeof(kb) - 1; k++)
				kb[k] = m->key[k] >= 0x20 && m->key[k] < 0x7f ? (char)m->key[k] : '?';
			kb[k] = '\0';
			return ilpd_http_error(rs, 400, "unknown key", kb);
		}
	}
	memset(&p, 0, sizeof(p));
	/* destination */
	r = as_str(&doc, "destination", &s, &n);
	if (r <= 0)
		return ilpd_http_error(rs, 400, r == 0 ? "missing" : "must be a string",
				       "destination");
	if (n == 0 || n > ILP_ADDRESS_MAX_LEN)
		return ilpd_http_error(rs, 400, "not an ILP address", "destination");
	p.destination = s;
	p.destination_len = n;
	/* amount */
	r = as_str(&doc, "amount", &s, &n);
	if (r <= 0)
		return ilpd_http_error(rs, 400, r == 0 ? "missing" :
				       "must be a decimal string", "amount");
	if (as_amount(s, n, &p.amount) != 0)
		return ilpd_http_error(rs, 400, "must be a decimal string of an integer "
				       "0..18446744073709551615", "amount");
	/* data */
	r = as_str(&doc, "data", &s, &n);
	if (r < 0)
		return ilpd_http_error(rs, 400, "must be a base64 string", "data");
	if (r == 0)
		n = 0;
	if (n > 0 && b64_decode((const char *)s, n, as_mem.data, sizeof(as_mem.data),
				&p.data_len) != ILP_OK)
		return ilpd_http_error(rs, 400, "must be base64 of at most 32767 bytes", "data");
	p.data = as_mem.data;
	/* expiresAt */
	r = as_str(&doc, "expiresAt", &s, &n);
	if (r < 0)
		return ilpd_http_error(rs, 400, "must be an ISO-8601 string", "expiresAt");
	if (r == 0) {
		p.expires_at = now + ADMIN_SEND_DEFAULT_EXPIRY_MS;
	} else if (as_iso(s, n, &p.expires_at) != 0) {
		return ilpd_http_error(rs, 400, "must be YYYY-MM-DDTHH:MM:SS[.mmm]Z", "expiresAt");
	} else if (p.expires_at <= now || p.expires_at > now + ADMIN_SEND_MAX_EXPIRY_MS) {
		return ilpd_http_error(rs, 400, "must be in the future, at most 300 s ahead",
				       "expiresAt");
	}
	/* executionCondition */
	r = as_str(&doc, "executionCondition", &s, &n);
	if (r < 0)
		return ilpd_http_error(rs, 400, "must be a base64 string", "executionCondition");
	if (r == 1) {
		if (b64_decode((const char *)s, n, cond, sizeof(cond), &plen) != ILP_OK ||
		    plen != ILP_CONDITION_LEN)
			return ilpd_http_error(rs, 400, "must be base64 of 32 bytes",
					       "executionCondition");
	} else {
		hal_sha256(p.data, p.data_len, h);
		hal_sha256(h, sizeof(h), cond);
	}
	p.condition = cond;
	if (ilp_prepare_encode(&p, as_mem.pkt, sizeof(as_mem.pkt), &plen) != ILP_OK)
		return ilpd_http_error(rs, 400, "not an ILP address", "destination");
	for (i = 0; i < ADMIN_SEND_SLOTS; i++) {
		if (!as_mem.slot[i].used) {
			a = &as_mem.slot[i];
			break;
		}
	}
	if (a == NULL)
		return ilpd_http_error(rs, 503, "too many sends in flight", NULL);
	if (ilpd_local_enable(d) != 0)
		return ilpd_http_error(rs, 503, "the local account has no peer slot", NULL);
	a->d = d;
	a->used = true;
	a->token = conn_token;
	a->rs = rs;
	a->answered = false;
	r = ilpd_local_send(d, as_mem.pkt, plen, as_done, a);
	a->rs = NULL;
	if (r != 0) {
		a->used = false;
		return ilpd_http_error(rs, 503, r == ILP_ERR_FULL ? "no free send slot" :
				       "the local account cannot send", NULL);
	}
	if (a->answered) {
		a->used = false;
		return ILPD_HTTP_DONE;
	}
	rs->async_deadline_ms = ev_now(&d->loop) + (p.expires_at - now) + ADMIN_SEND_MARGIN_MS;
	return ILPD_HTTP_ASYNC;
}
