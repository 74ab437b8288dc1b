/*
 * durable.c - the daemon's side of the durable ledger (see durable.h).
 *
 * IMPLEMENTATION NOTES
 * - Times are hal_mono_ms(); the persist stats' last_sync_ms is the same
 *   clock (we pass it to every persist call).
 * - The sync mode's hold is process-wide (net/wsconn.h) and set once at
 *   start: every wsconn of the daemon is a peer connection. The admin
 *   endpoints write their answers directly: they are not peer traffic.
 * - A commit that fails is retried every DUR_RETRY_MS, not on every
 *   iteration (a dead disk must not turn the loop into a busy one), and
 *   logged at most every DUR_FAIL_LOG_MS with the count of the quiet ones.
 * - Messages name the state file (operator's configuration) and peers
 *   (ours), never tokens.
 * - Pipelined group commit (sync mode): a group is started (mark output,
 *   write, hal_store_sync_start) only at the end of an iteration with no
 *   sync in flight; its completion is found by du_complete(), called from
 *   the watcher on the store's sync_fd (the loop wakes when the worker is
 *   done) and at the start of every ilpd_durable_flush() (a store without
 *   a descriptor is polled there). Completion releases the marked output
 *   (wsconn_release_marked) whatever the result; the next group starts at
 *   the end of that iteration. An iteration that ends with a sync in
 *   flight and no balance change since its group was written moves the
 *   mark forward (its output needs nothing but that group); once a change
 *   is made, the mark stays until the next group. While a sync is in
 *   flight the loop's wait is not shortened (no spinning): the watcher
 *   ends it.
 * - The local account's send callbacks (local.h "Durability") follow the
 *   output: ilpd_local_mark/release_marked/flush_all/hold next to the
 *   wsconn calls, ilpd_local_waiting next to wsconn_output_waiting.
 *   ilpd_durable_sync_now (its ring is full) runs a group to the end
 *   mid-iteration, as peers_changed waits for one.
 * - Release markers: du_complete() has persist write one (unsynced) after
 *   a successful completion and before wsconn_release_marked(), so a
 *   kill -9 recovers exactly the released groups (persist.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "durable.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon.h"
#include "hal/hal_log.h"
#include "hal/hal_time.h"
#include "net/ev.h"
#include "net/wsconn.h"

#define DUR_RETRY_MS 100
#define DUR_FAIL_LOG_MS 10000

/* ---- start-up ------------------------------------------------------------ */

/* Start-up refused: du->why on stderr and in the log. Returns -1. */
static int du_refuse(struct ilpd_durable *du)
{
	char q[sizeof(du->why) + 64];

	du->state_error = true;
	fprintf(stderr, "%s\n", du->why);
	hal_log(HAL_LOG_ERROR, "persist.refused", "reason=%s",
		hal_log_quote(du->why, strlen(du->why), q, sizeof(q)));
	return -1;
}

/* mkdir -p the directory of `file`, missing parts 0700; existing ones are
 * taken as they are. 0, or -1 with errno. */
