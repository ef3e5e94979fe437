# pg_chameleon: MySQL/MariaDB -> PostgreSQL migration and replica, as an extension (PGXS).

MODULE_big = pg_chameleon
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PGFILEDESC = "pg_chameleon - MySQL/MariaDB to PostgreSQL replica"

EXTENSION = pg_chameleon
DATA = sql/pg_chameleon--1.0.sql

# pg_regress inputs (sql/<name>.sql, expected/<name>.out); the install script above is not one.
REGRESS = install config typemap ddl worker gtid attach
REGRESS_OPTS = --temp-instance=tmp_check_regress --temp-config=test/regress.conf
TAP_TESTS = 1

MARIADB_CONFIG ?= mariadb_config
PG_CPPFLAGS = $(shell $(MARIADB_CONFIG) --include) $(shell pkg-config --cflags yaml-0.1) \
	-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = $(shell $(MARIADB_CONFIG) --libs) $(shell pkg-config --libs yaml-0.1) -lz -lzstd

EXTRA_CLEAN = tmp_check tmp_check_regress results regression.diffs regression.out tmp_check_bench

# config regress test: git keeps no file modes, so copy test/configs/*.yaml with the
# modes the loader demands (0600), plus the bad cases: group/world access, a directory,
# an unreadable file.  pgxs runs REGRESS_PREP before installcheck and check.
REGRESS_PREP = regress_configs
REGRESS_CONFIGS = $(CURDIR)/tmp_regress_configs
EXTRA_CLEAN += tmp_regress_configs

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: a changed struct in a header must
# rebuild every object, or objects disagree on its layout (stack smashing).
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# config regress test inputs (after the pgxs include: not the default goal).
regress_configs:
	rm -rf $(REGRESS_CONFIGS)
	mkdir -p $(REGRESS_CONFIGS)
	cp $(srcdir)/test/configs/*.yaml $(REGRESS_CONFIGS)/
	chmod 600 $(REGRESS_CONFIGS)/*.yaml
	chmod 644 $(REGRESS_CONFIGS)/world_readable.yaml
	chmod 640 $(REGRESS_CONFIGS)/group_readable.yaml
	mkdir $(REGRESS_CONFIGS)/a_directory.yaml
	cp $(srcdir)/test/configs/good_minimal.yaml $(REGRESS_CONFIGS)/unreadable.yaml
	chmod 000 $(REGRESS_CONFIGS)/unreadable.yaml

.PHONY: regress_configs

# ---------- DDL translator fuzzing (libFuzzer; needs clang and its fuzzer runtime) ----------
# make fuzz-ddl FUZZ_SECONDS=60: build tmp_fuzz/fuzz_ddl (the DDL tokenizer, parser and
# translator with fuzz/pg_stub.c in place of the server, under ASan and UBSan), seed it
# with every MySQL statement of sql/ddl.sql and run it for FUZZ_SECONDS; a crash fails
# the target and leaves the input in tmp_fuzz/crash-*.  Leak detection is off: the code
# allocates with palloc and the stub frees each input's memory (LSan would only test the
# stub, and it needs ptrace, which containers often forbid).
FUZZ_CC ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_DIR = tmp_fuzz
# the parser and translator only (ddl_apply.c and ddl_shape.c are the worker's side)
FUZZ_SRCS = $(addprefix src/ddl_,catalog.c lex.c parse.c parse_defs.c translate.c value.c) \
	src/typemap.c fuzz/pg_stub.c fuzz/fuzz_ddl.c
FUZZ_PGLIBS = $(firstword $(wildcard $(pkglibdir)/libpgcommon.a $(libdir)/libpgcommon.a)) \
	$(firstword $(wildcard $(pkglibdir)/libpgport.a $(libdir)/libpgport.a))
EXTRA_CLEAN += $(FUZZ_DIR)

$(FUZZ_DIR)/fuzz_ddl: $(FUZZ_SRCS) $(wildcard src/ddl*.h) src/typemap.h
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-Wno-ignored-attributes -Isrc -I$(includedir_server) -o $@ $(FUZZ_SRCS) $(FUZZ_PGLIBS)

fuzz-ddl: $(FUZZ_DIR)/fuzz_ddl
	rm -rf $(FUZZ_DIR)/seeds $(FUZZ_DIR)/corpus
	mkdir -p $(FUZZ_DIR)/seeds $(FUZZ_DIR)/corpus
	perl fuzz/seeds.pl sql/ddl.sql $(FUZZ_DIR)/seeds
	$(FUZZ_DIR)/fuzz_ddl -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -detect_leaks=0 \
		-max_len=4096 -dict=fuzz/ddl.dict -artifact_prefix=$(FUZZ_DIR)/ \
		-print_final_stats=1 $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds

.PHONY: fuzz-ddl

# ---------- one-command demo (demo/run; as root on Debian 12) ----------
# make demo: install missing packages, build and install, start a throwaway MariaDB
# with a sample shop database and a throwaway PostgreSQL in /tmp/pg_chameleon_demo,
# replicate, run a write load and compare both sides.  make demo-stop: tear it down.
demo:
	$(srcdir)/demo/run start

demo-stop:
	$(srcdir)/demo/run stop

.PHONY: demo demo-stop
