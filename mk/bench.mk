# Benchmarks (bench/): foo and factorial against their limits, with wrk.
#
#   make bench                                    every part; results into bench/results/
#   make bench ONLY=foo ROUNDS=2 DURATION=5       one part, quickly (into build/bench/)
#   make bench-soak SOAK_SECONDS=120              the memory soak alone
#
# Knobs (environment or make's command line): ONLY, ROUNDS, DURATION, WARMUP,
# THREADS, CONNECTIONS, FOO_PROCS, FACTORIAL_PROCS, PY_GOOD_WORKERS,
# PY_GOOD_WORKER_CLASS, SOAK_SECONDS, SOAK_INTERVAL, STRACE_REQUESTS, OUT_DIR,
# KEEP. docs/performance.md explains each and the method. Not part of
# `make test`: timings are only meaningful on a quiet machine.

.PHONY: bench bench-soak bench-deps bench-print-flags bench-check

# In make test: the committed results and the benchmark's arithmetic, no load.
TEST_STEPS += bench-check

bench-check: ## Check the committed bench results and the ratio arithmetic (no load)
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests/bench

BENCH_VARS := ONLY ROUNDS DURATION WARMUP THREADS CONNECTIONS FOO_PROCS FACTORIAL_PROCS \
	PY_GOOD_WORKERS PY_GOOD_WORKER_CLASS SOAK_SECONDS SOAK_INTERVAL STRACE_REQUESTS OUT_DIR KEEP
bench_given = $(foreach v,$(BENCH_VARS),\
	$(if $(filter command line environment,$(origin $(v))),$(v)='$($(v))'))

# What the benchmark runs on top of the build and test packages.
BENCH_PACKAGES := wrk lighttpd redis-server redis-tools strace libgmp-dev python3-flask \
	python3-grpcio gunicorn python3-matplotlib linux-perf

bench-deps: deps ## Install what the benchmark needs (wrk, gunicorn, Flask...; sudo when not root)
	$(Q)missing=; for p in $(BENCH_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
		echo "installing:$$missing"; \
		$$sudo apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends \
			$$missing >/dev/null; \
	fi

# The release build, whatever SANITIZE says: sanitizers would measure themselves.
bench: bench-deps ## Benchmark foo and factorial against their limits (ONLY=, ROUNDS=, DURATION=...)
	$(Q)$(MAKE) --no-print-directory SANITIZE=0 programs
	$(Q)$(bench_given) BIN_DIR=build/bin $(PYTHON) bench/run.py

bench-soak: bench-deps ## Memory soak: foo and factorial at half saturation (SOAK_SECONDS=300)
	$(Q)$(MAKE) --no-print-directory SANITIZE=0 programs
	$(Q)$(bench_given) ONLY=soak BIN_DIR=build/bin $(PYTHON) bench/run.py

# The flags bench/gmp_factorial.c is compiled with: the project's release ones.
bench-print-flags:
	@echo '$(BASE_CFLAGS) $(call pc_cflags,gmp)'
	@echo '$(HARDEN_LDFLAGS)'
