#include <fcgiapp.h>
// The FastCGI transport's own wait for work (Acceptor: the listening socket and the kept connections in one set);
// Glibc's Swift module does not carry epoll.
#include <sys/epoll.h>
