/* fuzz_tsv: the metrics log reader (nn-train's --log, read by curve-plot). */
#include "harness.h"
#include "runlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	jmp_buf jb;
	const char *path = as_file(data, size);
	if (!path)
		return 0;
	fdmark m = fd_mark();
	runlog r = {.path = path};
	nn_error_jump = &jb;
	if (!setjmp(jb))
		runlog_read(&r);
	nn_error_jump = NULL;
	runlog_free(&r);
	fd_release(m);
	return 0;
}
