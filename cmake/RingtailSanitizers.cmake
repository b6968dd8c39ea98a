# RINGTAIL_SANITIZE=address builds everything with AddressSanitizer and
# UndefinedBehaviorSanitizer; RINGTAIL_SANITIZE=thread with ThreadSanitizer
# (meant for core/ and collectives/: LibTorch and Open MPI are not TSan-clean).
if(RINGTAIL_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
elseif(RINGTAIL_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT RINGTAIL_SANITIZE STREQUAL "")
  message(FATAL_ERROR "RINGTAIL_SANITIZE must be empty, 'address' or 'thread', not '${RINGTAIL_SANITIZE}'")
endif()
