# ringtail_pets_discover_tests(<target> PREFIX <prefix> LABELS <label>... TIMEOUT <seconds>)
#
# gtest_discover_tests (DISCOVERY_MODE PRE_TEST) with every discovered test
# given the labels and the timeout. They cannot go through its PROPERTIES
# option in CMake 3.25: that list is flattened on its way into the discovery
# script, so `LABELS "a;b" TIMEOUT 120` arrives as `LABELS a b TIMEOUT 120`,
# which sets LABELS to "a", a property named "b" to "TIMEOUT", and no
# timeout. Instead the discovery's TEST_LIST variable is handed to
# set_tests_properties by a second script that ctest includes after the
# discovery's own.
include(GoogleTest)

function(ringtail_pets_discover_tests target)
  cmake_parse_arguments(arg "" "PREFIX;TIMEOUT" "LABELS" ${ARGN})
  if(NOT arg_TIMEOUT OR NOT arg_LABELS)
    message(FATAL_ERROR "ringtail_pets_discover_tests(${target}): LABELS and TIMEOUT are required")
  endif()
  set(list_var "${target}_TESTS")
  gtest_discover_tests(${target} TEST_PREFIX "${arg_PREFIX}" TEST_LIST ${list_var} DISCOVERY_MODE PRE_TEST)
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_properties.cmake")
  # The list variable is undefined when the binary is not built (discovery
  # then registers a <target>_NOT_BUILT placeholder).
  file(WRITE "${script}"
       "if(DEFINED ${list_var})\n"
       "  set_tests_properties(\${${list_var}} PROPERTIES LABELS \"${arg_LABELS}\" TIMEOUT ${arg_TIMEOUT})\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
