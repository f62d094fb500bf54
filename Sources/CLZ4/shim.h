#ifndef SWVPN_CLZ4_SHIM_H
#define SWVPN_CLZ4_SHIM_H
#include <lz4.h>
#endif