static int du_mkdirs(const char *file)
{
	char dir[ILPD_CONF_PATH_MAX + 1];
	const char *slash = strrchr(file, '/');
	size_t n = slash != NULL ? (size_t)(slash - file) : 0, i;
	struct stat sb;

	if (n == 0 || n >= sizeof(dir))
		return 0;   /* "/file", or the parser's limits already held */
	memcpy(dir, file, n);
	dir[n] = '\0';
	for (i = 1; i <= n; i++) {
		if (dir[i] != '/' && dir[i] != '\0')
			continue;
		dir[i] = '\0';
		if (stat(dir, &sb) != 0) {
			if (errno != ENOENT || (mkdir(dir, 0700) != 0 && errno != EEXIST))
				return -1;
		} else if (!S_ISDIR(sb.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		if (i < n)
			dir[i] = '/';
	}
	return 0;
}

/* Opens the state file; 0 or -1 with du->why set. */
static int du_open(struct ilpd_durable *du, const char *path, bool create)
{
	int r;

	struct stat lsb;

	memset(&du->store, 0, sizeof(du->store));
	du->store.fd = -1;
	/* The store opens without following a link (O_NOFOLLOW): say why. */
	if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode)) {
		(void)snprintf(du->why, sizeof(du->why), "state: %s is a symbolic link; the "
			       "state file is opened without following links: give its real "
			       "path", path);
		return -1;
	}
	if (create && du_mkdirs(path) != 0) {
		(void)snprintf(du->why, sizeof(du->why), "state: cannot create the directory "
			       "of %s: %s", path, strerror(errno));
		return -1;
	}
	r = hal_store_open_posix(&du->store, path, JOURNAL_AREA_SIZE, create);
	switch (r) {
	case HAL_STORE_OK:
		du->store_open = true;
		return 0;
	case HAL_STORE_LOCKED:
		(void)snprintf(du->why, sizeof(du->why), "state: %s is in use by another ilpd",
			       path);
		break;
	case HAL_STORE_NOENT:
		(void)snprintf(du->why, sizeof(du->why), "state: %s does not exist", path);
		break;
	case HAL_STORE_SIZE:
		(void)snprintf(du->why, sizeof(du->why), "state: %s is not %u bytes, the size of "
			       "this ilpd's state area (another board or build?); run that "
			       "build, or use --reset-ledger to start over", path,
			       (unsigned)JOURNAL_AREA_SIZE);
		break;
	default:
		(void)snprintf(du->why, sizeof(du->why), "state: cannot open %s: %s", path,
			       du->store.why);
		break;
	}
	return -1;
}

/* persist.reset: what --reset-ledger discards (names and balances). */
static void du_log_reset(const struct ilpd_durable *du, bool readable)
{
	const struct journal_image *img = &du->p.img;
	char list[640], q[700];
	size_t len = 0, i;

	list[0] = '\0';
	for (i = 0; readable && i < ILPD_MAX_PEERS; i++) {
		int n;

		if (!img->peer[i].used)
			continue;
		n = snprintf(list + len, sizeof(list) - len, "%s%s:%lld", len > 0 ? " " : "",
			     img->peer[i].name, (long long)img->peer[i].balance);
		if (n < 0 || (size_t)n >= sizeof(list) - len) {
			list[len] = '\0';
			break;
		}
		len += (size_t)n;
	}
	if (readable)
		hal_log(HAL_LOG_WARN, "persist.reset", "file=%s generation=%llu discarded=%s "
			"note=\"--reset-ledger: every balance starts at 0\"", du->p.name,
			(unsigned long long)du->p.pos.gen, hal_log_quote(list, len, q, sizeof(q)));
	else
		hal_log(HAL_LOG_WARN, "persist.reset", "file=%s discarded=unreadable reason=%s "
			"note=\"--reset-ledger: every balance starts at 0\"", du->p.name,
			hal_log_quote(du->why, strlen(du->why), q, sizeof(q)));
}

static void du_sync_io(struct ev_loop *loop, int id, unsigned revents, void *arg);

