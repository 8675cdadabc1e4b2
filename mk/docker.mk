# Containers: the images (Dockerfile) and the compose stack (docker-compose.yaml).
#
#   make build        build the four images, print their sizes
#   make run          build, start, wait until every service is healthy
#   make stop / logs / ps
#   make e2e          the compose stack's end-to-end test (tests/compose/)
#
# Compose v2 (`docker compose`) is used when the Docker CLI has it, Debian's
# docker-compose v1 otherwise; the compose file suits both. The project name
# is compose's default (this directory's name), so plain `docker compose ...`
# commands see the stack `make run` started; COMPOSE_PROJECT=name overrides.
#
# Nothing here is exported: these variables reach only the docker commands
# below, so the C build does not run git or docker on every line.

# Probed on first use only, then kept.
COMPOSE ?= $(eval COMPOSE := $(shell docker compose version >/dev/null 2>&1 \
	&& echo 'docker compose' || echo docker-compose))$(COMPOSE)
COMPOSE_PROJECT ?=

# The Dockerfile's pin (its debian-base stage) is the only one written down;
# compose gets it here.
DEBIAN_IMAGE ?= $(shell sed -n 's/^FROM[[:space:]]*\([^[:space:]]*\)[[:space:]]*AS[[:space:]]*debian-base[[:space:]]*$$/\1/p' \
	Dockerfile)
OCI_REVISION ?= $(shell git describe --always --dirty --abbrev=40 2>/dev/null || echo unknown)
FOO_PORT ?= 8080
FACTORIAL_PORT ?= 8081
DOCKERHUB_NAMESPACE ?= foobar
# Compose v1 and the classic builder can build on the host's network (needed
# where the engine runs with --iptables=false); v2 builds through buildx
# bake, which refuses it without an interactive confirmation.
FOOBAR_BUILD_NETWORK ?= $(if $(filter docker compose,$(COMPOSE)),default,host)
# How long `make run` waits for every service to be healthy, seconds.
RUN_TIMEOUT ?= 120

DC_ENV = DEBIAN_IMAGE='$(DEBIAN_IMAGE)' OCI_REVISION='$(OCI_REVISION)' \
	FOO_PORT='$(FOO_PORT)' FACTORIAL_PORT='$(FACTORIAL_PORT)' \
	DOCKERHUB_NAMESPACE='$(DOCKERHUB_NAMESPACE)' FOOBAR_BUILD_NETWORK='$(FOOBAR_BUILD_NETWORK)'
DC = $(DC_ENV) $(COMPOSE) $(if $(COMPOSE_PROJECT),-p $(COMPOSE_PROJECT))

# The services `up` starts; k6 (profile loadtest) is not one. Compose v1's
# `config --services` lists profiled services too, so it cannot tell.
STACK_SERVICES := redis bar foo factorial

IMAGES = $(DOCKERHUB_NAMESPACE)/foo:latest $(DOCKERHUB_NAMESPACE)/bar:latest \
	$(DOCKERHUB_NAMESPACE)/factorial:latest foobar-redis:local

.PHONY: build run stop logs ps base-images e2e docker-engine base-image

docker-engine:
	@docker info >/dev/null 2>&1 || { \
		echo 'No Docker engine answers. Start one: scripts/docker-engine.sh start' >&2; \
		exit 1; }

# The registry's image when one answers; a local stand-in only when the
# pinned image is neither here nor pullable.
base-image: docker-engine
	@docker image inspect '$(DEBIAN_IMAGE)' >/dev/null 2>&1 \
		|| docker pull '$(DEBIAN_IMAGE)' \
		|| { echo 'Cannot pull $(DEBIAN_IMAGE): making a local stand-in.' >&2; \
			scripts/docker-base-images.sh '$(DEBIAN_IMAGE)'; }

base-images: docker-engine ## Make local stand-ins for the base images (no registry needed)
	scripts/docker-base-images.sh

build: base-image ## Build the foo, bar, factorial and redis images, print their sizes
	$(DC) build
	@echo 'Image sizes:'
	@for image in $(IMAGES); do \
		printf '  %-28s %s\n' "$$image" "$$(docker image ls --format '{{.Size}}' "$$image")"; \
	done

# `up --wait` exists only in v2; this loop works with both. Compose v1
# already waits for the dependencies' health before starting foo and
# factorial, and fails if one turns unhealthy.
run: build ## Start the stack; return once every service is healthy
	$(DC) up -d --remove-orphans
	@want=$(words $(STACK_SERVICES)); \
	start=$$SECONDS; \
	while :; do \
		states=$$($(DC) ps -a -q $(STACK_SERVICES) | xargs -r docker inspect -f \
			'{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}'); \
		healthy=$$(grep -cx healthy <<<"$$states" || true); \
		[ "$$healthy" -eq "$$want" ] && break; \
		if [ $$((SECONDS - start)) -ge $(RUN_TIMEOUT) ] \
			|| grep -qxE 'unhealthy|exited|dead' <<<"$$states"; then \
			echo "make run: $$healthy of $$want services healthy after" \
				"$$((SECONDS - start)) s (limit $(RUN_TIMEOUT) s):" >&2; \
			$(DC) ps >&2; \
			$(DC) logs --no-color --tail=30 >&2; \
			exit 1; \
		fi; \
		sleep 1; \
	done
	@echo 'Every service is healthy:'
	@echo '  curl http://127.0.0.1:$(FOO_PORT)/foo'
	@echo "  curl -H 'Content-Type: application/json' -d '{\"number\":10}'" \
		'http://127.0.0.1:$(FACTORIAL_PORT)/factorial'

stop: ## Stop the stack and remove its containers and network
	$(DC) down --remove-orphans

logs: ## Follow the stack's logs
	$(DC) logs -f --tail=100

ps: ## Show the stack's containers and their health
	$(DC) ps

# The Dockerfile and the compose file, with linters from npm (tools/):
# dockerfile-utils (the Dockerfile language server's checks; any finding,
# warnings included, fails) and dclint (the Compose specification's schema
# and its rules, configured in tools/dclint.yaml). Then Compose itself
# reads the file, where one is installed (not in CI's lint container).
.PHONY: docker-lint
docker-lint: $(CI_TOOLS_STAMP) ## Lint the Dockerfile and docker-compose.yaml
	$(call say,DFLINT,Dockerfile)
	$(Q)out=$$(tools/node_modules/.bin/dockerfile-utils lint Dockerfile) \
		&& [ -z "$$out" ] || { printf '%s\n' "$$out"; exit 1; }
	$(call say,DCLINT,docker-compose.yaml)
	$(Q)tools/node_modules/.bin/dclint --config tools/dclint.yaml --max-warnings 0 \
		docker-compose.yaml
	$(Q)if command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1; \
	then \
		printf '  %-6s %s\n' CONFIG 'compose config'; \
		$(DC) --profile loadtest config -q; \
	else \
		echo 'compose config skipped: no Docker Compose'; \
	fi

LINT_STEPS += docker-lint

# Part of `make test`, which runs everywhere: skipped, not failed, where no
# engine answers.
TEST_STEPS += e2e

e2e: ## End-to-end test of the compose stack (skipped when no Docker engine answers)
	@if ! docker info >/dev/null 2>&1; then \
		echo 'e2e skipped: no Docker engine'; \
	else \
		$(MAKE) --no-print-directory base-image && \
		$(DC_ENV) COMPOSE='$(COMPOSE)' $(PYTHON) -m pytest -v -p no:cacheprovider tests/compose; \
	fi
