/*
 * dates.c - relative time expressions resolved against the time of the turn.
 *
 * A memory record outlives the conversation it came from, so "yesterday" must become a date.
 * The matcher works on lower-case tokens and knows the expressions people use in chat:
 * yesterday/today/tomorrow, last/this/next week|weekend|month|year|<season>|<weekday>,
 * "N days/weeks/months/years ago", "in N days...", "a few days ago", "the other day".
 * Dates are civil dates in UTC (the event timestamp carries no zone).
 */
#include "extract/text.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MS_PER_DAY 86400000LL

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};
static const char *const weekdays[] = {"sunday", "monday", "tuesday", "wednesday",
                                       "thursday", "friday", "saturday", NULL};
/* Abbreviations, only after last/next/this/on ("sat" and "sun" are words too). */
static const char *const weekday_abbr[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat",
                                           NULL};
static const char *const weekday_abbr2[] = {"sun", "mon", "tues", "wed", "thur", "fri", "sat",
                                            NULL};
static const char *const seasons[] = {"spring", "summer", "fall", "autumn", "winter", NULL};

/* Howard Hinnant's civil_from_days. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int weekday_of(int64_t z)   /* 0 = Sunday */
{
    return (int)(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static void fmt_day(char *out, size_t cap, const char *pre, int64_t z)
{
    int64_t y;
    int m, d;
    civil_from_days(z, &y, &m, &d);
    snprintf(out, cap, "%s%s%04lld-%02d-%02d", pre, *pre ? " " : "", (long long)y, m, d);
}

void am_date_format(int64_t ts_ms, char *out, size_t cap)
{
    fmt_day(out, cap, "", floor_div(ts_ms, MS_PER_DAY));
}

static void fmt_month(char *out, size_t cap, int64_t y, int m)   /* m may be out of 1..12 */
{
    while (m < 1) {
        m += 12;
        y--;
    }
    while (m > 12) {
        m -= 12;
        y++;
    }
    snprintf(out, cap, "in %s %lld", month_names[m - 1], (long long)y);
}

/* A small count: 1..99, "a", "an", "one".."twelve"; approx for "few", "couple", "several". */
static bool count_at(const struct am_toks *t, size_t i, size_t to, int *out_n, bool *approx,
                     size_t *next)
{
    static const char *const words[] = {"a", "one", "two", "three", "four", "five", "six",
                                        "seven", "eight", "nine", "ten", "eleven", "twelve",
                                        NULL};
    *approx = false;
    if (i >= to || !am_tok_word(t, i))
        return false;
    if (am_tok_is(t, i, "an")) {
        *out_n = 1;
        *next = i + 1;
        return true;
    }
    int w = am_tok_in(t, i, words);
    if (w >= 0) {
        *out_n = w == 0 ? 1 : w;
        *next = i + 1;
        /* "a couple of", "a few" */
        if (w == 0 && am_tok_is(t, i + 1, "couple")) {
            *out_n = 2;
            *approx = true;
            *next = am_tok_is(t, i + 2, "of") ? i + 3 : i + 2;
        } else if (w == 0 && am_tok_is(t, i + 1, "few")) {
            *out_n = 3;
            *approx = true;
            *next = i + 2;
        }
        return true;
    }
    if (am_tok_is(t, i, "few") || am_tok_is(t, i, "several") || am_tok_is(t, i, "couple")) {
        *out_n = am_tok_is(t, i, "couple") ? 2 : 3;
        *approx = true;
        *next = am_tok_is(t, i, "couple") && am_tok_is(t, i + 1, "of") ? i + 2 : i + 1;
        return true;
    }
    if (t->v[i].flags & AM_TF_NUM) {
        const char *p = am_tok_low(t, i);
        size_t n = t->v[i].len;
        if (n > 2)
            return false;
        int v = 0;
        for (size_t k = 0; k < n; k++) {
            if (!isdigit((unsigned char)p[k]))
                return false;
            v = v * 10 + (p[k] - '0');
        }
        if (v < 1)
            return false;
        *out_n = v;
        *next = i + 1;
        return true;
    }
    return false;
}

/* 0 day, 1 week, 2 month, 3 year, 4 weekend, -1 none */
static int unit_at(const struct am_toks *t, size_t i)
{
    static const char *const units[] = {"day", "days", "week", "weeks", "month", "months",
                                        "year", "years", "weekend", "weekends", NULL};
    int u = am_tok_in(t, i, units);
    return u < 0 ? -1 : u / 2;
}

static void fmt_offset(char *note, size_t cap, int64_t day0, int unit, int64_t k, bool approx)
{
    int64_t y;
    int m, d;
    civil_from_days(day0, &y, &m, &d);
    switch (unit) {
    case 0:
        if (approx)
            fmt_day(note, cap, k < 0 ? "a few days before" : "a few days after", day0);
        else
            fmt_day(note, cap, "on", day0 + k);
        break;
    case 1: {
        int64_t z = day0 + 7 * k;
        int64_t monday = z - (weekday_of(z) + 6) % 7;
        fmt_day(note, cap, approx ? "around the week of" : "the week of", monday);
        break;
    }
    case 4: {
        int64_t z = day0 + 7 * k;
        int wd = weekday_of(z);
        int64_t sat = wd == 6 ? z : wd == 0 ? z - 1 : z + (6 - wd) - (k < 0 ? 7 : 0);
        fmt_day(note, cap, approx ? "around the weekend of" : "the weekend of", sat);
        break;
    }
    case 2:
        fmt_month(note, cap, y, m + (int)k);
        if (approx) {
            char tmp[64];
            snprintf(tmp, sizeof tmp, "around %s", note + 3);
            snprintf(note, cap, "%s", tmp);
        }
        break;
    default:
        snprintf(note, cap, "%s %lld", approx ? "around" : "in", (long long)(y + k));
        break;
    }
}

static void fmt_season(char *note, size_t cap, int season, int dir, int64_t y, int m)
{
    /* season: 0 spring (3-5), 1 summer (6-8), 2 fall, 3 fall, 4 winter (12-2) */
    static const int start[] = {3, 6, 9, 9, 12};
    static const char *const names[] = {"spring", "summer", "fall", "autumn", "winter"};
    int s = start[season];
    int64_t sy = y;   /* year in which the season starts */
    int cur_in = (season == 4) ? (m == 12 || m <= 2) : (m >= s && m < s + 3);
    int64_t this_start = (season == 4 && m <= 2) ? y - 1 : y;
    if (dir < 0) {
        /* the most recent season that has ended, or started before now */
        if (cur_in)
            sy = this_start - 1;
        else if (season == 4)
            sy = m >= 3 ? y - 1 : y - 2;
        else
            sy = m > s + 2 ? y : y - 1;
    } else if (dir > 0) {
        if (cur_in)
            sy = this_start + 1;
        else if (season == 4)
            sy = y;
        else
            sy = m < s ? y : y + 1;
    } else {
        sy = cur_in ? this_start : y;
    }
    snprintf(note, cap, "in %s %lld", names[season], (long long)sy);
}

bool am_date_match(const struct am_toks *t, size_t i, size_t to, int64_t ts_ms, bool past,
                   size_t *out_end, char *note, size_t cap)
{
    if (ts_ms <= 0 || i >= to || !am_tok_word(t, i))
        return false;
    int64_t day0 = floor_div(ts_ms, MS_PER_DAY);
    int64_t y;
    int m, d;
    civil_from_days(day0, &y, &m, &d);
    int wd0 = weekday_of(day0);

    if (am_tok_is(t, i, "the") && am_tok_is(t, i + 1, "day") && i + 3 < to &&
        ((am_tok_is(t, i + 2, "before") && am_tok_is(t, i + 3, "yesterday")) ||
         (am_tok_is(t, i + 2, "after") && am_tok_is(t, i + 3, "tomorrow")))) {
        fmt_day(note, cap, "on", day0 + (am_tok_is(t, i + 2, "before") ? -2 : 2));
        *out_end = i + 4;
        return true;
    }
    if (am_tok_is(t, i, "the") && am_tok_is(t, i + 1, "other") && am_tok_is(t, i + 2, "day")) {
        fmt_day(note, cap, "a few days before", day0);
        *out_end = i + 3;
        return true;
    }
    if (am_tok_is(t, i, "yesterday") || am_tok_is(t, i, "today") ||
        am_tok_is(t, i, "tonight") || am_tok_is(t, i, "tomorrow")) {
        int k = am_tok_is(t, i, "yesterday") ? -1 : am_tok_is(t, i, "tomorrow") ? 1 : 0;
        size_t e = i + 1;
        /* "yesterday morning" stays one expression */
        if (am_tok_is(t, e, "morning") || am_tok_is(t, e, "afternoon") ||
            am_tok_is(t, e, "evening") || am_tok_is(t, e, "night"))
            e++;
        fmt_day(note, cap, "on", day0 + k);
        *out_end = e;
        return true;
    }
    if (am_tok_is(t, i, "last") && am_tok_is(t, i + 1, "night")) {
        fmt_day(note, cap, "on", day0 - 1);
        *out_end = i + 2;
        return true;
    }
    if (am_tok_is(t, i, "this") &&
        (am_tok_is(t, i + 1, "morning") || am_tok_is(t, i + 1, "afternoon") ||
         am_tok_is(t, i + 1, "evening"))) {
        fmt_day(note, cap, "on", day0);
        *out_end = i + 2;
        return true;
    }

    /* last/past/previous/this/next/coming + week|weekend|month|year|season|weekday */
    int dir = 2;
    size_t j = i;
    if (am_tok_is(t, i, "last") || am_tok_is(t, i, "previous")) {
        dir = -1;
        j = i + 1;
    } else if (am_tok_is(t, i, "past") && (am_tok_is(t, i + 1, "weekend") ||
                                           am_tok_in(t, i + 1, weekdays) >= 0)) {
        dir = -1;
        j = i + 1;
    } else if (am_tok_is(t, i, "next") || am_tok_is(t, i, "coming")) {
        dir = 1;
        j = i + 1;
    } else if (am_tok_is(t, i, "this")) {
        dir = 0;
        j = i + 1;
        if (am_tok_is(t, j, "past")) {
            dir = -1;
            j++;
        } else if (am_tok_is(t, j, "coming")) {
            dir = 1;
            j++;
        }
    }
    if (dir != 2 && j < to) {
        if (am_tok_is(t, j, "week")) {
            int64_t monday = day0 - (wd0 + 6) % 7 + 7 * dir;
            fmt_day(note, cap, "the week of", monday);
            *out_end = j + 1;
            return true;
        }
        if (am_tok_is(t, j, "weekend")) {
            int64_t sat;
            if (wd0 == 6)
                sat = day0;
            else if (wd0 == 0)
                sat = day0 - 1;
            else
                sat = day0 + (6 - wd0);   /* the coming Saturday */
            if (dir < 0)
                sat -= 7;
            else if (dir > 0 && (wd0 == 5 || wd0 == 6 || wd0 == 0))
                sat += 7;
            fmt_day(note, cap, "the weekend of", sat);
            *out_end = j + 1;
            return true;
        }
        if (am_tok_is(t, j, "month")) {
            fmt_month(note, cap, y, m + dir);
            *out_end = j + 1;
            return true;
        }
        if (am_tok_is(t, j, "year")) {
            snprintf(note, cap, "in %lld", (long long)(y + dir));
            *out_end = j + 1;
            return true;
        }
        int s = am_tok_in(t, j, seasons);
        if (s >= 0) {
            fmt_season(note, cap, s, dir, y, m);
            *out_end = j + 1;
            return true;
        }
        int w = am_tok_in(t, j, weekdays);
        if (w < 0)
            w = am_tok_in(t, j, weekday_abbr);
        if (w < 0 && !am_tok_is(t, j, "sun"))
            w = am_tok_in(t, j, weekday_abbr2);
        if (w < 0 && am_tok_is(t, j, "thurs"))
            w = 4;
        if (w >= 0) {
            int64_t z;
            int ahead = (w - wd0 + 7) % 7;   /* days to the next such weekday, 0 = today */
            int behind = (wd0 - w + 7) % 7;
            if (dir < 0 || (dir == 0 && past))
                z = day0 - (behind ? behind : 7);
            else if (dir == 0)
                z = day0 + ahead;
            else
                z = day0 + (ahead ? ahead : 7);
            fmt_day(note, cap, "on", z);
            *out_end = j + 1;
            return true;
        }
    }
    /* "on Friday", bare "Friday" (not "Fridays": that is a habit) */
    if (am_tok_is(t, i, "on") && am_tok_in(t, i + 1, weekdays) >= 0)
        j = i + 1;
    else
        j = i;
    int w = am_tok_in(t, j, weekdays);
    if (w >= 0 && (t->v[j].flags & AM_TF_CAP)) {
        int ahead = (w - wd0 + 7) % 7;
        int behind = (wd0 - w + 7) % 7;
        int64_t z = past ? day0 - (behind ? behind : 7) : day0 + (ahead ? ahead : 7);
        fmt_day(note, cap, "on", z);
        *out_end = j + 1;
        return true;
    }

    /* N units ago / in N units */
    int n = 0;
    bool approx = false;
    size_t nx = 0;
    if (am_tok_is(t, i, "in") && count_at(t, i + 1, to, &n, &approx, &nx)) {
        int u = unit_at(t, nx);
        if (u >= 0 && !am_tok_is(t, nx + 1, "ago")) {
            fmt_offset(note, cap, day0, u, n, approx);
            *out_end = nx + 1;
            return true;
        }
    }
    if (count_at(t, i, to, &n, &approx, &nx)) {
        int u = unit_at(t, nx);
        if (u >= 0 && am_tok_is(t, nx + 1, "ago")) {
            fmt_offset(note, cap, day0, u, -n, approx);
            *out_end = nx + 2;
            return true;
        }
    }
    return false;
}
