/*
 * base/log.h - one line per event on stderr (journald adds the time when
 * run under systemd), prefixed with the process role and its level.
 * Safe from any thread: each line goes out in one write(2).
 */
#ifndef EDGED_LOG_H
#define EDGED_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* role: "master" or "worker"; debug: also print debug lines. */
void log_init(const char *role, bool debug);
bool log_debug_enabled(void);
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...)	log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)							\
	do {								\
		if (log_debug_enabled())				\
			log_msg(LOG_LVL_DEBUG, __VA_ARGS__);		\
	} while (0)

#endif /* EDGED_LOG_H */
