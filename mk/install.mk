# Installation, following the GNU Makefile conventions (directory variables,
# DESTDIR for staged installs, INSTALL_PROGRAM / INSTALL_DATA):
#
#   make && sudo make install                 # into /usr/local
#   make install PREFIX=$HOME/.local          # no root needed
#   make install DESTDIR=/tmp/stage PREFIX=/usr   # a staged (packaging) install
#   sudo make uninstall                       # same PREFIX as the install
#
# nntrace finds its lessons from its own place (BINDIR/../share/nntrace/lessons,
# so a moved installation still works), else in $(lessondir), which install
# writes into the installed binary (scripts/setlessondir.sh): any bindir and
# datadir work.
# `make install` does not run scripts/deps.sh; build first (make, or make run).

PACKAGE      = nntrace
PREFIX      ?= /usr/local
prefix      ?= $(PREFIX)
exec_prefix ?= $(prefix)
bindir      ?= $(exec_prefix)/bin
datarootdir ?= $(prefix)/share
datadir     ?= $(datarootdir)
lessondir   ?= $(datadir)/$(PACKAGE)/lessons
mandir      ?= $(datarootdir)/man
man1dir     ?= $(mandir)/man1
man5dir     ?= $(mandir)/man5
docdir      ?= $(datarootdir)/doc/$(PACKAGE)
bashcompdir ?= $(datarootdir)/bash-completion/completions

INSTALL         ?= install
INSTALL_PROGRAM ?= $(INSTALL)
INSTALL_DATA    ?= $(INSTALL) -m 644

INST_LESSONS := $(notdir $(wildcard lessons/*.lesson))
INST_DOCS    := $(wildcard docs/*.md docs/*.png)

.PHONY: install install-strip installdirs uninstall man
# The manual pages take their lists from the binary: nntrace(1) each
# command's options from its --help, nntrace-lesson(5) the keys from the
# parser's table (`nntrace keys`).
MANPAGES := $(BUILD)/man/nntrace.1 $(BUILD)/man/nntrace-lesson.5
man: $(MANPAGES)
# Built with the program (make, make run), so that `sudo make install`
# only copies and leaves no root-owned file in the build directory.
all: $(MANPAGES)
$(BUILD)/man/%: man/%.in $(BUILD)/nntrace scripts/manpage.sh
	@mkdir -p $(dir $@)
	sh scripts/manpage.sh $(BUILD)/nntrace $< > $@.tmp && mv $@.tmp $@

installdirs:
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(lessondir) $(DESTDIR)$(man1dir) \
	  $(DESTDIR)$(man5dir) $(DESTDIR)$(docdir)/docs $(DESTDIR)$(bashcompdir)

install: $(BUILD)/nntrace $(MANPAGES) installdirs
	$(INSTALL_PROGRAM) $(BUILD)/nntrace $(DESTDIR)$(bindir)/nntrace
	sh scripts/setlessondir.sh "$(DESTDIR)$(bindir)/nntrace" "$(lessondir)"
	$(INSTALL_DATA) $(addprefix lessons/,$(INST_LESSONS)) $(DESTDIR)$(lessondir)
	$(INSTALL_DATA) $(BUILD)/man/nntrace.1 $(DESTDIR)$(man1dir)/nntrace.1
	$(INSTALL_DATA) $(BUILD)/man/nntrace-lesson.5 $(DESTDIR)$(man5dir)/nntrace-lesson.5
	$(INSTALL_DATA) completion/nntrace.bash $(DESTDIR)$(bashcompdir)/nntrace
	$(INSTALL_DATA) README.md $(DESTDIR)$(docdir)/README.md
	$(INSTALL_DATA) $(INST_DOCS) $(DESTDIR)$(docdir)/docs

install-strip:
	$(MAKE) --no-print-directory INSTALL_PROGRAM='$(INSTALL_PROGRAM) -s' install

# Removes what install copied, then the package's own directories if they
# are empty (a lesson someone added by hand stays, and so does its directory).
uninstall:
	rm -f $(DESTDIR)$(bindir)/nntrace
	rm -f $(addprefix $(DESTDIR)$(lessondir)/,$(INST_LESSONS))
	rm -f $(DESTDIR)$(man1dir)/nntrace.1 $(DESTDIR)$(man5dir)/nntrace-lesson.5
	rm -f $(DESTDIR)$(bashcompdir)/nntrace
	rm -f $(DESTDIR)$(docdir)/README.md $(addprefix $(DESTDIR)$(docdir)/,$(INST_DOCS))
	-rmdir $(DESTDIR)$(lessondir) $(DESTDIR)$(datadir)/$(PACKAGE) $(DESTDIR)$(docdir)/docs $(DESTDIR)$(docdir) 2>/dev/null
