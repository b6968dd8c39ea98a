# ctest driver of the fuzz test: writes the seed corpus into a fresh folder,
# runs the fuzzer for a bounded time, removes the folder. Fails on a crash (the
# fuzzer's report is in the test output, and the crashing input beside it).
#   cmake -DFUZZER=... -DSEED_WRITER=... -DWORK_DIR=... -DSECONDS=20 -P run_fuzzer.cmake
foreach(var FUZZER SEED_WRITER WORK_DIR SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake needs -D${var}=...")
  endif()
endforeach()
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "${FUZZER} is missing: build the default target (the fuzzer is an ExternalProject)")
endif()
string(RANDOM LENGTH 8 _tag)
set(_dir "${WORK_DIR}/fuzz-${_tag}")
file(MAKE_DIRECTORY "${_dir}/seeds" "${_dir}/corpus")
execute_process(COMMAND "${SEED_WRITER}" "${_dir}/seeds" RESULT_VARIABLE _seeded)
if(NOT _seeded EQUAL 0)
  file(REMOVE_RECURSE "${_dir}")
  message(FATAL_ERROR "the seed writer failed (${_seeded})")
endif()
# New inputs go to corpus/; seeds/ is read only. -close_fd_mask=3 silences
# libjpeg's warnings; libFuzzer and the sanitizers still report.
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -timeout=10 -rss_limit_mb=2048 -max_len=16384
          -close_fd_mask=3 -print_final_stats=1 -artifact_prefix=${WORK_DIR}/
          "${_dir}/corpus" "${_dir}/seeds"
  RESULT_VARIABLE _result)
file(REMOVE_RECURSE "${_dir}")
if(NOT _result EQUAL 0)
  message(FATAL_ERROR "the fuzzer found a failure (exit ${_result}); the input is in ${WORK_DIR}/crash-* or leak-* / timeout-*")
endif()
