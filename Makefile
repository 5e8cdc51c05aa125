# agentmem build. `make` builds the library and programs into build/, `make test` runs every
# test, `make run` starts the server on the embedded SQLite default.
# SAN=1 builds with AddressSanitizer and UndefinedBehaviorSanitizer into build-san/,
# SAN=thread with ThreadSanitizer into build-tsan/.

CC      ?= cc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT      = -O1 -g
else ifeq ($(FUZZ),1)
BUILD   ?= build-fuzz
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
OPT      = -O1 -g -Wno-error
else ifeq ($(SAN),thread)
BUILD   ?= build-tsan
SANFLAGS = -fsanitize=thread -fno-omit-frame-pointer
OPT      = -O1 -g
else
BUILD   ?= build
SANFLAGS =
OPT      = -O2 -g
endif

PKGS    := sqlite3 jansson libmicrohttpd
CFLAGS  += -std=c11 -D_GNU_SOURCE -DAM_HAVE_CURL $(OPT) -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -fvisibility=hidden -fPIC -pthread -Iinclude -Isrc -I/usr/include/postgresql $(SANFLAGS)
LDLIBS  += -lsqlite3 -lpq -ljansson -lcurl -lcrypto -lm -pthread
LDFLAGS += $(SANFLAGS)

LIB_SRC  := $(wildcard src/util/*.c src/core/*.c src/store/*.c src/store/sqlite/*.c src/store/postgres/*.c \
                       src/search/*.c src/extract/*.c)
HTTP_SRC := $(wildcard src/api/http/*.c src/daemon/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
AGENT_SRC:= $(wildcard src/agent/*.c)
SIM_SRC  := $(wildcard src/sim/*.c)
UNIT_SRC := $(wildcard tests/unit/*.c)
BENCH_SRC:= $(wildcard bench/*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
HTTP_LIB := $(filter-out src/daemon/%,$(wildcard src/api/http/*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB      := $(BUILD)/libagentmem.a
PROGRAMS := $(if $(HTTP_SRC),$(BUILD)/agentmemd) $(if $(CLI_SRC),$(BUILD)/agentmem) \
            $(if $(AGENT_SRC),$(BUILD)/redshift-migration-agent) \
            $(if $(SIM_SRC),$(BUILD)/redshift-sim)
BENCHES  := $(patsubst bench/%.c,$(BUILD)/%,$(BENCH_SRC))
REPLAYS  := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/replay_%,$(FUZZ_SRC))
FUZZERS  := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/fuzz/fuzz_%,$(FUZZ_SRC))

all: $(LIB) $(PROGRAMS) $(BUILD)/unit-tests $(BENCHES) $(REPLAYS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/agentmemd: $(call obj,$(HTTP_SRC)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

# the CLI embeds the HTTP layer to serve --db files in-process (one code path for both)
$(BUILD)/agentmem: $(call obj,$(CLI_SRC) $(wildcard src/api/http/*.c)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

# the Redshift migration agent (docs/agent.md); the HTTP layer serves AGENTMEM_DB in-process
$(BUILD)/redshift-migration-agent: $(call obj,$(AGENT_SRC) $(HTTP_LIB)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

# a local Redshift / Redshift Serverless control plane for tests and demos (src/sim/)
$(BUILD)/redshift-sim: $(call obj,$(SIM_SRC) src/api/http/sigv4.c) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ -ljansson -lmicrohttpd -lcurl -lcrypto -pthread

# the unit tests also cover the HTTP layer's parsers (SigV4, policies) and the agent's
# reasoning (its sources but main.c)
UNIT_EXTRA := $(HTTP_LIB) $(filter-out src/agent/main.c,$(AGENT_SRC))
$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC) $(UNIT_EXTRA)) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

$(BUILD)/bench_%: $(BUILD)/obj/bench/bench_%.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# fuzz targets (tests/fuzz/): replayed over their corpus by make test with the normal
# compiler; `make fuzz` builds them for libFuzzer with clang, `make fuzz-run` runs each for
# FUZZ_SECONDS, keeping new inputs in build-fuzz/corpus/ (`make fuzz-merge` folds the ones
# that add coverage into tests/fuzz/corpus/)
$(BUILD)/fuzz/replay_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o \
                        $(call obj,$(HTTP_LIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lmicrohttpd

$(BUILD)/fuzz/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(call obj,$(HTTP_LIB)) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS) -lmicrohttpd

FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) FUZZ=1 CC=clang $(patsubst tests/fuzz/fuzz_%.c,build-fuzz/fuzz/fuzz_%,$(FUZZ_SRC))

fuzz-run: fuzz
	@for f in $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC)); do \
	    mkdir -p build-fuzz/corpus/$$f; \
	    echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
	    setarch $$(uname -m) -R build-fuzz/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	        -print_final_stats=1 build-fuzz/corpus/$$f tests/fuzz/corpus/$$f || exit 1; \
	done

fuzz-merge:
	@for f in $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRC)); do \
	    build-fuzz/fuzz/fuzz_$$f -merge=1 tests/fuzz/corpus/$$f build-fuzz/corpus/$$f; \
	done

test: all
	tests/run

run: all
	$(BUILD)/agentmemd

lint:
	@! grep -nE '\b(sprintf|strcpy|strcat|strtok|gets|atoi|atol)\s*\(' \
	    $(LIB_SRC) $(HTTP_SRC) $(CLI_SRC) $(AGENT_SRC) $(SIM_SRC) include/*.h || (echo "lint: banned call"; false)

clean:
	rm -rf build build-san build-tsan build-fuzz

.PHONY: all test run lint clean fuzz fuzz-run fuzz-merge
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
