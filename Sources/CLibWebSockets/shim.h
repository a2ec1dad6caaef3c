#ifndef PEXBRIDGE_LWS_SHIM_H
#define PEXBRIDGE_LWS_SHIM_H
#include <libwebsockets.h>

/*
 * Expression macros of libwebsockets.h that Swift cannot import, exposed as
 * static inline functions.
 */

/// LWS_PRE: headroom lws needs in front of every buffer given to lws_write.
static inline size_t pb_lws_pre(void) { return LWS_PRE; }

/// Context option: validate UTF-8 in text frames (invalid closes with 1007).
static inline uint64_t pb_lws_option_validate_utf8(void) { return LWS_SERVER_OPTION_VALIDATE_UTF8; }

/// Context option: initialise the TLS library (needed for a TLS listener).
static inline uint64_t pb_lws_option_ssl_global_init(void) { return LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT; }

/// Context option: IPv4-only listen socket.
static inline uint64_t pb_lws_option_disable_ipv6(void) { return LWS_SERVER_OPTION_DISABLE_IPV6; }

/// Context option: make lws_create_context fail when the listen socket cannot bind.
static inline uint64_t pb_lws_option_fail_unable_to_bind(void) { return LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND; }

/// Log levels routed to the application: errors and warnings.
static inline int pb_lws_log_errors_and_warnings(void) { return LLL_ERR | LLL_WARN; }

/// Log level bit for errors (the rest of the routed lines are warnings).
static inline int pb_lws_log_level_error(void) { return LLL_ERR; }

/// Names the calling thread (shown by top -H, ps -L and profilers); a no-op where unsupported.
#ifdef __linux__
#include <sys/prctl.h>
static inline void pb_set_thread_name(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
#else
static inline void pb_set_thread_name(const char *name) { (void)name; }
#endif

#endif
