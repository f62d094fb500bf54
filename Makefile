# swvpnd: build, test, demo, install. Install logic lives in scripts/install.sh
# (one implementation for hosts with and without make).
#
#   make build                      release binaries at .build/release/{swvpnd,swvpn-monitor}
#   make install [DESTDIR=..] [PREFIX=/usr/local]
#   make uninstall [DESTDIR=..] [PREFIX=/usr/local]
#   make deb [DEB_VERSION=..]       Debian package in out/ (scripts/deb.sh)

PREFIX    ?= /usr/local
DESTDIR   ?=
UNITDIR   ?= /usr/lib/systemd/system
SYSCTLDIR ?= /usr/lib/sysctl.d
CONFDIR   ?= /etc/swvpnd
BINARY    ?= .build/release/swvpnd

# The Swift runtime is linked in statically: the binaries need nothing from the
# Swift toolchain, only libcrypto (OpenSSL 3), liblzo2, liblz4 and base system libraries (libc,
# libm, and libstdc++/libgcc_s, which the static Swift runtime still links).
# swvpn-monitor also links libcurl and libxml2 (FoundationNetworking's URLSession):
# building it needs libcurl4-openssl-dev and libxml2-dev.
SWIFT_BUILD = swift build -c release --static-swift-stdlib --product swvpnd && \
	swift build -c release --static-swift-stdlib --product swvpn-monitor
MONITOR_BINARY ?= $(dir $(BINARY))swvpn-monitor

INSTALL_ENV = DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" UNITDIR="$(UNITDIR)" \
	SYSCTLDIR="$(SYSCTLDIR)" CONFDIR="$(CONFDIR)" BINARY="$(BINARY)" \
	MONITOR_BINARY="$(MONITOR_BINARY)"

.PHONY: all build test demo install uninstall check-units deb

all: build

build:
	$(SWIFT_BUILD)

# install builds only when no binary exists yet, so "make build" as a user and
# then "make install" as root does not recompile as root.
$(BINARY) $(MONITOR_BINARY):
	$(SWIFT_BUILD)

test:
	./scripts/test.sh

demo:
	./scripts/demo.sh

install: $(BINARY) $(MONITOR_BINARY)
	$(INSTALL_ENV) ./scripts/install.sh install

uninstall:
	$(INSTALL_ENV) ./scripts/install.sh uninstall

check-units:
	./scripts/check-units.sh

deb: $(BINARY) $(MONITOR_BINARY)
	BINARY="$(BINARY)" MONITOR_BINARY="$(MONITOR_BINARY)" ./scripts/deb.sh
