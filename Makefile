# ec2d build. `make` builds build/ec2d; `make check` builds and runs the unit
# tests; `make SAN=1 ...` does the same with address+undefined sanitizers in
# build-san/; `make WERROR=1` turns warnings into errors (CI does).

CC      ?= cc
PKGS    := libmicrohttpd sqlite3 libcrypto jansson
CFLAGS_PKG := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LIBS_PKG   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wvla -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Isrc $(CFLAGS_PKG)
LDLIBS  += $(LIBS_PKG) -pthread

ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif

ifeq ($(SAN),1)
BUILD   := build-san
CFLAGS  += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
else
BUILD   := build
endif

LIB_SRC := $(sort $(filter-out src/main.c,$(shell find src -name '*.c')))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TEST_BIN := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/ec2d

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libec2d.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ec2d: $(BUILD)/obj/src/main.o $(BUILD)/libec2d.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libec2d.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(BUILD)/libec2d.a $(LDLIBS)

unit: $(TEST_BIN)

# Each unit test prints "N passed, N failed"; check fails if any test does.
check: unit
	@rc=0; for t in $(TEST_BIN); do echo "== $$t"; \
		(cd tests/unit && ../../$$t) || rc=1; done; exit $$rc

# Formatting is .clang-format's (clang-format 14, Debian 12's):
# `make format` rewrites the sources, `make format-check` fails on any
# file that differs from it (scripts/test runs it).
FMT_SRC := $(sort $(shell find src tests -name '*.[ch]'))

format:
	clang-format -i $(FMT_SRC)

format-check:
	clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf build build-san

.PHONY: all unit check clean format format-check
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
