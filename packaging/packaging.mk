# Packages: `make deb` and `make rpm` (included from the top Makefile).
#
# Both build from a copy of the tree, never from the checkout itself: the
# checkout's build/ (and $(OUT)) stay untouched, and what gets packaged is
# exactly the files git knows about (tracked, or new and not ignored).
#
#   make deb [OUT=DIR]   $(OUT)/deb/permafrost_<version>_amd64.deb (+ .changes,
#                        .buildinfo, lintian.txt); lintian must pass
#   make rpm [OUT=DIR]   $(OUT)/rpm/permafrost-<version>-1.<arch>.rpm
#
# Needs: dpkg-dev, debhelper, lintian (deb); rpm (rpmbuild; Debian's rpm
# package is enough, build dependencies are not checked against an rpm
# database that Debian does not have).

.PHONY: deb rpm pkg-src

PKG_NAME   := permafrost
PKG_OUT    := $(abspath $(OUT))
PKG_SRCDIR := $(PKG_NAME)-$(VERSION)
PKG_TAR    := $(PKG_OUT)/pkg/$(PKG_SRCDIR).tar.gz
# The outer make's settings (OUT=, V=, CC=...) must not leak into the
# package builds, which choose their own.
PKG_ENV    := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES

# The source tarball: tracked files plus new, not ignored ones (so work in
# progress is packaged as it is), minus build products. Outside a git
# checkout: the whole tree minus build/ and $(OUT).
pkg-src:
	$(call msg,TAR,$(PKG_TAR))
	$(Q)rm -rf $(PKG_OUT)/pkg && mkdir -p $(PKG_OUT)/pkg/$(PKG_SRCDIR)
	$(Q)if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard | \
		tar --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null; \
	else \
		tar --exclude=./build --exclude=./.git --exclude='./$(OUT)' -cf - .; \
	fi | tar -C $(PKG_OUT)/pkg/$(PKG_SRCDIR) -xf -
	$(Q)rm -rf $(PKG_OUT)/pkg/$(PKG_SRCDIR)/build
	$(Q)tar -C $(PKG_OUT)/pkg --owner=0 --group=0 -czf $(PKG_TAR) $(PKG_SRCDIR)

# dpkg-buildpackage in the copy, with packaging/debian/ as debian/. The
# .deb lands next to the copy; it is moved to $(OUT)/deb/.
deb: pkg-src
	$(call msg,DEB,$(PKG_OUT)/deb)
	$(Q)rm -rf $(PKG_OUT)/deb && mkdir -p $(PKG_OUT)/deb
	$(Q)cp -a packaging/debian $(PKG_OUT)/pkg/$(PKG_SRCDIR)/debian
	$(Q)cd $(PKG_OUT)/pkg/$(PKG_SRCDIR) && \
		$(PKG_ENV) dpkg-buildpackage -b -us -uc --jobs=auto > $(PKG_OUT)/deb/build.log 2>&1 || \
		{ tail -n 40 $(PKG_OUT)/deb/build.log; exit 1; }
	$(Q)mv $(PKG_OUT)/pkg/$(PKG_NAME)*.deb $(PKG_OUT)/pkg/$(PKG_NAME)_*.changes \
		$(PKG_OUT)/pkg/$(PKG_NAME)_*.buildinfo $(PKG_OUT)/deb/
	$(call msg,LINTIAN,$(PKG_OUT)/deb)
	$(Q)lintian --fail-on error,warning --display-info $(PKG_OUT)/deb/*.changes \
		> $(PKG_OUT)/deb/lintian.txt 2>&1; r=$$?; cat $(PKG_OUT)/deb/lintian.txt; exit $$r
	$(Q)ls $(PKG_OUT)/deb/*.deb

# rpmbuild with a private %_topdir and the tarball as Source0.
rpm: pkg-src
	$(call msg,RPM,$(PKG_OUT)/rpm)
	$(Q)rm -rf $(PKG_OUT)/rpm $(PKG_OUT)/rpmbuild
	$(Q)mkdir -p $(PKG_OUT)/rpm $(PKG_OUT)/rpmbuild/SOURCES
	$(Q)cp $(PKG_TAR) $(PKG_OUT)/rpmbuild/SOURCES/
	$(Q)$(PKG_ENV) rpmbuild --define '_topdir $(PKG_OUT)/rpmbuild' \
		--define 'pf_version $(VERSION)' --nodeps \
		-bb packaging/rpm/permafrost.spec > $(PKG_OUT)/rpm/build.log 2>&1 || \
		{ tail -n 40 $(PKG_OUT)/rpm/build.log; exit 1; }
	$(Q)mv $(PKG_OUT)/rpmbuild/RPMS/*/*.rpm $(PKG_OUT)/rpm/
	$(Q)ls $(PKG_OUT)/rpm/*.rpm
