#include "ccurl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <string.h>

/* curl_global_init is not thread-safe and must run once before any handle exists. */
static pthread_once_t ccurl_once = PTHREAD_ONCE_INIT;
static void ccurl_global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

typedef struct {
    const unsigned char *data;
    size_t length;
    size_t offset;
} upload_state;

static size_t read_callback(char *buffer, size_t size, size_t nitems, void *userdata) {
    upload_state *u = (upload_state *)userdata;
    size_t room = size * nitems;
    size_t left = u->length - u->offset;
    size_t n = left < room ? left : room;
    memcpy(buffer, u->data + u->offset, n);
    u->offset += n;
    return n;
}

/* Keeps the server's last reply line: libcurl reports only the code, and the text
   ("550 5.1.1 no such user") is what tells an operator what happened. */
static int debug_callback(CURL *handle, curl_infotype type, char *data, size_t size, void *userdata) {
    (void)handle;
    if (type != CURLINFO_HEADER_IN) return 0;
    ccurl_smtp_result *r = (ccurl_smtp_result *)userdata;
    /* Once the server refused something, keep that reply: the QUIT that follows ("221 Bye")
       says nothing about why the message failed. */
    if (r->last_reply[0] == '4' || r->last_reply[0] == '5') return 0;
    size_t n = size < sizeof(r->last_reply) - 1 ? size : sizeof(r->last_reply) - 1;
    while (n > 0 && (data[n - 1] == '\r' || data[n - 1] == '\n')) n--;
    memcpy(r->last_reply, data, n);
    r->last_reply[n] = 0;
    return 0;
}

void ccurl_smtp_send(const ccurl_smtp_request *req, ccurl_smtp_result *res) {
    pthread_once(&ccurl_once, ccurl_global_init);
    memset(res, 0, sizeof(*res));

    CURL *curl = curl_easy_init();
    if (!curl) {
        res->curl_code = CURLE_FAILED_INIT;
        strncpy(res->error, "curl_easy_init failed", sizeof(res->error) - 1);
        return;
    }
    struct curl_slist *rcpts = NULL;
    for (size_t i = 0; i < req->recipient_count; i++) rcpts = curl_slist_append(rcpts, req->recipients[i]);

    upload_state upload = {req->data, req->data_length, 0};
    curl_easy_setopt(curl, CURLOPT_URL, req->url);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM from worker threads */
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, res->error);
    if (req->require_tls) curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (req->username) {
        curl_easy_setopt(curl, CURLOPT_USERNAME, req->username);
        curl_easy_setopt(curl, CURLOPT_PASSWORD, req->password ? req->password : "");
    }
    if (req->ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, req->ca_file);
    if (req->insecure_skip_verify) {
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, req->mail_from);
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_callback);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->data_length);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, req->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_DEBUGFUNCTION, debug_callback);
    curl_easy_setopt(curl, CURLOPT_DEBUGDATA, res);
    curl_easy_setopt(curl, CURLOPT_VERBOSE, 1L); /* needed for the debug callback; it writes nothing itself */

    CURLcode rc = curl_easy_perform(curl);
    res->curl_code = (int)rc;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    res->response_code = code;
    if (rc != CURLE_OK && res->error[0] == 0) strncpy(res->error, curl_easy_strerror(rc), sizeof(res->error) - 1);

    curl_slist_free_all(rcpts);
    curl_easy_cleanup(curl);
}

const char *ccurl_version(void) { return curl_version(); }
