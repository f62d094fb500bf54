#define _GNU_SOURCE
#include "CSwvpnLinux.h"
#ifdef __linux__
#include <errno.h>
#include <malloc.h>
#include <sched.h>
#include <unistd.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <linux/capability.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

_Static_assert(sizeof(struct swvpn_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");
_Static_assert(offsetof(struct swvpn_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "mmsghdr layout");

const int swvpn_SO_RCVBUFFORCE = SO_RCVBUFFORCE;
const int swvpn_SO_SNDBUFFORCE = SO_SNDBUFFORCE;
const int swvpn_SOL_UDP = SOL_UDP;
const int swvpn_UDP_SEGMENT = UDP_SEGMENT;
const int swvpn_UDP_GRO = UDP_GRO;
const int swvpn_CAP_NET_ADMIN = CAP_NET_ADMIN;

ssize_t swvpn_read(int fd, void *buf, size_t len) {
    ssize_t n = read(fd, buf, len);
    return n < 0 ? -errno : n;
}

ssize_t swvpn_write(int fd, const void *buf, size_t len) {
    ssize_t n = write(fd, buf, len);
    return n < 0 ? -errno : n;
}

int swvpn_recvmmsg(int fd, struct swvpn_mmsghdr *msgs, unsigned int count, int flags) {
    int n = recvmmsg(fd, (struct mmsghdr *)msgs, count, flags, NULL);
    return n < 0 ? -errno : n;
}

int swvpn_sendmmsg(int fd, struct swvpn_mmsghdr *msgs, unsigned int count, int flags) {
    int n = sendmmsg(fd, (struct mmsghdr *)msgs, count, flags);
    return n < 0 ? -errno : n;
}

ssize_t swvpn_recvmsg(int fd, struct msghdr *msg, int flags) {
    ssize_t n = recvmsg(fd, msg, flags);
    return n < 0 ? -errno : n;
}

ssize_t swvpn_sendmsg(int fd, const struct msghdr *msg, int flags) {
    ssize_t n = sendmsg(fd, msg, flags);
    return n < 0 ? -errno : n;
}

int swvpn_accept(int fd, struct sockaddr *address, socklen_t *length) {
    int client = accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    return client < 0 ? -errno : client;
}

int swvpn_peer_credentials(int fd, uint32_t *uid, uint32_t *gid) {
    struct ucred cred;
    socklen_t length = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) < 0) return -errno;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int swvpn_setsockopt_int(int fd, int level, int name, int value) {
    return setsockopt(fd, level, name, &value, sizeof value) < 0 ? -errno : 0;
}

int swvpn_getsockopt_int(int fd, int level, int name, int *value) {
    socklen_t len = sizeof *value;
    return getsockopt(fd, level, name, value, &len) < 0 ? -errno : 0;
}

static int probe_udp_option(int name, int value) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    int ok = setsockopt(fd, SOL_UDP, name, &value, sizeof value) == 0;
    close(fd);
    return ok;
}

int swvpn_udp_gso_supported(void) { return probe_udp_option(UDP_SEGMENT, 1200); }
int swvpn_udp_gro_supported(void) { return probe_udp_option(UDP_GRO, 1); }

struct cmsghdr *swvpn_cmsg_firsthdr(const struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
struct cmsghdr *swvpn_cmsg_nxthdr(const struct msghdr *msg, const struct cmsghdr *cmsg) {
    return CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)cmsg);
}
void *swvpn_cmsg_data(const struct cmsghdr *cmsg) { return CMSG_DATA((struct cmsghdr *)cmsg); }
size_t swvpn_cmsg_space(size_t payload) { return CMSG_SPACE(payload); }
size_t swvpn_cmsg_len(size_t payload) { return CMSG_LEN(payload); }

int swvpn_enable_pktinfo(int fd, int family) {
    int on = 1;
    int r = family == AF_INET6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on)
                               : setsockopt(fd, SOL_IP, IP_PKTINFO, &on, sizeof on);
    return r < 0 ? -errno : 0;
}

