#ifndef CSWVPN_LINUX_H
#define CSWVPN_LINUX_H
#ifdef __linux__
/*
 * Thin wrappers for Linux calls Swift cannot reach directly (ioctls, variadic prctl, CMSG macros,
 * recvmmsg/sendmmsg). No logic lives here. Every function returns -errno on failure so the Swift
 * side reads the error code before any ARC traffic can clobber errno.
 */
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

/* Our own mmsghdr: Swift's Glibc module may be built without _GNU_SOURCE, which hides the libc one.
   Layout is identical to struct mmsghdr (checked by a static assert in socket.c). */
struct swvpn_mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};

/* ---- TUN ---- */
#define SWVPN_TUN_MULTI_QUEUE 0x1
#define SWVPN_TUN_VNET_HDR 0x2
#define SWVPN_TUN_TAP 0x4 /* IFF_TAP instead of IFF_TUN: Ethernet frames */
#define SWVPN_IFNAMSIZ 16
/* Opens /dev/net/tun nonblocking + close-on-exec and attaches it with IFF_TUN|IFF_NO_PI (+ options).
   name_in may be "tun%d" or "" for a kernel-chosen name; the kernel's name is copied to name_out
   (SWVPN_IFNAMSIZ bytes). Returns the fd or -errno. */
int swvpn_tun_open(const char *name_in, char *name_out, int options);
/// Like swvpn_tun_open through another clone device than /dev/net/tun (openvpn's dev-node).
int swvpn_tun_open_at(const char *clone_path, const char *name_in, char *name_out, int options);
/* SIOCSIFHWADDR: sets the Ethernet address (6 bytes) of a tap device. Returns 0 or -errno. */
int swvpn_set_hwaddr(const char *name, const unsigned char *address);
/* TUNSETOFFLOAD with TUN_F_* flags. */
int swvpn_tun_set_offload(int fd, unsigned int flags);
/* TUNSETVNETHDRSZ. */
int swvpn_tun_set_vnet_hdr_size(int fd, int size);
extern const unsigned int swvpn_TUN_F_CSUM;
extern const unsigned int swvpn_TUN_F_TSO4;
extern const unsigned int swvpn_TUN_F_TSO6;
extern const unsigned int swvpn_TUN_F_USO4;
extern const unsigned int swvpn_TUN_F_USO6;

/* if_nametoindex; returns the index or -errno. */
int swvpn_ifindex(const char *name);
/* if_indextoname into SWVPN_IFNAMSIZ bytes; returns 0 or -errno. */
int swvpn_ifname(unsigned int index, char *name_out);

/* ---- plain I/O returning -errno ---- */
ssize_t swvpn_read(int fd, void *buf, size_t len);
ssize_t swvpn_write(int fd, const void *buf, size_t len);
int swvpn_recvmmsg(int fd, struct swvpn_mmsghdr *msgs, unsigned int count, int flags);
int swvpn_sendmmsg(int fd, struct swvpn_mmsghdr *msgs, unsigned int count, int flags);
ssize_t swvpn_recvmsg(int fd, struct msghdr *msg, int flags);
/* accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC. */
int swvpn_accept(int fd, struct sockaddr *address, socklen_t *length);

/* SO_PEERCRED of a connected unix socket: the client's uid and gid (0 or -errno). */
int swvpn_peer_credentials(int fd, uint32_t *uid, uint32_t *gid);
ssize_t swvpn_sendmsg(int fd, const struct msghdr *msg, int flags);

/* ---- socket options and UDP offload ---- */
int swvpn_setsockopt_int(int fd, int level, int name, int value);
int swvpn_getsockopt_int(int fd, int level, int name, int *value);
extern const int swvpn_SO_RCVBUFFORCE;
extern const int swvpn_SO_SNDBUFFORCE;
extern const int swvpn_SOL_UDP;
extern const int swvpn_UDP_SEGMENT;
extern const int swvpn_UDP_GRO;
/* 1 if the running kernel accepts UDP_SEGMENT (GSO) / UDP_GRO on a UDP socket, else 0. */
int swvpn_udp_gso_supported(void);
int swvpn_udp_gro_supported(void);

/* ---- control messages (CMSG_* macros) ---- */
struct cmsghdr *swvpn_cmsg_firsthdr(const struct msghdr *msg);
struct cmsghdr *swvpn_cmsg_nxthdr(const struct msghdr *msg, const struct cmsghdr *cmsg);
void *swvpn_cmsg_data(const struct cmsghdr *cmsg);
size_t swvpn_cmsg_space(size_t payload);
size_t swvpn_cmsg_len(size_t payload);

/* ---- multihome: the local address a datagram arrived on (IP_PKTINFO / IPV6_PKTINFO) ---- */
/* Asks for the arrival address of every datagram: IP_PKTINFO on an AF_INET socket, IPV6_RECVPKTINFO on an
   AF_INET6 one (which reports IPv4-mapped arrivals too). Returns 0 or -errno. */
int swvpn_enable_pktinfo(int fd, int family);
/* Room one pktinfo control message needs (CMSG_SPACE of the larger, in6_pktinfo). */
size_t swvpn_pktinfo_space(void);
/* Scans a received message's control messages for IP_PKTINFO (ipi_spec_dst, ipi_ifindex) or IPV6_PKTINFO
   (ipi6_addr, ipi6_ifindex): writes the address's network bytes to address (4 or 16 of its 16) and the
   interface index. Returns AF_INET, AF_INET6, or 0 when the message carries neither. */
int swvpn_pktinfo_parse(const struct msghdr *msg, uint8_t address[16], uint32_t *ifindex);
/* Writes the control message that sends from `address` out of interface `ifindex` (openvpn 2.6's
   link_socket_write_udp_posix_sendmsg): IP_PKTINFO for an AF_INET socket (ipi_spec_dst), IPV6_PKTINFO for
   an AF_INET6 one (an IPv4 arrival there is IPv4-mapped). Returns its length (CMSG_SPACE) or -EINVAL. */
int swvpn_pktinfo_build(void *buffer, size_t size, int socket_family, int address_family,
                        const uint8_t address[16], uint32_t ifindex);

/* ---- dev null ---- */
/* An eventfd that is never written: a file descriptor that is never readable, for a tunnel without a
   device. Returns the fd (nonblocking, close-on-exec) or -errno. */
int swvpn_null_device_fd(void);

/* ---- namespaces and capabilities ---- */
/* unshare(CLONE_NEWNET) for the calling thread. */
int swvpn_unshare_netns(void);
/* prctl(PR_SET_KEEPCAPS, on). */
int swvpn_set_keepcaps(int on);
/* prctl(PR_SET_DUMPABLE, on) / prctl(PR_GET_DUMPABLE): 1, 0 or -errno. */
int swvpn_set_dumpable(int on);
int swvpn_get_dumpable(void);
/* glibc malloc tuning (<malloc.h> is not in Swift's Glibc module): mallopt(M_ARENA_MAX, n), malloc_trim(0). */
int swvpn_malloc_arena_max(int arenas);
int swvpn_malloc_trim(void);
/* capset: permitted = effective = the given capability bit mask (e.g. 1 << CAP_NET_ADMIN), inheritable = 0. */
int swvpn_capset(uint64_t caps);
/* capget of the effective set into *effective; returns 0 or -errno. */
int swvpn_capget(uint64_t *effective, uint64_t *permitted);
extern const int swvpn_CAP_NET_ADMIN;

/// syslog(3) of one preformatted message (syslog itself is variadic, which Swift cannot call).
void swvpn_syslog(int priority, const char *message);

#endif /* __linux__ */
#endif
