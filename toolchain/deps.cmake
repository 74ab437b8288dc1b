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
