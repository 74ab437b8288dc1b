# Network backend choice (ILPD_NET) and, for ILPD_NET=lwip, lwIP itself as
# the static library `ilpd_lwip`, built from Debian's lwip source package
# with the board's options (boards/<board>/lwipopts.h). docs/lwip.md.
#
#  - ILPD_NET=posix (default): the kernel's TCP/IP stack (hal/posix).
#  - ILPD_NET=lwip: ilpd runs its own stack (NO_SYS=1, raw TCP API) over a
#    TAP device; hal/CMakeLists.txt defines the backend hal_net_lwip and
#    the ilpd executable links it. Tools and unit tests keep the POSIX
#    backend either way.
#
# The source is fetched at configure time by toolchain/fetch-lwip.sh into
# ILPD_LWIP_DIR (default build/_deps/lwip, shared by every preset; never in
# git). The library holds lwIP's core (IPv4, IPv6, TCP, ICMP, ND6, MLD6,
# Ethernet/ARP: the core, core4 and core6 lists of lwIP's
# src/Filelists.cmake plus netif/ethernet.c); no api/ (netconn, sockets).
# lwIP's sources are third-party code: they are compiled without ilpd's
# warning set (and so without -Werror). The check target check_lwip_opts
# (toolchain/check-lwip-opts.cmake) makes sure every translation unit that
# includes lwIP headers sees the same TCP_MSS, PBUF_POOL_BUFSIZE, ... as
# lwipopts.h.
# ilpd_add_lwip_opts_check(): called at the end of the top-level
# CMakeLists.txt, once every target exists. Adds the target check_lwip_opts
# (in ALL) and the ctests that show the check catches the TCP_MSS clash.
function(ilpd_add_lwip_opts_check)
  if(NOT ILPD_NET STREQUAL "lwip")
    return()
  endif()
  set(script ${PROJECT_SOURCE_DIR}/toolchain/check-lwip-opts.cmake)
  set(deps ilpd_lwip)
  foreach(t hal_net_lwip memmap_host memmap_rpi memmap_router)
    if(TARGET ${t})
      list(APPEND deps ${t})
    endif()
  endforeach()
  set(stamp ${CMAKE_BINARY_DIR}/lwip-opts-check/ok.stamp)
  add_custom_command(OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} ${ILPD_LWIP_CHECK_ARGS} -DSTAMP=${stamp} -P ${script}
    DEPENDS ${deps} ${script} ${CMAKE_BINARY_DIR}/compile_commands.json
    COMMENT "lwIP options check: TCP_MSS, PBUF_POOL_BUFSIZE, ... in every TU with lwIP headers"
    VERBATIM)
  add_custom_target(check_lwip_opts ALL DEPENDS ${stamp})

  # Fixtures, preprocessed only (never compiled into anything): a TU that
  # includes <netinet/tcp.h> after lwIP's headers must be flagged, and one
  # that includes lwIP's headers the right way must pass.
  set(fx ${PROJECT_SOURCE_DIR}/tests/lwip-opts)
  add_library(lwip_opts_fixtures OBJECT EXCLUDE_FROM_ALL
    ${fx}/bad_mss_tu.c ${fx}/good_tu.c)
  target_link_libraries(lwip_opts_fixtures PRIVATE ilpd_lwip)
  target_compile_definitions(lwip_opts_fixtures PRIVATE _GNU_SOURCE)
  add_test(NAME lwip_opts_check_catches_mss_clash
    COMMAND ${CMAKE_COMMAND} ${ILPD_LWIP_CHECK_ARGS} -DONLY=${fx}/bad_mss_tu.c -P ${script})
  set_tests_properties(lwip_opts_check_catches_mss_clash PROPERTIES
    PASS_REGULAR_EXPRESSION "bad_mss_tu\\.c: TCP_MSS is 512, lwipopts\\.h says 1460")
  add_test(NAME lwip_opts_check_good_tu
    COMMAND ${CMAKE_COMMAND} ${ILPD_LWIP_CHECK_ARGS} -DONLY=${fx}/good_tu.c -P ${script})
endfunction()

set(ILPD_NET "posix" CACHE STRING "Network backend: posix (kernel sockets) or lwip (own stack on TAP)")
set_property(CACHE ILPD_NET PROPERTY STRINGS posix lwip)
if(NOT ILPD_NET MATCHES "^(posix|lwip)$")
  message(FATAL_ERROR "ILPD_NET=${ILPD_NET}: expected posix or lwip")
