/* The ceiling of nginx + FastCGI on this machine: a minimal threaded libfcgi responder that answers a fixed body,
 * with the same thread count and accept lock as ticketsync. Built and run only by `make bench`. */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int listen_fd;
static pthread_mutex_t accept_lock = PTHREAD_MUTEX_INITIALIZER;
static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}";

static void *work(void *unused) {
    (void)unused;
    FCGX_Request request;
    FCGX_InitRequest(&request, listen_fd, 0);
    for (;;) {
        pthread_mutex_lock(&accept_lock);
        int rc = FCGX_Accept_r(&request);
        pthread_mutex_unlock(&accept_lock);
        if (rc < 0) break;
        FCGX_PutStr(reply, (int)sizeof(reply) - 1, request.out);
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: fixed_responder SOCKET THREADS\n"); return 2; }
    int threads = atoi(argv[2]);
    FCGX_Init();
    unlink(argv[1]);
    listen_fd = FCGX_OpenSocket(argv[1], 1024);
    chmod(argv[1], 0660);
    pthread_t ids[256];
    for (int i = 0; i < threads && i < 256; i++) pthread_create(&ids[i], NULL, work, NULL);
    for (int i = 0; i < threads && i < 256; i++) pthread_join(ids[i], NULL);
    return 0;
}
