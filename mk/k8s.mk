# Kubernetes manifests (deploy/k8s/): render every overlay, validate it
# strictly against the Kubernetes API schemas, test what it says.
#
#   make k8s-lint      render each overlay (kubectl kustomize) into build/k8s/
#                      and validate every object against the v1.33 schemas
#   make k8s-check     the validator's own tests, then tests/k8s on the
#                      rendered overlays (probes, security, wiring, network
#                      policies, prod scaling), each with cases that must fail
#   make k8s-measure   measure CPU and memory under load (native stack, wrk)
#                      and print the requests and limits the rule gives
#
# The validator is a small node project, pinned by its package-lock.json;
# `npm ci` runs again only when the lock file changes. kubectl (with its
# built-in kustomize) must be on the PATH; KUBECTL=path overrides.

K8S_DIR := deploy/k8s
K8S_VALIDATE_DIR := $(K8S_DIR)/validate
K8S_VALIDATE_STAMP := $(K8S_VALIDATE_DIR)/node_modules/.installed
K8S_RENDERED := build/k8s
K8S_OVERLAYS := $(sort $(patsubst $(K8S_DIR)/overlays/%/kustomization.yaml,%,\
	$(wildcard $(K8S_DIR)/overlays/*/kustomization.yaml)))
KUBECTL ?= kubectl
# make k8s-measure K8S_MEASURE_ARGS=--write also rewrites measurements.json.
K8S_MEASURE_ARGS ?=
NPM ?= npm
NODE ?= node

.PHONY: k8s-lint k8s-check k8s-render k8s-measure k8s-tools

$(K8S_VALIDATE_STAMP): $(K8S_VALIDATE_DIR)/package.json $(K8S_VALIDATE_DIR)/package-lock.json
	$(call say,NPM,$(K8S_VALIDATE_DIR))
	$(Q)cd $(K8S_VALIDATE_DIR) && $(NPM) ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

k8s-tools:
	@command -v $(KUBECTL) >/dev/null 2>&1 || { \
		echo 'kubectl not found: the overlays are rendered with kubectl kustomize' \
			'(set KUBECTL=/path/to/kubectl)' >&2; exit 1; }

k8s-render: k8s-tools ## Render every overlay of deploy/k8s into build/k8s/<overlay>.yaml
	@mkdir -p $(K8S_RENDERED)
	$(Q)set -e; for overlay in $(K8S_OVERLAYS); do \
		printf '  %-6s %s\n' KUSTZ $(K8S_DIR)/overlays/$$overlay; \
		$(KUBECTL) kustomize $(K8S_DIR)/overlays/$$overlay > $(K8S_RENDERED)/$$overlay.yaml.tmp; \
		mv $(K8S_RENDERED)/$$overlay.yaml.tmp $(K8S_RENDERED)/$$overlay.yaml; \
	done

k8s-lint: k8s-render $(K8S_VALIDATE_STAMP) ## Validate every overlay against the v1.33 API, strictly
	$(Q)$(NODE) $(K8S_VALIDATE_DIR)/validate.mjs $(K8S_OVERLAYS:%=$(K8S_RENDERED)/%.yaml)

k8s-check: k8s-tools $(K8S_VALIDATE_STAMP) ## Test what the rendered overlays say
	$(Q)cd $(K8S_VALIDATE_DIR) && $(NODE) --test --test-reporter=spec test/
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests/k8s

k8s-measure: programs ## Measure CPU and memory under load (wrk), print requests and limits
	$(Q)$(PYTHON) $(K8S_DIR)/measure.py --bin-dir $(BIN) $(K8S_MEASURE_ARGS)

# In `make lint` and `make test`: skipped, and said so, where there is no
# kubectl (the Debian container of the CI's lint and test jobs); the CI's
# k8s-static job runs both on a runner that has it.
.PHONY: k8s-lint-step k8s-check-step
k8s-lint-step k8s-check-step:
	@if command -v $(KUBECTL) >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(@:-step=); \
	else \
		echo '$(@:-step=) skipped: kubectl not found'; \
	fi

LINT_STEPS += k8s-lint-step
TEST_STEPS += k8s-check-step