int ilpd_durable_start(struct ilpd_daemon *d)
{
	struct ilpd_durable *du = &d->dur;
	const struct ilpd_ledger_conf *lc = &d->conf->ledger;
	bool recovered;
	unsigned peers = 0;
	size_t i;
	int r;

	if (du->store_open)   /* an earlier start in this process (tests) */
		hal_store_close(&du->store);
	du->mode = lc->durability;
	du->store_open = false;
	du->state_error = false;
	du->failed = false;
	du->window_end = 0;
	du->retry_at = 0;
	du->fail_logged = 0;
	du->fail_quiet = 0;
	du->sync_io = -1;
	du->why[0] = '\0';
	wsconn_hold_output(false);
	ilpd_local_hold(d, false);
	if (du->mode == ILPD_DUR_OFF) {
		struct stat sb;

		/* sync -> off -> sync would bring back stale balances: say so. */
		if (lc->state_file[0] != '\0' && stat(lc->state_file, &sb) == 0 &&
		    S_ISREG(sb.st_mode))
			hal_log(HAL_LOG_WARN, "persist.off_with_state", "file=%s note=\"durability = "
				"off: this state file is neither read nor updated, its balances go "
				"stale; a later start with sync or interval recovers them as they "
				"were (--reset-ledger starts over)\"", lc->state_file);
		return ilpd_persist_open(&du->p, NULL, ILPD_DUR_OFF, 0, du->why, sizeof(du->why));
	}
	if (du_open(du, lc->state_file, true) != 0)
		return du_refuse(du);
	r = ilpd_persist_open_named(&du->p, &du->store, lc->state_file,
				    (enum ilpd_durability)du->mode,
				    du->mode == ILPD_DUR_SYNC ? lc->commit_interval_ms
							      : lc->sync_interval_ms,
				    du->why, sizeof(du->why));
	if (r != 0 && !du->reset)
		return du_refuse(du);
	recovered = r == 0 && du->p.stats.recovered;
	if (du->reset)
		du_log_reset(du, r == 0);
	for (i = 0; i < ILPD_MAX_PEERS; i++)
		if (du->p.img.peer[i].used)
			peers++;
	if (ilpd_persist_load(&du->p, &d->sw, du->reset, hal_mono_ms(), du->why,
			      sizeof(du->why)) != 0)
		return du_refuse(du);
	if (recovered && !du->reset && du->p.rp.dropped_groups > 0)
		hal_log(HAL_LOG_WARN, "persist.unreleased_dropped", "file=%s groups=%u records=%u "
			"note=\"written in this boot after the last release marker: their output "
			"never left ilpd\"", lc->state_file, (unsigned)du->p.rp.dropped_groups,
			(unsigned)du->p.rp.dropped_records);
	if (recovered && !du->reset)
		hal_log(HAL_LOG_INFO, "persist.recovered", "file=%s mode=%s peers=%u "
			"generation=%llu records=%u", lc->state_file,
			ilpd_durability_name(du->mode), peers,
			(unsigned long long)du->p.pos.gen, (unsigned)du->p.rp.applied_records);
	else
		hal_log(HAL_LOG_INFO, "persist.created", "file=%s mode=%s bytes=%u",
			lc->state_file, ilpd_durability_name(du->mode),
			(unsigned)JOURNAL_AREA_SIZE);
	if (du->mode == ILPD_DUR_SYNC && du->store.sync_fd >= 0)
		du->sync_io = ev_io_add(&d->loop, du->store.sync_fd, HAL_POLL_IN, du_sync_io, d);
	wsconn_hold_output(du->mode == ILPD_DUR_SYNC);
	ilpd_local_hold(d, du->mode == ILPD_DUR_SYNC);   /* local.h "Durability" */
	return 0;
}

/* ---- the loop -------------------------------------------------------------- */

static void du_failed(struct ilpd_durable *du, int64_t now)
{
	char q[sizeof(du->store.why) + 8];

	du->failed = true;
	du->retry_at = now + DUR_RETRY_MS;
	if (du->fail_logged != 0 && now - du->fail_logged < DUR_FAIL_LOG_MS) {
		du->fail_quiet++;
		return;
	}
	hal_log(HAL_LOG_ERROR, "persist.failed", "file=%s reason=%s quiet=%llu "
		"note=\"new packets are rejected T00 until a sync succeeds\"", du->p.name,
		hal_log_quote(du->store.why, strlen(du->store.why), q, sizeof(q)),
		(unsigned long long)du->fail_quiet);
	du->fail_logged = now;
	du->fail_quiet = 0;
}

static void du_ok(struct ilpd_durable *du)
{
	if (du->failed)
		hal_log(HAL_LOG_WARN, "persist.resumed", "file=%s failures=%llu", du->p.name,
			(unsigned long long)du->p.stats.sync_failures);
	du->failed = false;
	du->fail_logged = 0;
}

static void du_commit(struct ilpd_daemon *d, int64_t now)
{
	struct ilpd_durable *du = &d->dur;

	if (ilpd_persist_commit(&du->p, &d->sw, now) != 0) {
		du_failed(du, now);
		return;
	}
	du_ok(du);
}

/* Sync mode: takes the in-flight group's result if it is there (or, with
 * wait, when it is) and releases the output marked when the group was
 * written - also after a failure (durable.h). */
