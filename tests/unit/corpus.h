/*
 * tests/unit/corpus.h - a unit test that reads a fuzz target's seed
 * corpus (captures of real programs): corpus_load.  The test is built
 * with -DCORPUS_DIR="the corpus folder".
 */
#ifndef EDGED_TEST_CORPUS_H
#define EDGED_TEST_CORPUS_H

#include <stdio.h>

/* The file name of CORPUS_DIR into buf (size bytes at most): its
 * length, at least 1; a missing or empty file fails the test. */
static inline size_t
corpus_load(const char *name, void *buf, size_t size)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	assert_true(n > 0);
	return n;
}

#endif
