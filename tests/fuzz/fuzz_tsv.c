/* fuzz_tsv: the metrics log reader (nn-train's --log, read by curve-plot). */
#include "harness.h"
#include "formats/runlog.h"

static void fuzz(const uint8_t *data, size_t size, const char *path)
{
	runlog r = {.path = path};
	TRY(runlog_read(&r));
	runlog_free(&r);
}
