# Cross toolchain: aarch64-linux-gnu (Debian gcc-aarch64-linux-gnu + multiarch libraries).
# Tests run under qemu-user through ctest's cross-compiling emulator. No -L /
# QEMU_LD_PREFIX: it would pair the cross ld.so with the multiarch libc.so.6
# (see shared/reference/cross-and-qemu.md, the -L trap).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ILPD_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${ILPD_TRIPLE}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${ILPD_TRIPLE})
set(CMAKE_FIND_ROOT_PATH /usr/${ILPD_TRIPLE} /usr/lib/${ILPD_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/qemu-aarch64)