static void du_complete(struct ilpd_daemon *d, bool wait)
{
	struct ilpd_durable *du = &d->dur;
	int64_t now;
	int r;

	if (!ilpd_persist_sync_pending(&du->p))
		return;
	now = hal_mono_ms();
	r = ilpd_persist_commit_finish(&du->p, &d->sw, now, wait);
	if (r == 1)
		return;
	if (r < 0) {
		du_failed(du, now);
	} else {
		du_ok(du);
		/* The marker goes before the output it speaks of: a kill between
		 * them recovers the group (>= what the peers saw), never less. */
		if (ilpd_persist_released(&du->p) != 0)
			du_failed(du, now);
	}
	wsconn_release_marked();
	ilpd_local_release_marked(d);   /* local sends' Fulfills, as the output */
}

static void du_sync_io(struct ev_loop *loop, int id, unsigned revents, void *arg)
{
	(void)loop;
	(void)id;
	(void)revents;
	du_complete(arg, false);
}

/* May a commit be tried now (not waiting out a failure's retry delay)? */
static bool du_may_commit(const struct ilpd_durable *du, int64_t now)
{
	return !du->failed || now >= du->retry_at;
}

static int du_bound(int wait, int64_t due, int64_t now)
{
	int64_t left = due > now ? due - now : 0;

	return wait < 0 || left < wait ? (int)left : wait;
}

int ilpd_durable_wait(struct ilpd_daemon *d, int wait)
{
	struct ilpd_durable *du = &d->dur;
	const struct ilpd_ledger_conf *lc = &d->conf->ledger;
	int64_t now;
	bool dirty;

	if (!du->store_open)
		return wait;
	now = hal_mono_ms();
	if (ilpd_persist_sync_pending(&du->p))   /* the watcher ends the wait */
		return du->sync_io >= 0 ? wait : du_bound(wait, now + 1, now);
	dirty = ilpd_persist_dirty(&du->p, &d->sw);
	if (du->mode == ILPD_DUR_INTERVAL) {
		int64_t due = du->p.stats.last_sync_ms + lc->sync_interval_ms;

		if (!dirty)
			return wait;
		if (du->failed && du->retry_at > due)
			due = du->retry_at;
		return du_bound(wait, due, now);
	}
	if (dirty && !du_may_commit(du, now))
		wait = du_bound(wait, du->retry_at, now);
	if (!wsconn_output_waiting() && !ilpd_local_waiting(d) &&
	    !(dirty && du_may_commit(du, now)))
		return wait;
	if (lc->commit_interval_ms > 0)
		return du_bound(wait, du->window_end != 0 ? du->window_end
							  : now + lc->commit_interval_ms, now);
	return 0;
}

void ilpd_durable_flush(struct ilpd_daemon *d)
{
	struct ilpd_durable *du = &d->dur;
	const struct ilpd_ledger_conf *lc = &d->conf->ledger;
	int64_t now;
	bool dirty;

	if (!du->store_open) {
		wsconn_flush_all();
		ilpd_local_flush_all(d);
		return;
	}
	now = hal_mono_ms();
	dirty = ilpd_persist_dirty(&du->p, &d->sw);
	if (du->mode == ILPD_DUR_INTERVAL) {
		if (dirty && now - du->p.stats.last_sync_ms >= lc->sync_interval_ms &&
		    du_may_commit(du, now))
			du_commit(d, now);
		wsconn_flush_all();
		ilpd_local_flush_all(d);
		return;
	}
	/* sync: the iteration's output is held until its changes are durable.
	 * A group in flight first: its completion releases what it covers;
	 * what came after a later change waits for the next group, which
	 * starts only then. */
	du_complete(d, false);
	dirty = ilpd_persist_dirty(&du->p, &d->sw);
	if (ilpd_persist_sync_pending(&du->p)) {
		/* No balance change since the group was written (changes only
		 * accumulate until the next write): what this iteration queued
		 * needs no more than the group in flight, so it goes with it. */
		if (!dirty) {
			wsconn_mark_output();
			ilpd_local_mark(d);
		}
		return;
	}
	if (lc->commit_interval_ms > 0 &&
	    (dirty || wsconn_output_waiting() || ilpd_local_waiting(d))) {
		if (du->window_end == 0)
			du->window_end = now + lc->commit_interval_ms;
		if (now < du->window_end)
			return;
	}
	du->window_end = 0;
	if (dirty && du_may_commit(du, now)) {
		int r;

		/* Everything queued so far goes when this group is durable. */
		wsconn_mark_output();
		ilpd_local_mark(d);
		r = ilpd_persist_commit_start(&du->p, &d->sw, now);
		if (r == 1)
			return;
		if (r < 0)
			du_failed(du, now);
		else
			du_ok(du);
	}
	/* Nothing left to make durable (or a snapshot just was, or the commit
	 * failed: released all the same, see durable.h): everything goes. */
	wsconn_flush_all();
	ilpd_local_flush_all(d);
}

