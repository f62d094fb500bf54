#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/crypto.h>
#include <openssl/core_names.h>
#include <stdio.h>
#include <stdlib.h>
static long n;
static void *m(size_t s, const char *f, int l){ n++; return malloc(s);}
static void *r(void *p, size_t s, const char *f, int l){ n++; return realloc(p,s);}
static void fr(void *p, const char *f, int l){ free(p);}
int main(){
  CRYPTO_set_mem_functions(m,r,fr);
  unsigned char key[32]={1}, buf[1500]={0}, out[64], iv[16]={0}; size_t w; int ol;
  EVP_MAC *mac=EVP_MAC_fetch(NULL,"HMAC",NULL); EVP_MAC_CTX *c=EVP_MAC_CTX_new(mac);
  OSSL_PARAM p[]={OSSL_PARAM_construct_utf8_string("digest","SHA256",0),OSSL_PARAM_construct_end()};
  EVP_MAC_init(c,key,32,p);
  for(int i=0;i<3;i++){EVP_MAC_init(c,NULL,0,NULL);EVP_MAC_update(c,buf,1400);EVP_MAC_final(c,out,&w,64);}
  long a=n; for(int i=0;i<1000;i++){EVP_MAC_init(c,NULL,0,NULL);EVP_MAC_update(c,buf,1400);EVP_MAC_final(c,out,&w,64);}
  printf("EVP_MAC reinit: %ld mallocs/1000\n", n-a);
  HMAC_CTX *h=HMAC_CTX_new(); HMAC_Init_ex(h,key,32,EVP_sha256(),NULL); unsigned int hl;
  for(int i=0;i<3;i++){HMAC_Init_ex(h,NULL,0,NULL,NULL);HMAC_Update(h,buf,1400);HMAC_Final(h,out,&hl);}
  a=n; for(int i=0;i<1000;i++){HMAC_Init_ex(h,NULL,0,NULL,NULL);HMAC_Update(h,buf,1400);HMAC_Final(h,out,&hl);}
  printf("HMAC_Init_ex(NULL): %ld mallocs/1000\n", n-a);
  /* pre-keyed dup */
  a=n; for(int i=0;i<1000;i++){EVP_MAC_CTX *d=EVP_MAC_CTX_dup(c);EVP_MAC_update(d,buf,1400);EVP_MAC_final(d,out,&w,64);EVP_MAC_CTX_free(d);}
  printf("EVP_MAC_CTX_dup: %ld mallocs/1000\n", n-a);
  /* EVP_Digest with manual ipad/opad: two MD ctxs copied via EVP_MD_CTX_copy_ex */
  EVP_MD *md=EVP_MD_fetch(NULL,"SHA256",NULL); EVP_MD_CTX *in=EVP_MD_CTX_new(), *wk=EVP_MD_CTX_new();
  EVP_DigestInit_ex2(in,md,NULL); EVP_DigestInit_ex2(wk,md,NULL);
  a=n; for(int i=0;i<1000;i++){EVP_MD_CTX_copy_ex(wk,in);EVP_DigestUpdate(wk,buf,1400);EVP_DigestFinal_ex(wk,out,&hl);}
  printf("EVP_MD_CTX_copy_ex: %ld mallocs/1000\n", n-a);
  a=n; for(int i=0;i<1000;i++){EVP_DigestInit_ex2(wk,NULL,NULL);EVP_DigestUpdate(wk,buf,1400);EVP_DigestFinal_ex(wk,out,&hl);}
  printf("EVP_DigestInit_ex2(NULL md): %ld mallocs/1000\n", n-a);
  EVP_CIPHER_CTX *cc=EVP_CIPHER_CTX_new(); EVP_CipherInit_ex(cc,EVP_aes_256_cbc(),NULL,key,iv,1); EVP_CIPHER_CTX_set_padding(cc,0);
  a=n; for(int i=0;i<1000;i++){EVP_CipherInit_ex(cc,NULL,NULL,NULL,iv,-1);EVP_CipherUpdate(cc,buf,&ol,buf,1408);EVP_CipherFinal_ex(cc,buf+ol,&ol);}
  printf("cipher CBC reinit IV: %ld mallocs/1000\n", n-a);
  printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
}
