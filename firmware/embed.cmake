# The embedded C API (include/ilpd.h, issue 14): libilpd.a is the daemon's
# code without main.c plus embed.c, merged into ONE archive with everything
# of ours it needs (ilpd_fw, ilp, net, the POSIX HAL), so an application
# links `libilpd.a` and Debian's BearSSL/mbedTLS and inih (ilpd.pc names
# them). The lwIP backend is a whole-board build and has no embedded form.
if(ILPD_NET STREQUAL "lwip")
  return()
endif()
add_library(ilpd_embed STATIC embed.c)
target_include_directories(ilpd_embed PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(ilpd_embed PUBLIC ilpd_fw)
set_property(TARGET ilpd_embed PROPERTY ILPD_NET_BACKEND hal_net_posix)
target_compile_definitions(ilpd_embed PRIVATE _POSIX_C_SOURCE=200809L)
ilpd_warnings(ilpd_embed)

set(_ilpd_parts ilpd_embed ilpd_fw ilp net hal_posix hal_net_posix hal_crypto)
set(_ilpd_archives "")
foreach(t ${_ilpd_parts})
  list(APPEND _ilpd_archives "$<TARGET_FILE:${t}>")
endforeach()
add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/libilpd.a
  COMMAND ${CMAKE_COMMAND} -DAR=${CMAKE_AR} -DOUT=${CMAKE_BINARY_DIR}/libilpd.a
          "-DPARTS=${_ilpd_archives}" -P ${CMAKE_CURRENT_SOURCE_DIR}/mklib.cmake
  DEPENDS ${_ilpd_parts} ${CMAKE_CURRENT_SOURCE_DIR}/mklib.cmake
  COMMENT "libilpd.a: the embedded connector in one archive" VERBATIM)
add_custom_target(libilpd ALL DEPENDS ${CMAKE_BINARY_DIR}/libilpd.a)

# pkg-config file for builds outside CMake (tests/embed/run.sh uses it).
if(ILPD_TLS STREQUAL "mbedtls")
  set(ILPD_PC_LIBS "-Wl,--wrap=calloc -Wl,--wrap=free -Wl,-u,__wrap_calloc -Wl,-u,__wrap_free ${MBEDTLS_LIBRARY} ${MBEDX509_LIBRARY} ${MBEDCRYPTO_LIBRARY}")
else()
  set(ILPD_PC_LIBS "")
endif()
# hal_crypto holds both crypto backends (the second one cross-checks), so
# libmbedcrypto is always named.
set(ILPD_PC_LIBS "${ILPD_PC_LIBS} ${BEARSSL_LIBRARY} ${MBEDCRYPTO_LIBRARY} ${INIH_LIBRARY} -lpthread")
file(WRITE ${CMAKE_BINARY_DIR}/ilpd.pc
"prefix=${CMAKE_BINARY_DIR}
Name: ilpd
Description: the ilpd Interledger connector, embedded (board ${ILPD_BOARD})
Version: ${PROJECT_VERSION}
Cflags: -I${PROJECT_SOURCE_DIR}/include
Libs: ${CMAKE_BINARY_DIR}/libilpd.a ${ILPD_PC_LIBS}
")

# examples/: built with the library, run by tests/embed/run.sh.
if(EXISTS ${PROJECT_SOURCE_DIR}/examples/paid_agent.c)
  add_executable(paid_agent ${PROJECT_SOURCE_DIR}/examples/paid_agent.c)
  target_link_libraries(paid_agent PRIVATE ilpd_embed)
  set_property(TARGET paid_agent PROPERTY ILPD_NET_BACKEND hal_net_posix)
  target_compile_definitions(paid_agent PRIVATE _POSIX_C_SOURCE=200809L)
  ilpd_warnings(paid_agent)
endif()

# The API's settings, state and error rules (one connector per process).
add_executable(test_embed ${PROJECT_SOURCE_DIR}/tests/embed/test_embed.c)
target_link_libraries(test_embed PRIVATE ilpd_embed)
set_property(TARGET test_embed PROPERTY ILPD_NET_BACKEND hal_net_posix)
target_compile_definitions(test_embed PRIVATE _POSIX_C_SOURCE=200809L)
ilpd_warnings(test_embed)
add_test(NAME test_embed COMMAND test_embed)
set_tests_properties(test_embed PROPERTIES TIMEOUT 30)
