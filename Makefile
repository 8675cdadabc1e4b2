# foobar - FastCGI C services behind lighttpd, a gRPC server on the C core, Redis.
#
# `make` (or `make help`) lists the targets. Native builds land in build/,
# sanitizer builds (AddressSanitizer + UBSan, used by the tests) in build/asan/.

SHELL := /bin/bash
.DEFAULT_GOAL := help

CC ?= cc
PKG_CONFIG ?= pkg-config
PROTOC_C ?= protoc-c
PYTHON ?= /usr/bin/python3

# SANITIZE=1 builds everything with ASan and UBSan into build/asan.
SANITIZE ?= 0
ifeq ($(SANITIZE),1)
BUILD ?= build/asan
# _FORTIFY_SOURCE and ASan check the same things and conflict; keep ASan.
OPTFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
OPTLDFLAGS := -fsanitize=address,undefined
else
BUILD ?= build
OPTFLAGS := -O2 -g -D_FORTIFY_SOURCE=2
OPTLDFLAGS :=
endif

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

GEN := build/gen
OBJ := $(BUILD)/obj
BIN := $(BUILD)/bin

HARDEN_CFLAGS := -fstack-protector-strong -fstack-clash-protection -fcf-protection -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed
WARN_CFLAGS := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
	-Wvla -Wnull-dereference
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN_CFLAGS) $(HARDEN_CFLAGS) $(OPTFLAGS) -MMD -MP \
	-Icommon -I$(GEN)

pc_cflags = $(shell $(PKG_CONFIG) --cflags $(1))
pc_libs = $(shell $(PKG_CONFIG) --libs $(1))

GRPC_PKGS := grpc_unsecure gpr libprotobuf-c
CFLAGS_ALL := $(BASE_CFLAGS) $(call pc_cflags,$(GRPC_PKGS) json-c hiredis fcgi gmp) $(CFLAGS)
LDFLAGS_ALL := $(HARDEN_LDFLAGS) $(OPTLDFLAGS) $(LDFLAGS)

# Generated protobuf-c code warns under our flags; it is compiled on its own terms.
GEN_CFLAGS := -std=c11 $(HARDEN_CFLAGS) $(OPTFLAGS) -w -I$(GEN)

PROTOS := proto/bar.proto proto/grpc/health/v1/health.proto
PROTO_SRCS := $(GEN)/bar.pb-c.c $(GEN)/grpc/health/v1/health.pb-c.c
PROTO_HDRS := $(PROTO_SRCS:.c=.h)
PROTO_OBJS := $(patsubst $(GEN)/%.c,$(OBJ)/gen/%.o,$(PROTO_SRCS))

COMMON_SRCS := common/log.c common/config.c common/request_id.c common/json_strict.c \
	common/resolve.c
GRPC_COMMON_SRCS := common/grpc_util.c common/grpc_unary.c common/health_client.c
COMMON_OBJS := $(COMMON_SRCS:%.c=$(OBJ)/%.o)
GRPC_COMMON_OBJS := $(GRPC_COMMON_SRCS:%.c=$(OBJ)/%.o) $(PROTO_OBJS)

BAR_OBJS := $(OBJ)/bar/main.o $(OBJ)/bar/server.o $(OBJ)/bar/handlers.o
HEALTHCHECK_OBJS := $(OBJ)/bar/healthcheck.o
FCGI_OBJS := $(OBJ)/fcgi/http.o $(OBJ)/fcgi/worker.o
FOO_OBJS := $(OBJ)/fcgi/foo.o $(OBJ)/fcgi/bar_client.o $(FCGI_OBJS)
FACTORIAL_OBJS := $(OBJ)/fcgi/factorial.o $(OBJ)/fcgi/factorial_math.o \
	$(OBJ)/fcgi/factorial_request.o $(OBJ)/fcgi/cache.o $(FCGI_OBJS)
SUPERVISOR_OBJS := $(OBJ)/supervisor/supervisor.o $(OBJ)/supervisor/rewrite.o
HTTP_HEALTHCHECK_OBJS := $(OBJ)/fcgi/healthcheck.o

PROGRAMS := $(BIN)/bar $(BIN)/bar-healthcheck $(BIN)/foo $(BIN)/factorial $(BIN)/supervisor \
	$(BIN)/http-healthcheck

.PHONY: help all programs proto clean
.SECONDARY: $(PROTO_SRCS) $(PROTO_HDRS)
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z0-9_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

