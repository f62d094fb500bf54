#include "CSwvpnLinux.h"
#ifdef __linux__
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/socket.h>
#include <linux/if_tun.h>

const unsigned int swvpn_TUN_F_CSUM = TUN_F_CSUM;
const unsigned int swvpn_TUN_F_TSO4 = TUN_F_TSO4;
const unsigned int swvpn_TUN_F_TSO6 = TUN_F_TSO6;
#ifdef TUN_F_USO4
const unsigned int swvpn_TUN_F_USO4 = TUN_F_USO4;
const unsigned int swvpn_TUN_F_USO6 = TUN_F_USO6;
#else
const unsigned int swvpn_TUN_F_USO4 = 0x20;
const unsigned int swvpn_TUN_F_USO6 = 0x40;
#endif

int swvpn_tun_open(const char *name_in, char *name_out, int options) {
    return swvpn_tun_open_at("/dev/net/tun", name_in, name_out, options);
}

int swvpn_tun_open_at(const char *clone_path, const char *name_in, char *name_out, int options) {
    int fd = open(clone_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = ((options & SWVPN_TUN_TAP) ? IFF_TAP : IFF_TUN) | IFF_NO_PI;
    if (options & SWVPN_TUN_MULTI_QUEUE) ifr.ifr_flags |= IFF_MULTI_QUEUE;
    if (options & SWVPN_TUN_VNET_HDR) ifr.ifr_flags |= IFF_VNET_HDR;
    if (name_in != NULL) strncpy(ifr.ifr_name, name_in, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        return -err;
    }
    memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
    name_out[IFNAMSIZ - 1] = 0;
    return fd;
}

int swvpn_set_hwaddr(const char *name, const unsigned char *address) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return -errno;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, address, 6);
    int rc = ioctl(s, SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0;
    close(s);
    return rc;
}

int swvpn_tun_set_offload(int fd, unsigned int flags) {
    return ioctl(fd, TUNSETOFFLOAD, (unsigned long)flags) < 0 ? -errno : 0;
}

int swvpn_tun_set_vnet_hdr_size(int fd, int size) {
    return ioctl(fd, TUNSETVNETHDRSZ, &size) < 0 ? -errno : 0;
}

int swvpn_ifindex(const char *name) {
    unsigned int index = if_nametoindex(name);
    return index == 0 ? -errno : (int)index;
}

int swvpn_ifname(unsigned int index, char *name_out) {
    return if_indextoname(index, name_out) == NULL ? -errno : 0;
}
#endif
