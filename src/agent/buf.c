/*
 * buf.c - string helpers of the agent (its buffers are util/buf.h's am_xbuf, capped by
 * AM_AG_BUF_INIT at the Lambda payload size).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/agent.h"

bool am_ag_icontains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    if (!hay)
        return false;
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return n == 0;
}
