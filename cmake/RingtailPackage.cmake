# Installs the public headers, the libraries and a CMake package so another
# project can write find_package(Ringtail) and link Ringtail::<component>.
include(CMakePackageConfigHelpers)
set(RINGTAIL_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})

# ringtail_export(target): installs a library target into the Ringtail package.
function(ringtail_export target)
  install(TARGETS ${target} EXPORT RingtailTargets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
          RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  set_property(GLOBAL APPEND PROPERTY RINGTAIL_EXPORTED_TARGETS ${target})
endfunction()

# ringtail_install_package(): called once, after every target is defined.
function(ringtail_install_package)
  get_property(_ringtail_exported GLOBAL PROPERTY RINGTAIL_EXPORTED_TARGETS)
  if(_ringtail_exported)
    install(EXPORT RingtailTargets NAMESPACE Ringtail::
            DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Ringtail)
    configure_package_config_file(${RINGTAIL_CMAKE_DIR}/RingtailConfig.cmake.in
      ${CMAKE_CURRENT_BINARY_DIR}/RingtailConfig.cmake
      INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Ringtail)
    write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/RingtailConfigVersion.cmake
      COMPATIBILITY SameMinorVersion)
    install(FILES ${CMAKE_CURRENT_BINARY_DIR}/RingtailConfig.cmake
                  ${CMAKE_CURRENT_BINARY_DIR}/RingtailConfigVersion.cmake
                  ${RINGTAIL_CMAKE_DIR}/FindNCCL.cmake
            DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Ringtail)
  endif()
endfunction()
