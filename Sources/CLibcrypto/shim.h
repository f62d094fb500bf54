#ifndef SWVPN_CLIBCRYPTO_SHIM_H
#define SWVPN_CLIBCRYPTO_SHIM_H
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
/* Low-level digests: HMAC without a heap allocation per packet on OpenSSL 3.0 (see HMACContext). */
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <openssl/hmac.h>
#endif
