/*
 * validate.c - see validate.h. The patterns quoted in messages are the service model's.
 */
#include "core/validate.h"

#include "core/db.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define P_ACTOR "[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]* or an e-mail address"
#define P_SESSION "[a-zA-Z0-9][a-zA-Z0-9-_]*"
#define P_MEMORY "[a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10}"
#define P_NAME "[a-zA-Z][a-zA-Z0-9_]{0,47}"
#define P_META "[a-zA-Z0-9\\s._:/=+@-]*"
#define P_NS "[a-zA-Z0-9/*][a-zA-Z0-9-_/*]*(?::[a-zA-Z0-9-_/*]+)*[a-zA-Z0-9-_/*]*"
#define P_NS_TEMPLATE "[a-zA-Z0-9\\-_\\/]*(\\{[a-zA-Z][a-zA-Z0-9]*\\}[a-zA-Z0-9\\-_\\/]*)*"
#define P_EVENT "[0-9]+#[a-fA-F0-9]+"
#define P_RECORD "mem-[a-zA-Z0-9-_]*"

static int fail(am_db *db, const char *field, const char *v, const char *constraint)
{
    char shown[80];
    size_t n = strlen(v);
    /* show at most 64 bytes of the value, without control characters */
    size_t k = 0;
    for (size_t i = 0; i < n && k < 64; i++)
        shown[k++] = (unsigned char)v[i] < 0x20 ? '?' : v[i];
    shown[k] = '\0';
    return am_error_field(db, AM_EINVAL, field,
                          "1 validation error detected: Value '%s%s' at '%s' failed to satisfy "
                          "constraint: %s", shown, n > 64 ? "..." : "", field, constraint);
}

static int fail_pattern(am_db *db, const char *field, const char *v, const char *pattern)
{
    char c[512];
    snprintf(c, sizeof c, "Member must satisfy regular expression pattern: %s", pattern);
    return fail(db, field, v, c);
}

static int fail_len(am_db *db, const char *field, const char *v, long min, long max)
{
    char c[160];
    long n = am_utf8_len(v);
    if (n >= 0 && n < min)
        snprintf(c, sizeof c, "Member must have length greater than or equal to %ld", min);
    else
        snprintf(c, sizeof c, "Member must have length less than or equal to %ld", max);
    return fail(db, field, v, c);
}

long am_utf8_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long n = 0;
    while (*p) {
        unsigned c = *p;
        int extra;
        if (c < 0x80)
            extra = 0;
        else if ((c & 0xe0) == 0xc0 && c >= 0xc2)
            extra = 1;
        else if ((c & 0xf0) == 0xe0)
            extra = 2;
        else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
            extra = 3;
        else
            return -1;
        p++;
        for (int i = 0; i < extra; i++, p++)
            if ((*p & 0xc0) != 0x80)
                return -1;
        n++;
    }
    return n;
}

int am_check_required(am_db *db, const char *field, const void *v)
{
    if (v)
        return AM_OK;
    return am_error_field(db, AM_EINVAL, field,
                          "1 validation error detected: Value null at '%s' failed to satisfy "
                          "constraint: Member must not be null", field);
}

static bool is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_email(const char *v)
{
    const char *at = strchr(v, '@');
    if (!at || at == v || strchr(at + 1, '@'))
        return false;
    for (const char *p = v; p < at; p++)
        if (!is_alnum(*p) && !strchr("._%+-", *p))
            return false;
    const char *dom = at + 1, *dot = strrchr(dom, '.');
    if (!dot || dot == dom || strlen(dot + 1) < 2)
        return false;
    for (const char *p = dom; *p; p++)
        if (!is_alnum(*p) && *p != '.' && *p != '-')
            return false;
    if (strstr(dom, "..") || dom[0] == '.' || dom[0] == '-')
        return false;
    for (const char *p = dot + 1; *p; p++)
        if (!isalpha((unsigned char)*p))
            return false;
    return true;
}

/* [a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]* */
static bool match_colon_parts(const char *v, const char *extra_chars)
{
    if (!is_alnum(v[0]) && !(strchr(extra_chars, '*') && v[0] && strchr("/*", v[0])))
        return false;
    bool after_colon = false;
    for (const char *p = v + 1; *p; p++) {
        if (*p == ':') {
            if (after_colon)           /* "::" makes an empty part */
                return false;
            after_colon = true;
            continue;
        }
        if (!is_alnum(*p) && !strchr(extra_chars, *p))
            return false;
        after_colon = false;
    }
    return !after_colon;                /* may not end with ':' */
}

int am_check_actor_id(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 1 || n > 255)
        return fail_len(db, field, v, 1, 255);
    if (match_colon_parts(v, "-_/") || is_email(v))
        return AM_OK;
    return fail_pattern(db, field, v, P_ACTOR);
}

