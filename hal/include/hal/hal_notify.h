/*
 * hal_notify.h - service-manager readiness notification: the sd_notify(3)
 * datagram protocol, implemented here without libsystemd.
 *
 * When the service manager sets NOTIFY_SOCKET (systemd, Type=notify),
 * hal_notify() sends one datagram of "KEY=VALUE" lines to it: READY=1 once
 * the listeners are up, RELOADING=1 / READY=1 around a reload, STOPPING=1
 * at a stop, STATUS=... for `systemctl status`. Without NOTIFY_SOCKET every
 * call is a no-op, so ilpd runs the same by hand, under a test or under
 * another init.
 *
 * Memory: one static copy of the socket address (struct sockaddr_un, 110
 * bytes); no heap. Each call opens, sends on and closes one AF_UNIX
 * datagram socket (a notification is rare). Thread: call from the event
 * loop's thread only.
 */
#ifndef HAL_NOTIFY_H
#define HAL_NOTIFY_H

enum hal_notify_result {
	HAL_NOTIFY_SENT = 0,
	HAL_NOTIFY_OFF = 1,      /* no (usable) NOTIFY_SOCKET: nothing sent */
	HAL_NOTIFY_ERROR = -1    /* the socket could not be created or sent to */
};

/* Reads NOTIFY_SOCKET once and removes it from the environment, so child
 * processes (a managed tor, itself built with sd_notify support) never
 * speak for ilpd. An absolute path or an abstract name written "@name" is
 * accepted; anything else (too long, relative) turns notification off.
 * Call once at start-up, before any child is started. Returns
 * HAL_NOTIFY_OFF when notification is off, else HAL_NOTIFY_SENT (0). */
int hal_notify_init(void);

/* Sends state ("READY=1", "STOPPING=1", "STATUS=text", several lines
 * joined by '\n') as one datagram to the socket hal_notify_init() found.
 * Never blocks (MSG_DONTWAIT). Returns a hal_notify_result. */
int hal_notify(const char *state);

#endif /* HAL_NOTIFY_H */