all: programs ## Build the C programs into build/bin
programs: $(PROGRAMS)

proto: $(PROTO_SRCS) ## Generate the protobuf-c code from proto/

$(GEN)/%.pb-c.c $(GEN)/%.pb-c.h: proto/%.proto
	@mkdir -p $(GEN)
	$(call say,PROTOC,$<)
	$(Q)$(PROTOC_C) --proto_path=proto --c_out=$(GEN) $<

$(OBJ)/gen/%.o: $(GEN)/%.c $(PROTO_HDRS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(GEN_CFLAGS) -c $< -o $@

$(OBJ)/%.o: %.c | $(PROTO_HDRS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BIN)/bar: $(BAR_OBJS) $(GRPC_COMMON_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(call pc_libs,$(GRPC_PKGS))

$(BIN)/bar-healthcheck: $(HEALTHCHECK_OBJS) $(GRPC_COMMON_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(call pc_libs,$(GRPC_PKGS))

$(BIN)/foo: $(FOO_OBJS) $(GRPC_COMMON_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(call pc_libs,fcgi $(GRPC_PKGS))

$(BIN)/factorial: $(FACTORIAL_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(call pc_libs,fcgi json-c hiredis gmp) -lm

# json-c is linked statically: the supervisor also runs in the Redis image,
# which has no json-c of its own.
$(BIN)/supervisor: $(SUPERVISOR_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ -Wl,-Bstatic $(call pc_libs,json-c) -Wl,-Bdynamic

$(BIN)/http-healthcheck: $(HTTP_HEALTHCHECK_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@

# --- unit tests (cmocka), built and run under ASan + UBSan -------------------

TEST_CFLAGS = $(CFLAGS_ALL) -Ifcgi -Ibar -Isupervisor $(call pc_cflags,cmocka)
UNIT_TESTS := factorial_math factorial_request json_strict log config grpc_status bar_handlers \
	rewrite cache_ttl resolve
UNIT_BINS := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)

$(OBJ)/tests/%.o: tests/unit/%.c | $(PROTO_HDRS)
	@mkdir -p $(dir $@)
	$(call say,CC,$<)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_factorial_math: $(OBJ)/tests/test_factorial_math.o $(OBJ)/fcgi/factorial_math.o
$(BUILD)/tests/test_factorial_math: LIBS = gmp
$(BUILD)/tests/test_factorial_math: EXTRA_LIBS = -lm
$(BUILD)/tests/test_factorial_request: $(OBJ)/tests/test_factorial_request.o \
	$(OBJ)/fcgi/factorial_request.o $(OBJ)/common/json_strict.o
$(BUILD)/tests/test_factorial_request: LIBS = json-c
$(BUILD)/tests/test_json_strict: $(OBJ)/tests/test_json_strict.o $(OBJ)/common/json_strict.o
$(BUILD)/tests/test_log: $(OBJ)/tests/test_log.o $(COMMON_OBJS)
$(BUILD)/tests/test_log: LIBS = json-c
$(BUILD)/tests/test_config: $(OBJ)/tests/test_config.o $(COMMON_OBJS)
$(BUILD)/tests/test_grpc_status: $(OBJ)/tests/test_grpc_status.o $(OBJ)/fcgi/bar_client.o \
	$(GRPC_COMMON_OBJS) $(COMMON_OBJS)
$(BUILD)/tests/test_grpc_status: LIBS = $(GRPC_PKGS)
$(BUILD)/tests/test_bar_handlers: $(OBJ)/tests/test_bar_handlers.o $(OBJ)/bar/handlers.o \
	$(PROTO_OBJS)
$(BUILD)/tests/test_bar_handlers: LIBS = libprotobuf-c
$(BUILD)/tests/test_rewrite: $(OBJ)/tests/test_rewrite.o $(OBJ)/supervisor/rewrite.o $(COMMON_OBJS)
$(BUILD)/tests/test_rewrite: LIBS = json-c
$(BUILD)/tests/test_cache_ttl: $(OBJ)/tests/test_cache_ttl.o $(OBJ)/fcgi/cache.o \
	$(OBJ)/fcgi/factorial_math.o $(COMMON_OBJS)
$(BUILD)/tests/test_cache_ttl: LIBS = hiredis gmp
$(BUILD)/tests/test_cache_ttl: EXTRA_LIBS = -lm
$(BUILD)/tests/test_resolve: $(OBJ)/tests/test_resolve.o $(COMMON_OBJS)

$(UNIT_BINS):
	@mkdir -p $(dir $@)
	$(call say,LD,$@)
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(if $(LIBS),$(call pc_libs,$(LIBS))) $(EXTRA_LIBS) \
		$(call pc_libs,cmocka)

.PHONY: unit unit-run
unit: ## Build and run the cmocka unit tests under ASan + UBSan
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 unit-run

unit-run: $(UNIT_BINS)
	$(Q)set -e; for t in $(UNIT_BINS); do \
		echo "== $$t"; \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $$t; \
	done

# --- the real stack, natively ------------------------------------------------

.PHONY: deps e2e-native dev
deps: ## Install the Debian packages needed to build, test and lint (sudo when not root)
	$(Q)scripts/install-deps.sh

e2e-native: ## End-to-end tests of the native stack (real Redis, lighttpd, gRPC), sanitizer build
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 programs
	$(Q)E2E_BIN_DIR=build/asan/bin $(PYTHON) -m pytest -q -p no:cacheprovider tests/e2e

# Build output goes to stderr, so that stdout carries only the stack's JSON
# lines: `make dev > stack.log` captures a log tests/logcheck.py validates.
dev: ## Run the whole stack as local processes on 127.0.0.1 (Ctrl-C stops it)
	$(Q)$(MAKE) -s --no-print-directory programs >&2
	$(Q)$(PYTHON) scripts/stack.py --bin-dir $(BIN)

# --- test and lint ------------------------------------------------------------

# Other makefiles (mk/*.mk) append their own steps to these.
TEST_STEPS := unit e2e-native
LINT_STEPS := lint-c lint-sh lint-py

.PHONY: test lint lint-c lint-sh lint-py format
test: deps ## Install what is missing, build, run every test (the command CI runs)
	$(Q)set -e; for step in $(TEST_STEPS); do \
		echo "==== make $$step"; $(MAKE) --no-print-directory $$step; \
	done
	@echo "==== all tests passed"

lint: deps ## clang-format, cppcheck, clang-tidy, shellcheck and the other linters
	$(Q)set -e; for step in $(LINT_STEPS); do \
		echo "==== make $$step"; $(MAKE) --no-print-directory $$step; \
	done

C_SOURCES := $(wildcard common/*.c bar/*.c fcgi/*.c supervisor/*.c)
C_HEADERS := $(wildcard common/*.h bar/*.h fcgi/*.h supervisor/*.h)
C_TESTS := $(wildcard tests/unit/*.c)
SHELL_SCRIPTS := $(wildcard scripts/*.sh) lighttpd/config.sh .ci/run
TIDY_FLAGS := -std=c11 -D_GNU_SOURCE -Icommon -I$(GEN) $(call pc_cflags,json-c hiredis)

lint-c: $(PROTO_HDRS)
	$(call say,FORMAT,check)
	$(Q)clang-format --dry-run --Werror $(C_SOURCES) $(C_HEADERS) $(C_TESTS) bench/gmp_factorial.c
	$(call say,CPPCHK,sources)
	@# cppcheck reads no system headers; the generated code checks this version macro.
	$(Q)cppcheck --quiet --std=c11 --enable=warning,style,performance,portability \
		--error-exitcode=1 --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE \
		-DPROTOBUF_C_VERSION_NUMBER=1004001 -Icommon -I$(GEN) -Ifcgi -Ibar -Isupervisor \
		common bar fcgi supervisor tests/unit bench/gmp_factorial.c
	$(call say,TIDY,sources)
	$(Q)for f in $(C_SOURCES); do clang-tidy --quiet $$f -- $(TIDY_FLAGS) 2>/dev/null \
		|| { clang-tidy --quiet $$f -- $(TIDY_FLAGS); exit 1; }; done

lint-sh:
	$(call say,SHCHK,scripts)
	$(Q)shellcheck $(SHELL_SCRIPTS)

lint-py:
	$(call say,PYFLK,python)
	$(Q)pyflakes3 $$(git ls-files '*.py' 2>/dev/null || find scripts tests -name '*.py')

format: ## Reformat the C code with clang-format
	$(Q)clang-format -i $(C_SOURCES) $(C_HEADERS) $(C_TESTS) bench/gmp_factorial.c

clean: ## Remove build/
	rm -rf build

# Targets of their own subjects: containers, k6, CI tooling.
include $(sort $(wildcard mk/*.mk))

-include $(shell find build -name '*.d' 2>/dev/null)