size_t swvpn_pktinfo_space(void) { return CMSG_SPACE(sizeof(struct in6_pktinfo)); }

int swvpn_pktinfo_parse(const struct msghdr *msg, uint8_t address[16], uint32_t *ifindex) {
    for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
        if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO
            && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            memset(address, 0, 16);
            memcpy(address, &info.ipi_spec_dst, 4);
            *ifindex = (uint32_t)info.ipi_ifindex;
            return AF_INET;
        }
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO
            && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo info;
            memcpy(&info, CMSG_DATA(c), sizeof info);
            memcpy(address, &info.ipi6_addr, 16);
            *ifindex = info.ipi6_ifindex;
            return AF_INET6;
        }
    }
    return 0;
}

/* One control message of `length` data bytes at the start of `buffer`; returns its CMSG_SPACE or -EINVAL. */
static int put_cmsg(void *buffer, size_t size, int level, int type, const void *data, size_t length) {
    if (size < CMSG_SPACE(length)) return -EINVAL;
    memset(buffer, 0, CMSG_SPACE(length));
    struct cmsghdr *c = buffer;
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(length);
    memcpy(CMSG_DATA(c), data, length);
    return (int)CMSG_SPACE(length);
}

int swvpn_pktinfo_build(void *buffer, size_t size, int socket_family, int address_family,
                        const uint8_t address[16], uint32_t ifindex) {
    if (socket_family == AF_INET && address_family == AF_INET) {
        struct in_pktinfo info = {0};
        info.ipi_ifindex = (int)ifindex;
        memcpy(&info.ipi_spec_dst, address, 4);
        return put_cmsg(buffer, size, SOL_IP, IP_PKTINFO, &info, sizeof info);
    }
    if (socket_family == AF_INET6) {
        struct in6_pktinfo info = {0};
        info.ipi6_ifindex = ifindex;
        if (address_family == AF_INET) {
            /* An IPv4 arrival on a dual-stack socket: ::ffff:a.b.c.d, as the kernel reports it. */
            info.ipi6_addr.s6_addr[10] = 0xff;
            info.ipi6_addr.s6_addr[11] = 0xff;
            memcpy(&info.ipi6_addr.s6_addr[12], address, 4);
        } else {
            memcpy(&info.ipi6_addr, address, 16);
        }
        return put_cmsg(buffer, size, IPPROTO_IPV6, IPV6_PKTINFO, &info, sizeof info);
    }
    return -EINVAL;
}

int swvpn_null_device_fd(void) {
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int swvpn_unshare_netns(void) { return unshare(CLONE_NEWNET) < 0 ? -errno : 0; }

int swvpn_set_keepcaps(int on) {
    return prctl(PR_SET_KEEPCAPS, (unsigned long)on, 0, 0, 0) < 0 ? -errno : 0;
}

int swvpn_malloc_arena_max(int arenas) { return mallopt(M_ARENA_MAX, arenas); }

int swvpn_malloc_trim(void) { return malloc_trim(0); }

int swvpn_set_dumpable(int on) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)on, 0, 0, 0) < 0 ? -errno : 0;
}

int swvpn_get_dumpable(void) {
    int r = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    return r < 0 ? -errno : r;
}

int swvpn_capset(uint64_t caps) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0}};
    data[0].effective = data[0].permitted = (uint32_t)caps;
    data[1].effective = data[1].permitted = (uint32_t)(caps >> 32);
    return syscall(SYS_capset, &header, data) < 0 ? -errno : 0;
}

int swvpn_capget(uint64_t *effective, uint64_t *permitted) {
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2] = {{0}};
    if (syscall(SYS_capget, &header, data) < 0) return -errno;
    *effective = (uint64_t)data[0].effective | ((uint64_t)data[1].effective << 32);
    *permitted = (uint64_t)data[0].permitted | ((uint64_t)data[1].permitted << 32);
    return 0;
}
void swvpn_syslog(int priority, const char *message) { syslog(priority, "%s", message); }

#endif
