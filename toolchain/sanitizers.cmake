# ASan + UBSan for host test builds (preset host-asan). UBSan aborts on the
# first finding so a test cannot pass with undefined behaviour in it.
if(ILPD_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
