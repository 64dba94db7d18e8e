/* fdpass.c - one record and one descriptor over a unix socket. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"

union fdcmsg {
    struct cmsghdr h;
    char b[CMSG_SPACE(sizeof(int))];
};

int
fdpass_send(int sock, const void *p, size_t n, int fd)
{
    union fdcmsg cb;
    struct msghdr mh;
    struct iovec iov;
    struct cmsghdr *cm;
    ssize_t w;

    memset(&mh, 0, sizeof mh);
    memset(&cb, 0, sizeof cb);
    iov.iov_base = (void *)p;
    iov.iov_len = n;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb.b;
    mh.msg_controllen = sizeof cb.b;
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    do
        w = sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (w == -1 && errno == EINTR);
    if (w == -1)
        return -1;
    if ((size_t)w != n) {
        errno = EMSGSIZE;
        return -1;
    }
    return 0;
}

ssize_t
fdpass_recv(int sock, void *p, size_t max, int *fd)
{
    union fdcmsg cb;
    struct msghdr mh;
    struct iovec iov;
    struct cmsghdr *cm;
    ssize_t got;

    *fd = -1;
    memset(&mh, 0, sizeof mh);
    iov.iov_base = p;
    iov.iov_len = max;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cb.b;
    mh.msg_controllen = sizeof cb.b;
    do
        got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (got == -1 && errno == EINTR);
    for (cm = got > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm != NULL;
         cm = CMSG_NXTHDR(&mh, cm))
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS
            && cm->cmsg_len == CMSG_LEN(sizeof(int)) && *fd == -1)
            memcpy(fd, CMSG_DATA(cm), sizeof *fd);
    if (got > 0 && (*fd == -1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))) {
        if (*fd != -1)
            close(*fd);
        *fd = -1;
        errno = EBADMSG;
        return -1;
    }
    return got;
}