endif()
message(STATUS "ilpd: network backend ${ILPD_NET}")

if(NOT ILPD_NET STREQUAL "lwip")
  return()
endif()

set(ILPD_LWIP_DIR "${PROJECT_SOURCE_DIR}/build/_deps/lwip" CACHE PATH
  "Where toolchain/fetch-lwip.sh unpacks Debian's lwip source")
if(NOT EXISTS ${ILPD_BOARD_DIR}/lwipopts.h)
  message(FATAL_ERROR "ILPD_NET=lwip: no boards/${ILPD_BOARD}/lwipopts.h")
endif()

# Idempotent and fast when the tree is there (it checks the version stamp).
execute_process(
  COMMAND bash ${PROJECT_SOURCE_DIR}/toolchain/fetch-lwip.sh ${ILPD_LWIP_DIR}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "toolchain/fetch-lwip.sh failed (${rc}): cannot build ILPD_NET=lwip")
endif()
file(STRINGS ${ILPD_LWIP_DIR}/.ilpd-lwip-version ILPD_LWIP_VERSION LIMIT_COUNT 1)

# The source lists, read from lwIP's Filelists.cmake rather than include()d:
# that file also defines targets, configures files in the source tree and
# adds a Doxygen target to ALL.
file(READ ${ILPD_LWIP_DIR}/src/Filelists.cmake _lwip_filelists)
set(ILPD_LWIP_SRCS "")
foreach(list lwipcore_SRCS lwipcore4_SRCS lwipcore6_SRCS)
  if(NOT _lwip_filelists MATCHES "set\\(${list}([^)]*)\\)")
    message(FATAL_ERROR "lwIP's src/Filelists.cmake has no ${list}")
  endif()
  string(REGEX MATCHALL "\\\${LWIP_DIR}/[^ \t\r\n)]+" _files "${CMAKE_MATCH_1}")
  foreach(f ${_files})
    string(REPLACE "\${LWIP_DIR}" "${ILPD_LWIP_DIR}" f "${f}")
    list(APPEND ILPD_LWIP_SRCS ${f})
  endforeach()
endforeach()
list(APPEND ILPD_LWIP_SRCS ${ILPD_LWIP_DIR}/src/netif/ethernet.c)
list(LENGTH ILPD_LWIP_SRCS _n)
message(STATUS "lwIP ${ILPD_LWIP_VERSION}: ${_n} sources from ${ILPD_LWIP_DIR}, "
  "options boards/${ILPD_BOARD}/lwipopts.h")

add_library(ilpd_lwip STATIC ${ILPD_LWIP_SRCS})
# Our headers first (lwipopts.h, then arch/cc.h and lwipopts_common.h with
# the net/ilp options they read), lwIP's own last. lwIP's headers are SYSTEM
# for the users of the library: our -Werror is not for third-party code.
target_include_directories(ilpd_lwip PUBLIC
  ${ILPD_BOARD_DIR}
  ${PROJECT_SOURCE_DIR}/hal/lwip/include
  ${PROJECT_SOURCE_DIR}/net/include
  ${PROJECT_SOURCE_DIR}/ilp/include
  ${PROJECT_SOURCE_DIR}/hal/include)
target_include_directories(ilpd_lwip SYSTEM PUBLIC ${ILPD_LWIP_DIR}/src/include)
target_compile_definitions(ilpd_lwip PUBLIC ILPD_NET_LWIP)
# arch/cc.h logs failed lwIP assertions with hal_log.
target_link_libraries(ilpd_lwip PUBLIC hal_posix)

# Build-time check: every translation unit that includes lwIP headers sees
# lwipopts.h's TCP_MSS, PBUF_POOL_BUFSIZE, MEM_ALIGNMENT, ... (glibc's
# <netinet/tcp.h> redefines TCP_MSS). It reads the exact compile commands
# from compile_commands.json, so it runs after the objects are built.
set(ILPD_LWIP_CHECK_ARGS
  -DCC_JSON=${CMAKE_BINARY_DIR}/compile_commands.json
  -DLWIP_INCLUDE=${ILPD_LWIP_DIR}/src/include
  -DWORK=${CMAKE_BINARY_DIR}/lwip-opts-check
  # Fixtures that include <netinet/tcp.h> on purpose (tests/lwip-opts).
  -DEXCLUDE=${PROJECT_SOURCE_DIR}/tests/lwip-opts/)