void ilpd_durable_sync_now(struct ilpd_daemon *d)
{
	struct ilpd_durable *du = &d->dur;
	int64_t now;
	int r;

	if (!du->store_open || du->mode != ILPD_DUR_SYNC)
		return;
	du_complete(d, true);   /* the group in flight: its output goes */
	now = hal_mono_ms();
	du->window_end = 0;
	if (ilpd_persist_dirty(&du->p, &d->sw) && du_may_commit(du, now)) {
		wsconn_mark_output();
		ilpd_local_mark(d);
		r = ilpd_persist_commit_start(&du->p, &d->sw, now);
		if (r == 1) {
			du_complete(d, true);   /* releases what was marked */
			return;
		}
		if (r < 0)
			du_failed(du, now);
		else
			du_ok(du);
	}
	/* As ilpd_durable_flush with nothing left to write (or a failure). */
	wsconn_flush_all();
	ilpd_local_flush_all(d);
}

bool ilpd_durable_stalled(const struct ilpd_durable *du)
{
	return du->store_open && ilpd_persist_sync_pending(&du->p) &&
	       hal_mono_us() - du->p.pend_t0 > (int64_t)ILPD_DUR_STALL_MS * 1000;
}

void ilpd_durable_peers_changed(struct ilpd_daemon *d)
{
	struct ilpd_durable *du = &d->dur;
	int64_t now = hal_mono_ms();

	if (!du->store_open)
		return;
	du_complete(d, true);
	if (ilpd_persist_peers_changed(&du->p, &d->sw, now) != 0)
		du_failed(du, now);
}

void ilpd_durable_stop(struct ilpd_daemon *d)
{
	struct ilpd_durable *du = &d->dur;
	int64_t now = hal_mono_ms();

	if (!du->store_open)
		return;
	if (du->sync_io >= 0)
		ev_io_del(&d->loop, du->sync_io);
	du->sync_io = -1;
	du_complete(d, true);   /* a group in flight: its result, then the snapshot */
	if (ilpd_persist_close(&du->p, &d->sw, now) != 0) {
		du->fail_logged = 0;
		du_failed(du, now);
	} else {
		hal_log(HAL_LOG_INFO, "persist.closed", "file=%s generation=%llu syncs=%llu",
			du->p.name, (unsigned long long)du->p.pos.gen,
			(unsigned long long)du->p.stats.syncs);
	}
	hal_store_close(&du->store);
	du->store_open = false;
	wsconn_hold_output(false);
	wsconn_flush_all();
	ilpd_local_hold(d, false);   /* every held callback runs, once */
}

/* ---- --dump-state ---------------------------------------------------------- */

size_t ilpd_durable_dump(struct ilpd_durable *du, const struct ilpd_conf *c, char *out,
			 size_t cap)
{
	const char *path = c->ledger.state_file;
	size_t n;

	du->store_open = false;
	du->why[0] = '\0';
	if (du_open(du, path, false) != 0)
		return 0;
	if (ilpd_persist_open_named(&du->p, &du->store, path, ILPD_DUR_SYNC, 0, du->why,
				    sizeof(du->why)) != 0) {
		hal_store_close(&du->store);
		return 0;
	}
	n = ilpd_persist_dump_json(&du->p, out, cap > 0 ? cap - 1 : 0);
	hal_store_close(&du->store);
	du->store_open = false;
	if (n == 0) {
		(void)snprintf(du->why, sizeof(du->why), "state: %s: the balances do not fit "
			       "the output buffer", path);
		return 0;
	}
	if (n > 0 && out[n - 1] != '\n') {
		out[n++] = '\n';
		out[n] = '\0';
	}
	return n;
}
