/*
 * boot.c - the process's one connector: the static pools of pools.def and
 * the start / step / reload / finish sequence shared by main.c (the ilpd
 * daemon) and embed.c (libilpd.a); see boot.h.
 */
#include "boot.h"

#include <string.h>

#include "config.h"
#include "daemon.h"
#include "durable.h"
#include "hal/hal_log.h"
#include "hal/hal_net.h"
#include "pools.h"

#define POOL(name, count, type) static type pool_##name[count];
#include "pools.def"

/* The configuration in use and the spare one; a reload swaps them. */
static struct ilpd_conf *boot_cur = &pool_conf[0];
static struct ilpd_conf *boot_spare = &pool_conf[1];
/* Why the last reload was refused (ilpd_daemon_reload's static reason). */
static const char *boot_reload_why = "";

struct ilpd_daemon *ilpd_boot_daemon(void)
{
	return &pool_daemon[0];
}

struct ilpd_conf *ilpd_boot_conf(void)
{
	return boot_cur;
}

struct ilpd_conf *ilpd_boot_spare_conf(void)
{
	return boot_spare;
}

static void boot_transport_changed(void *user)
{
	ilpd_daemon_transport_changed(user);
}

/* The network (lwIP builds bring up their own stack here). */
static int boot_net_up(const struct ilpd_conf *c)
{
	char why[256], q[300];

	if (hal_net_init(&c->netif, why, sizeof(why)) == HAL_NET_OK)
		return 0;
	hal_log(HAL_LOG_ERROR, "net.init_failed", "reason=%s",
		hal_log_quote(why, strlen(why), q, sizeof(q)));
	return -1;
}

/* The transport manager, once the BTP listener exists. */
static int boot_transport_up(struct ilpd_daemon *d, const struct ilpd_conf *c)
{
	char why[256], q[300];
	const char *ip = c->btp_listen.enabled ? c->btp_listen.host : "127.0.0.1";

	if (ilpd_transport_start(&pool_transport[0], &d->loop, &c->transport, ip,
				 c->btp_listen.port, boot_transport_changed, d, why,
				 sizeof(why)) == 0)
		return 0;
	hal_log(HAL_LOG_ERROR, "transport.start_failed", "reason=%s",
		hal_log_quote(why, strlen(why), q, sizeof(q)));
	return -1;
}

int ilpd_boot_start(const struct ilpd_conf *c, bool reset)
{
	struct ilpd_daemon *d = &pool_daemon[0];

	if (boot_net_up(c) != 0)
		return 3;
	d->dur.reset = reset;
	d->tp = &pool_transport[0];
	if (ilpd_daemon_start(d, c) != 0)
		return d->dur.state_error ? ILPD_EXIT_STATE : 3;
	if (boot_transport_up(d, c) != 0) {
		ilpd_transport_stop(&pool_transport[0]);
		return 3;
	}
	hal_log(HAL_LOG_INFO, "config.loaded", "source=%s", c->source);
	return 0;
}

void ilpd_boot_step(int max_wait_ms)
{
	ilpd_daemon_step(&pool_daemon[0], max_wait_ms);
	ilpd_transport_tick(&pool_transport[0]);
}

int ilpd_boot_reload(void)
{
	struct ilpd_daemon *d = &pool_daemon[0];
	struct ilpd_conf *was = boot_cur;
	const char *why = NULL;
	char q[ILPD_CONF_ERR_MAX + 64];

	boot_reload_why = "";
	if (ilpd_daemon_reload(d, boot_spare, &why) != 0) {
		boot_reload_why = why != NULL ? why : "refused";
		hal_log(HAL_LOG_ERROR, "config.reload_failed", "source=%s reason=%s",
			boot_spare->source, hal_log_quote(why, strlen(why), q, sizeof(q)));
		return -1;
	}
	/* Peers may have come and gone: the state follows by name. */
	ilpd_durable_peers_changed(d);
	/* The daemon runs on the spare now; the old one becomes the spare. */
	boot_cur = boot_spare;
	boot_spare = was;
	return 0;
}

const char *ilpd_boot_reload_why(void)
{
	return boot_reload_why;
}

void ilpd_boot_finish(void)
{
	struct ilpd_daemon *d = &pool_daemon[0];

	ilpd_transport_stop(&pool_transport[0]);
	ilpd_durable_stop(d);
	hal_log(HAL_LOG_INFO, "shutdown.done", "fulfilled=%llu",
		(unsigned long long)d->sw.stats.fulfilled);
}
