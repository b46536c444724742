# The man page and the bash, zsh and fish completions, generated at build time by nbd-cli-docs
# (tools/cli_docs) from the same option table that parses the command line and prints --help,
# the built-in rules and the man page's prose template (packaging/man/nix-builder-doctor.1.in).
# The generator runs on the build machine: a cross build turns this off with -DNBD_DOCS=OFF.
include(GNUInstallDirs)
file(GLOB NBD_CLI_DOCS_SOURCES CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_docs/*.cpp)
add_executable(nbd-cli-docs ${NBD_CLI_DOCS_SOURCES})
target_link_libraries(nbd-cli-docs PRIVATE nbd_cli)
target_compile_definitions(nbd-cli-docs PRIVATE NBD_VERSION="${PROJECT_VERSION}")

# Where zsh looks: share/zsh/site-functions under upstream zsh's and Nix's prefixes (and
# /usr/local), share/zsh/vendor-completions for a Debian package under /usr (Debian's zsh has
# /usr/share/zsh/vendor-completions in its fpath, not /usr/share/zsh/site-functions).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(NBD_ZSH_DEFAULT_DIR "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
else()
  set(NBD_ZSH_DEFAULT_DIR "${CMAKE_INSTALL_DATADIR}/zsh/site-functions")
endif()
# Empty: the default for the prefix, decided at every configure (a re-configure with another prefix follows it).
set(NBD_ZSH_COMPLETION_DIR "" CACHE STRING "where the zsh completion is installed, relative to the prefix (empty: by prefix)")
if(NBD_ZSH_COMPLETION_DIR)
  set(NBD_ZSH_INSTALL_DIR "${NBD_ZSH_COMPLETION_DIR}")
else()
  set(NBD_ZSH_INSTALL_DIR "${NBD_ZSH_DEFAULT_DIR}")
endif()

set(NBD_DOCS_OUT ${CMAKE_CURRENT_BINARY_DIR}/generated)
set(NBD_MAN_TEMPLATE ${CMAKE_CURRENT_SOURCE_DIR}/packaging/man/nix-builder-doctor.1.in)
set(NBD_MAN_PAGE ${NBD_DOCS_OUT}/nix-builder-doctor.1)
set(NBD_BASH_COMPLETION ${NBD_DOCS_OUT}/nix-builder-doctor.bash)
set(NBD_ZSH_COMPLETION ${NBD_DOCS_OUT}/_nix-builder-doctor)
set(NBD_FISH_COMPLETION ${NBD_DOCS_OUT}/nix-builder-doctor.fish)
add_custom_command(
  OUTPUT ${NBD_MAN_PAGE} ${NBD_BASH_COMPLETION} ${NBD_ZSH_COMPLETION} ${NBD_FISH_COMPLETION}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${NBD_DOCS_OUT}
  COMMAND nbd-cli-docs man ${NBD_MAN_TEMPLATE} ${NBD_MAN_PAGE}
  COMMAND nbd-cli-docs bash ${NBD_BASH_COMPLETION}
  COMMAND nbd-cli-docs zsh ${NBD_ZSH_COMPLETION}
  COMMAND nbd-cli-docs fish ${NBD_FISH_COMPLETION}
  DEPENDS nbd-cli-docs ${NBD_MAN_TEMPLATE}
  COMMENT "Generating the man page and shell completions from the option table")
add_custom_target(nbd_cli_docs ALL DEPENDS ${NBD_MAN_PAGE} ${NBD_BASH_COMPLETION} ${NBD_ZSH_COMPLETION} ${NBD_FISH_COMPLETION})

install(FILES ${NBD_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${NBD_BASH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME nix-builder-doctor)
install(FILES ${NBD_ZSH_COMPLETION} DESTINATION ${NBD_ZSH_INSTALL_DIR})
install(FILES ${NBD_FISH_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d)
