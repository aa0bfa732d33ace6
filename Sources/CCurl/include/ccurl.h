#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>

/// One SMTP submission through libcurl. The shim exists because curl_easy_setopt and
/// curl_easy_getinfo are variadic, which Swift cannot call.
typedef struct {
    const char *url;               /* smtp://host:port (plain or STARTTLS) or smtps://host:port (implicit TLS) */
    int require_tls;               /* 1: STARTTLS is mandatory on smtp:// (CURLUSESSL_ALL) */
    const char *username;          /* NULL: no AUTH */
    const char *password;
    const char *mail_from;         /* envelope sender, e.g. "<noreply@example.com>" */
    const char *const *recipients; /* envelope recipients */
    size_t recipient_count;
    const unsigned char *data;     /* the whole message, CRLF line endings */
    size_t data_length;
    long timeout_ms;               /* whole transfer */
    long connect_timeout_ms;
    const char *ca_file;           /* NULL: system trust store */
    int insecure_skip_verify;      /* 1: accept any certificate (testing only) */
} ccurl_smtp_request;

typedef struct {
    int curl_code;                 /* CURLcode; 0 is success */
    long response_code;            /* the last SMTP reply code (250, 451, 550…), 0 if none */
    char error[256];               /* curl's error text */
    char last_reply[512];          /* the server's last reply line, for messages */
} ccurl_smtp_result;

/// Sends one message; blocking. Thread-safe: each call uses its own easy handle.
void ccurl_smtp_send(const ccurl_smtp_request *request, ccurl_smtp_result *result);

/// The libcurl version string, for diagnostics.
const char *ccurl_version(void);

#endif
