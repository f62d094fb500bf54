#include "CSwvpnLinux.h"
#ifdef __linux__
int swvpn_shim_version(void) { return 1; }
#endif
