#ifndef CSWVPN_LINUX_H
#define CSWVPN_LINUX_H
#ifdef __linux__
/* Placeholder until the TUN/netlink/socket shim lands; symbols are prefixed swvpn_. */
int swvpn_shim_version(void);
#endif
#endif