static bool match_simple_id(const char *v)
{
    if (!is_alnum(v[0]))
        return false;
    for (const char *p = v + 1; *p; p++)
        if (!is_alnum(*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

int am_check_session_id(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 1 || n > 100)
        return fail_len(db, field, v, 1, 100);
    return match_simple_id(v) ? AM_OK : fail_pattern(db, field, v, P_SESSION);
}

int am_check_strategy_id(am_db *db, const char *field, const char *v)
{
    return am_check_session_id(db, field, v);   /* same pattern and length */
}

const char *am_memory_id_of(const char *v)
{
    if (v && strncmp(v, "arn:", 4) == 0) {
        const char *slash = strstr(v, ":memory/");
        return slash ? slash + 8 : v;
    }
    return v;
}

static bool match_arn_prefix(const char *v, size_t len)
{
    /* arn:(aws|aws-cn|aws-us-gov):bedrock-agentcore:[a-z0-9-]+:[0-9]{12}:memory/ */
    const char *p = v, *end = v + len;
    const char *parts[] = {"arn:aws:", "arn:aws-cn:", "arn:aws-us-gov:"};
    size_t k = 0;
    for (size_t i = 0; i < 3 && !k; i++)
        if ((size_t)(end - p) >= strlen(parts[i]) && strncmp(p, parts[i], strlen(parts[i])) == 0)
            k = strlen(parts[i]);
    if (!k)
        return false;
    p += k;
    if (strncmp(p, "bedrock-agentcore:", 18) != 0)
        return false;
    p += 18;
    const char *r = p;
    while (p < end && (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
        p++;
    if (p == r || p >= end || *p != ':')
        return false;
    p++;
    for (int i = 0; i < 12; i++, p++)
        if (p >= end || !isdigit((unsigned char)*p))
            return false;
    return end - p == 8 && strncmp(p, ":memory/", 8) == 0;
}

int am_check_memory_id(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    const char *id = am_memory_id_of(v);
    if (id != v && !match_arn_prefix(v, (size_t)(id - v)))
        return fail_pattern(db, field, v, "(arn:(aws|aws-cn|aws-us-gov):bedrock-agentcore:"
                            "[a-z0-9-]+:[0-9]{12}:memory/)?" P_MEMORY);
    size_t n = strlen(id);
    if (n < 12)
        return fail_len(db, field, v, 12, 112);
    /* [a-zA-Z][a-zA-Z0-9-_]{0,99}-[a-zA-Z0-9]{10} */
    bool ok = isalpha((unsigned char)id[0]) && n <= 111 && id[n - 11] == '-';
    for (size_t i = 1; ok && i < n - 11; i++)
        ok = is_alnum(id[i]) || id[i] == '-' || id[i] == '_';
    for (size_t i = n - 10; ok && i < n; i++)
        ok = is_alnum(id[i]);
    return ok ? AM_OK : fail_pattern(db, field, v, P_MEMORY);
}

int am_check_event_id(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    const char *p = v;
    while (isdigit((unsigned char)*p))
        p++;
    bool ok = p > v && *p == '#' && p[1];
    for (p++; ok && *p; p++)
        ok = isxdigit((unsigned char)*p);
    return ok && strlen(v) <= 128 ? AM_OK : fail_pattern(db, field, v, P_EVENT);
}

int am_check_name(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    bool ok = n >= 1 && n <= 48 && isalpha((unsigned char)v[0]);
    for (size_t i = 1; ok && i < n; i++)
        ok = is_alnum(v[i]) || v[i] == '_';
    return ok ? AM_OK : fail_pattern(db, field, v, P_NAME);
}

static bool meta_chars(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (!is_alnum(*p) && !strchr(" \t\n\r\f\v._:/=+@-", *p))
            return false;
    return true;
}

int am_check_meta_key(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 1 || n > 128)
        return fail_len(db, field, v, 1, 128);
    return meta_chars(v) ? AM_OK : fail_pattern(db, field, v, P_META);
}

int am_check_meta_value(am_db *db, const char *field, const char *v, size_t max)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    if (strlen(v) > max)
        return fail_len(db, field, v, 0, (long)max);
    return meta_chars(v) ? AM_OK : fail_pattern(db, field, v, P_META);
}

int am_check_namespace(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 1 || n > 1024)
        return fail_len(db, field, v, 1, 1024);
    /* '.' and '@' beyond the model: namespaces resolved from templates carry actor ids, and
       agentmem accepts e-mail addresses as actor ids */
    return match_colon_parts(v, "-_/*.@") ? AM_OK : fail_pattern(db, field, v, P_NS);
}

int am_check_ns_template(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 1 || n > 512)
        return fail_len(db, field, v, 1, 512);
    for (const char *p = v; *p; p++) {
        if (*p == '{') {
            p++;
            if (!isalpha((unsigned char)*p))
                return fail_pattern(db, field, v, P_NS_TEMPLATE);
            while (is_alnum(*p))
                p++;
            if (*p != '}')
                return fail_pattern(db, field, v, P_NS_TEMPLATE);
        } else if (!is_alnum(*p) && !strchr("-_/", *p)) {
            return fail_pattern(db, field, v, P_NS_TEMPLATE);
        }
    }
    return AM_OK;
}

int am_check_record_id(am_db *db, const char *field, const char *v)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    size_t n = strlen(v);
    if (n < 40 || n > 50)
        return fail_len(db, field, v, 40, 50);
    bool ok = strncmp(v, "mem-", 4) == 0;
    for (size_t i = 4; ok && i < n; i++)
        ok = is_alnum(v[i]) || v[i] == '-' || v[i] == '_';
    return ok ? AM_OK : fail_pattern(db, field, v, P_RECORD);
}

int am_check_text(am_db *db, const char *field, const char *v, long min, long max)
{
    int rc = am_check_required(db, field, v);
    if (rc)
        return rc;
    long n = am_utf8_len(v);
    if (n < 0)
        return fail(db, field, v, "Member must be valid UTF-8");
    if (n < min || n > max)
        return fail_len(db, field, v, min, max);
    return AM_OK;
}

int am_check_range(am_db *db, const char *field, long long v, long long min, long long max)
{
    if (v >= min && v <= max)
        return AM_OK;
    return am_error_field(db, AM_EINVAL, field,
                          "1 validation error detected: Value '%lld' at '%s' failed to satisfy "
                          "constraint: Member must have value %s %lld", v, field,
                          v < min ? "greater than or equal to" : "less than or equal to",
                          v < min ? min : max);
}
