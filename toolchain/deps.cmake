# Debian packages ilpd links with. BearSSL ships no pkg-config or CMake
# files, so it is found as a plain library (the static one, so the ARM and
# s390x binaries run under qemu-user without a matching shared library).
#
# Debian puts the real headers in /usr/include/bearssl/ (bearssl_hash.h etc.)
# and only a forwarding bearssl.h in /usr/include, so the include directory
# is the one holding bearssl_hash.h.
find_path(BEARSSL_INCLUDE_DIR bearssl_hash.h PATH_SUFFIXES bearssl REQUIRED)
find_library(BEARSSL_LIBRARY NAMES libbearssl.a REQUIRED)

# A cross build must link the target's multiarch copy (libbearssl-dev:<arch>),
# never the build machine's: say so at configure time instead of at link time.
if(CMAKE_CROSSCOMPILING AND DEFINED ILPD_TRIPLE
   AND NOT BEARSSL_LIBRARY MATCHES "/${ILPD_TRIPLE}/")
  message(FATAL_ERROR "BearSSL for ${ILPD_TRIPLE} not found (got ${BEARSSL_LIBRARY}); "
    "run toolchain/install-deps.sh")
endif()
message(STATUS "BearSSL: ${BEARSSL_LIBRARY} (headers ${BEARSSL_INCLUDE_DIR})")

add_library(ilpd_bearssl INTERFACE)
target_include_directories(ilpd_bearssl SYSTEM INTERFACE ${BEARSSL_INCLUDE_DIR})
target_link_libraries(ilpd_bearssl INTERFACE ${BEARSSL_LIBRARY})

# mbedTLS (libmbedtls-dev): SHA-1 and base64 for the WebSocket handshake now,
# a TLS backend later. Static libmbedcrypto.a for the same reason as above.
find_path(MBEDTLS_INCLUDE_DIR mbedtls/sha1.h REQUIRED)
find_library(MBEDCRYPTO_LIBRARY NAMES libmbedcrypto.a REQUIRED)
if(CMAKE_CROSSCOMPILING AND DEFINED ILPD_TRIPLE
   AND NOT MBEDCRYPTO_LIBRARY MATCHES "/${ILPD_TRIPLE}/")
  message(FATAL_ERROR "mbedTLS for ${ILPD_TRIPLE} not found (got ${MBEDCRYPTO_LIBRARY}); "
    "run toolchain/install-deps.sh")
endif()
add_library(ilpd_mbedcrypto INTERFACE)
target_include_directories(ilpd_mbedcrypto SYSTEM INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(ilpd_mbedcrypto INTERFACE ${MBEDCRYPTO_LIBRARY})

# mbedTLS's TLS and X.509 libraries, for the mbedTLS backend of net/tls.h
# (ILPD_TLS=mbedtls). Debian builds mbedTLS without MBEDTLS_PLATFORM_MEMORY,
# so it calls libc's calloc/free directly: whatever links this target is
# linked with --wrap=calloc --wrap=free, and those calls land in ilpd's
# static arena (net/src/tls_arena.c defines __wrap_calloc/__wrap_free).
find_library(MBEDTLS_LIBRARY NAMES libmbedtls.a REQUIRED)
find_library(MBEDX509_LIBRARY NAMES libmbedx509.a REQUIRED)
if(CMAKE_CROSSCOMPILING AND DEFINED ILPD_TRIPLE
   AND NOT MBEDTLS_LIBRARY MATCHES "/${ILPD_TRIPLE}/")
  message(FATAL_ERROR "mbedTLS for ${ILPD_TRIPLE} not found (got ${MBEDTLS_LIBRARY}); "
    "run toolchain/install-deps.sh")
endif()
add_library(ilpd_mbedtls INTERFACE)
# libmbedcrypto.a is named again after libmbedx509.a: the static link order
# must be tls, x509, crypto whatever hal_crypto put first.
target_include_directories(ilpd_mbedtls SYSTEM INTERFACE ${MBEDTLS_INCLUDE_DIR})
target_link_libraries(ilpd_mbedtls INTERFACE ${MBEDTLS_LIBRARY} ${MBEDX509_LIBRARY}
  ${MBEDCRYPTO_LIBRARY})
# -u pulls the arena's object out of libnet.a even into an executable that
# makes no TLS call, since libmbedcrypto (hal_crypto) is wrapped there too.
target_link_options(ilpd_mbedtls INTERFACE "LINKER:--wrap=calloc" "LINKER:--wrap=free"
  "LINKER:-u,__wrap_calloc" "LINKER:-u,__wrap_free")

# inih (libinih-dev): the INI parser for ilpd's configuration file.
find_path(INIH_INCLUDE_DIR ini.h REQUIRED)
find_library(INIH_LIBRARY NAMES libinih.a REQUIRED)
if(CMAKE_CROSSCOMPILING AND DEFINED ILPD_TRIPLE
   AND NOT INIH_LIBRARY MATCHES "/${ILPD_TRIPLE}/")
  message(FATAL_ERROR "inih for ${ILPD_TRIPLE} not found (got ${INIH_LIBRARY}); "
    "run toolchain/install-deps.sh")
endif()
add_library(ilpd_inih INTERFACE)
target_include_directories(ilpd_inih SYSTEM INTERFACE ${INIH_INCLUDE_DIR})
target_link_libraries(ilpd_inih INTERFACE ${INIH_LIBRARY})
