#ifndef SWVPN_CLZO_SHIM_H
#define SWVPN_CLZO_SHIM_H
#include <lzo/lzo1x.h>
/* lzo_init() is a macro with sizeof arguments, which Swift cannot import. */
static inline int swvpn_lzo_init(void) { return lzo_init(); }
/* Work memory of the LZO1X-1 compressor (tests compress with the real library). */
static inline unsigned long swvpn_lzo1x_1_mem_compress(void) { return LZO1X_1_MEM_COMPRESS; }
#endif
