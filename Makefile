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

COMMON_SRCS := common/log.c common/config.c common/request_id.c
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
	$(Q)$(CC) $(LDFLAGS_ALL) $^ -o $@ $(call pc_libs,fcgi json-c hiredis gmp)

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

clean: ## Remove build/
	rm -rf build

# Targets of their own subjects: containers, k6, CI tooling.
include $(sort $(wildcard mk/*.mk))

-include $(shell find build -name '*.d' 2>/dev/null)
