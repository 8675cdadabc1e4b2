# k6 load tests (k6/): their offline checks, and running them.
#
#   make k6-check                   type-check the scripts, run their unit tests
#   make loadtest                   smoke-test foo and factorial with k6
#   make loadtest SCENARIO=load SCRIPTS=foo FOO_URL=http://127.0.0.1:8080 RATE=100
#
# loadtest runs the k6 on the PATH against the published ports (the scripts'
# defaults, 127.0.0.1:8080 and :8081). Without one, it runs the grafana/k6
# image as the compose service "k6" (profile "loadtest") on the stack's
# network, where the compose file points it at http://foo:8080 and
# http://factorial:8081. LOADTEST_VIA=local or compose chooses explicitly.
# Summaries go to k6/results/<script>-summary.json.

K6_DIR := k6
K6_STAMP := $(K6_DIR)/node_modules/.installed
NPM ?= npm
NODE ?= node
K6 ?= k6
SCENARIO ?= smoke
SCRIPTS ?= foo factorial
LOADTEST_VIA ?= auto

# Docker Compose v2 where it exists, else v1. mk/docker.mk, read first, sets
# both COMPOSE and DC (compose with the stack's project and variables); these
# stand in when it is absent.
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 \
	&& echo 'docker compose' || echo docker-compose)
K6_COMPOSE = $(if $(DC),$(DC),$(COMPOSE))

# Variables the scripts read (see k6/README.md). Those given on make's command
# line or in the environment reach k6; the rest keep the scripts' defaults.
K6_VARS := FOO_URL FACTORIAL_URL RATE DURATION VUS ITERATIONS PRE_VUS MAX_VUS START_RATE PEAK_RATE \
	STEPS STEP_RAMP STEP_DURATION P95_MS P99_MS LARGE_P95_MS LARGE_P99_MS REQUEST_TIMEOUT \
	SETUP_TIMEOUT FORCE_EVERY FACTORIAL_MAX_N MAX_LOGGED_FAILURES SUMMARY_DIR SUMMARY_FILE
k6_given = $(foreach v,$(K6_VARS),$(if $(filter command line environment,$(origin $(v))),$(v)))
k6_env = SCENARIO='$(SCENARIO)' $(foreach v,$(k6_given),$(v)='$($(v))')
k6_compose_env = -e SCENARIO='$(SCENARIO)' $(foreach v,$(k6_given),-e $(v)='$($(v))')

.PHONY: k6-check k6-typecheck k6-unit k6-expected k6-expected-check loadtest

# npm ci again only when package.json or the lockfile changed since the last one.
$(K6_STAMP): $(K6_DIR)/package.json $(K6_DIR)/package-lock.json
	$(call say,NPM,$(K6_DIR))
	$(Q)cd $(K6_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

k6-check: k6-typecheck k6-unit k6-expected-check ## Type-check the k6 scripts, run their tests

k6-typecheck: $(K6_STAMP)
	$(call say,TSC,$(K6_DIR))
	$(Q)cd $(K6_DIR) && ./node_modules/.bin/tsc -p tsconfig.json

k6-unit: $(K6_STAMP)
	$(Q)cd $(K6_DIR) && $(NODE) --test test/*.test.js

k6-expected: ## Regenerate k6/data/factorial-expected.json from the mix
	$(Q)$(PYTHON) $(K6_DIR)/tools/gen_expected.py

k6-expected-check:
	$(Q)$(PYTHON) $(K6_DIR)/tools/gen_expected.py --check

loadtest: ## Run k6 on foo and factorial (SCENARIO=smoke|load|stress|soak, SCRIPTS, FOO_URL...)
	@mkdir -p $(K6_DIR)/results
	$(Q)via='$(LOADTEST_VIA)'; \
	if [ "$$via" = auto ]; then \
		if command -v $(K6) >/dev/null 2>&1; then via=local; else via=compose; fi; \
	fi; \
	tty=; [ -t 0 ] || tty=-T; \
	status=0; \
	for script in $(SCRIPTS); do \
		echo "loadtest: $$script.js, scenario $(SCENARIO), with $$via k6"; \
		case "$$via" in \
		local) $(k6_env) $(K6) run $(K6_DIR)/$$script.js || status=1 ;; \
		compose) K6_USER="$$(id -u):$$(id -g)" $(K6_COMPOSE) --profile loadtest run --rm $$tty \
			$(k6_compose_env) k6 run /scripts/$$script.js || status=1 ;; \
		*) echo "loadtest: LOADTEST_VIA must be auto, local or compose" >&2; exit 2 ;; \
		esac; \
	done; \
	exit $$status

TEST_STEPS += k6-check
