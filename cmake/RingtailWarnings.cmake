# ringtail_warnings(target): the project's warning set, applied to its own targets
# only, so third-party headers (LibTorch, Gloo) do not drown real warnings.
function(ringtail_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-unused-parameter>)
endfunction()
