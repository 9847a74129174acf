/*
 * base/log.c - see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"

static const char *log_role = "edged";
static bool log_dbg;

void
log_init(const char *role, bool debug)
{
	log_role = role;
	log_dbg = debug;
}

bool
log_debug_enabled(void)
{
	return log_dbg;
}

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	/* <N> prefixes are syslog priorities that journald understands */
	static const char *const prefix[] = { "<3>error", "<4>warning",
	    "<6>info", "<7>debug" };
	char line[1024];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: edged %s[%d]: ", prefix[lvl],
	    log_role, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += (size_t)m < sizeof(line) - (size_t)n - 1 ? m :
	    (int)(sizeof(line) - (size_t)n - 2);
	line[n++] = '\n';
	/* one write: lines from threads do not interleave */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
