# pg_chameleon: MySQL/MariaDB -> PostgreSQL migration and replica, as an extension (PGXS).

MODULE_big = pg_chameleon
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
PGFILEDESC = "pg_chameleon - MySQL/MariaDB to PostgreSQL replica"

EXTENSION = pg_chameleon
DATA = sql/pg_chameleon--1.0.sql

# pg_regress inputs (sql/<name>.sql, expected/<name>.out); the install script above is not one.
REGRESS = install config
REGRESS_OPTS = --temp-instance=tmp_check_regress --temp-config=test/regress.conf
TAP_TESTS = 1

MARIADB_CONFIG ?= mariadb_config
PG_CPPFLAGS = $(shell $(MARIADB_CONFIG) --include) $(shell pkg-config --cflags yaml-0.1) \
	-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = $(shell $(MARIADB_CONFIG) --libs) $(shell pkg-config --libs yaml-0.1) -lz

EXTRA_CLEAN = tmp_check tmp_check_regress results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# binlog section: MySQL 8 TRANSACTION_PAYLOAD events are zstd-compressed
SHLIB_LINK += -lzstd
