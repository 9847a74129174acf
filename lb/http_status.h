/*
 * lb/http_status.h - the reason phrases of HTTP statuses.
 */
#ifndef EDGED_LB_HTTP_STATUS_H
#define EDGED_LB_HTTP_STATUS_H

/* The reason phrase of status (RFC 9110's), or "Other" when it names
 * none (as HAProxy says).  A static string. */
const char *lb_http_reason(int status);

#endif /* EDGED_LB_HTTP_STATUS_H */
