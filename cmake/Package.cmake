# Installation layout and the Debian package (`cmake --install`, `make install`, `make deb`).
#
# The prefix is /usr unless one is given: vigild goes to /usr/sbin (where the systemd unit runs
# it), vigilctl and vigil-genhash to /usr/bin, the man pages (gzipped, as Debian ships them) to
# /usr/share/man, the unit to /usr/lib/systemd/system and the example configuration to
# /usr/share/doc/vigil/examples.

include(GNUInstallDirs)

set(VIGIL_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
    "Where the systemd unit is installed (relative to the prefix unless absolute)")

# Man pages: docs/NAME.SECTION -> share/man/manSECTION/NAME.SECTION.gz
set(vigil_man_pages vigild.8 vigil.conf.5 vigilctl.1 vigil-genhash.1)
set(vigil_man_gz)
foreach(page ${vigil_man_pages})
  string(REGEX MATCH "[0-9]$" section ${page})
  set(src ${PROJECT_SOURCE_DIR}/docs/${page})
  set(gz ${PROJECT_BINARY_DIR}/man/${page}.gz)
  add_custom_command(OUTPUT ${gz}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND gzip -9n -c ${src} > ${gz}
    DEPENDS ${src} VERBATIM)
  list(APPEND vigil_man_gz ${gz})
  install(FILES ${gz} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
add_custom_target(vigil_man_pages ALL DEPENDS ${vigil_man_gz})

install(FILES ${PROJECT_SOURCE_DIR}/packaging/vigild.service DESTINATION ${VIGIL_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/keepalived.conf.example
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples RENAME keepalived.conf)

# The Debian package: `cpack -G DEB` in the build directory (or `make deb`).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME vigil)
set(CPACK_PACKAGE_VENDOR "vigil")
set(CPACK_PACKAGE_CONTACT "vigil maintainers <vigil@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "high-availability and load-balancing daemon reading keepalived's configuration")
set(CPACK_PACKAGE_DESCRIPTION
    "vigil elects a master among load balancers with VRRP (v2 and v3, IPv4 and IPv6), moves\n\
the virtual addresses to it, health-checks the real servers behind each virtual service\n\
and keeps the kernel's load balancer (IPVS, or nftables) in step with their health.\n\
It reads keepalived.conf unchanged and can be installed beside keepalived.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: the shared libraries, from dpkg-shlibdeps (libc6, libstdc++6, libssl3, libmnl0,
# libnftables1, libsystemd0, ...); vigil runs no other program of its own. Suggests: the
# tools to look at the kernel tables vigil keeps, and what the example configuration runs.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nftables, ipvsadm, haproxy, psmisc")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
