/* config.c -- placeholder, replaced by the YAML loader. */
#include "postgres.h"
#include "config.h"

ChameleonConfig *
chameleon_config_load(const char *path)
{
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("configuration loading is not built yet")));
	return NULL;
}
