// libcurl for the outbound HTTP client. curl_easy_setopt and curl_easy_getinfo are variadic, which Swift cannot
// call, so each use gets a typed inline wrapper here. The one piece of logic is the pinned connect below.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static inline CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}

static inline CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}

/// Request body bytes: libcurl reads them from the caller's buffer, which must outlive the transfer.
static inline CURLcode ccurl_setopt_body(CURL *handle, const void *bytes, long length) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, length);
    if (code != CURLE_OK) return code;
    return curl_easy_setopt(handle, CURLOPT_POSTFIELDS, bytes);
}

typedef size_t (*ccurl_data_callback)(char *data, size_t size, size_t count, void *context);

static inline CURLcode ccurl_setopt_receivers(CURL *handle, ccurl_data_callback body, ccurl_data_callback header,
                                              void *context) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, body);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_WRITEDATA, context);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, header);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_HEADERDATA, context);
    return code;
}

static inline long ccurl_response_code(CURL *handle) {
    long code = 0;
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &code);
    return code;
}

/// The addresses a connection may go to: those the Swift guard resolved and approved. Any other address libcurl
/// is about to connect to (a second DNS answer, a proxy) is refused before a socket exists.
typedef struct {
    int count;
    int families[16];
    unsigned char bytes[16][16];
    int refused;
} ccurl_pin;

static inline ccurl_pin *ccurl_pin_new(void) { return (ccurl_pin *)calloc(1, sizeof(ccurl_pin)); }

static inline void ccurl_pin_free(ccurl_pin *pin) { free(pin); }

/// family AF_INET with 4 bytes, or AF_INET6 with 16. Returns 0 when the list is full.
static inline int ccurl_pin_add(ccurl_pin *pin, int family, const unsigned char *bytes) {
    if (pin->count >= 16) return 0;
    pin->families[pin->count] = family;
    memcpy(pin->bytes[pin->count], bytes, family == AF_INET ? 4 : 16);
    pin->count += 1;
    return 1;
}

static curl_socket_t ccurl_open_pinned(void *context, curlsocktype purpose, struct curl_sockaddr *address) {
    ccurl_pin *pin = (ccurl_pin *)context;
    const unsigned char *candidate = NULL;
    size_t length = 0;
    if (address->family == AF_INET) {
        candidate = (const unsigned char *)&((struct sockaddr_in *)&address->addr)->sin_addr;
        length = 4;
    } else if (address->family == AF_INET6) {
        candidate = (const unsigned char *)&((struct sockaddr_in6 *)&address->addr)->sin6_addr;
        length = 16;
    }
    for (int i = 0; candidate && i < pin->count; i++) {
        if (pin->families[i] == address->family && memcmp(pin->bytes[i], candidate, length) == 0) {
            return socket(address->family, address->socktype, address->protocol);
        }
    }
    pin->refused = 1;
    return CURL_SOCKET_BAD;
}

static inline CURLcode ccurl_setopt_pin(CURL *handle, ccurl_pin *pin) {
    CURLcode code = curl_easy_setopt(handle, CURLOPT_OPENSOCKETFUNCTION, ccurl_open_pinned);
    if (code == CURLE_OK) code = curl_easy_setopt(handle, CURLOPT_OPENSOCKETDATA, pin);
    return code;
}
