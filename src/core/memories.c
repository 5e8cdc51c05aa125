/*
 * memories.c - the control plane: memories and their strategies.
 *
 * Strategies arrive as AgentCore's MemoryStrategyInput unions and are stored in their
 * output shape (MemoryStrategy), so GetMemory echoes them without translation. A strategy
 * gets the id "<name>-<10 alphanumerics>", its type, its namespace template (AgentCore's
 * default for the type when none is given) and status ACTIVE.
 */
#include "core/db.h"
#include "core/events.h"
#include "core/result.h"
#include "core/token.h"
#include "core/validate.h"
#include "store/store.h"
#include "util/rand.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct strategy_kind {
    const char *input_key;
    const char *type;
    const char *default_ns;
} kinds[] = {
    {"semanticMemoryStrategy", "SEMANTIC", "/strategy/{memoryStrategyId}/actors/{actorId}"},
    {"summaryMemoryStrategy", "SUMMARIZATION",
     "/strategy/{memoryStrategyId}/actor/{actorId}/session/{sessionId}"},
    {"userPreferenceMemoryStrategy", "USER_PREFERENCE",
     "/strategy/{memoryStrategyId}/actors/{actorId}"},
    {"customMemoryStrategy", "CUSTOM", "/strategy/{memoryStrategyId}/actors/{actorId}"},
    {"episodicMemoryStrategy", "EPISODIC",
     "/strategy/{memoryStrategyId}/actors/{actorId}/sessions/{sessionId}"},
};

/* Custom override input key → (output type, base strategy type). */
static const struct override_kind {
    const char *key, *type, *base;
} overrides[] = {
    {"semanticOverride", "SEMANTIC_OVERRIDE", "SEMANTIC"},
    {"summaryOverride", "SUMMARY_OVERRIDE", "SUMMARIZATION"},
    {"userPreferenceOverride", "USER_PREFERENCE_OVERRIDE", "USER_PREFERENCE"},
    {"episodicOverride", "EPISODIC_OVERRIDE", "EPISODIC"},
    {"selfManagedConfiguration", "SELF_MANAGED", NULL},
};

static json_t *json_seconds(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

/* The step wrapper names AgentCore uses in StrategyConfiguration for one override. */
static json_t *custom_configuration(am_db *db, json_t *cfg, int *rc)
{
    const char *key;
    json_t *v;
    json_t *out = NULL;

    if (!json_is_object(cfg) || json_object_size(cfg) != 1) {
        *rc = am_error_field(db, AM_EINVAL, "customMemoryStrategy.configuration",
                             "configuration must hold exactly one override");
        return NULL;
    }
    json_object_foreach(cfg, key, v) {
        const struct override_kind *o = NULL;
        for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
            if (strcmp(key, overrides[i].key) == 0)
                o = &overrides[i];
        if (!o || !json_is_object(v)) {
            *rc = am_error_field(db, AM_EINVAL, "customMemoryStrategy.configuration",
                                 "unknown override %s", key);
            return NULL;
        }
        out = json_pack("{s:s}", "type", o->type);
        if (!o->base) {
            json_object_set(out, "selfManagedConfiguration", v);
            break;
        }
        /* {extraction:{appendToPrompt, modelId}} → extraction.customExtractionConfiguration.
           <semantic>ExtractionOverride */
        static const char *const steps[] = {"extraction", "consolidation", "reflection"};
        static const char *const wrap[] = {"customExtractionConfiguration",
                                           "customConsolidationConfiguration",
                                           "customReflectionConfiguration"};
        static const char *const suffix[] = {"ExtractionOverride", "ConsolidationOverride",
                                             "ReflectionOverride"};
        char prefix[32];
        snprintf(prefix, sizeof prefix, "%.*s", (int)(strlen(key) - strlen("Override")), key);
        for (int s = 0; s < 3; s++) {
            json_t *step = json_object_get(v, steps[s]);
            if (!step)
                continue;
            const char *prompt = json_string_value(json_object_get(step, "appendToPrompt"));
            const char *model = json_string_value(json_object_get(step, "modelId"));
            if (!prompt || !model || !*prompt || strlen(prompt) > 30000) {
                json_decref(out);
                *rc = am_error_field(db, AM_EINVAL, "customMemoryStrategy.configuration",
                                     "%s.%s needs appendToPrompt (1..30000 characters) and "
                                     "modelId", key, steps[s]);
                return NULL;
            }
            char name[64];
            snprintf(name, sizeof name, "%s%s", prefix, suffix[s]);
            json_t *inner = json_pack("{s:{s:O}}", wrap[s], name, step);
            json_object_set_new(out, steps[s], inner);
        }
    }
    return out;
}

static const char *ns_of(json_t *in, const char *which)
{
    json_t *arr = json_object_get(in, which);
    return json_is_array(arr) && json_array_size(arr) == 1
               ? json_string_value(json_array_get(arr, 0))
               : NULL;
}

/* Turn one MemoryStrategyInput union into a MemoryStrategy. */
static int build_strategy(am_db *db, json_t *item, int64_t now, json_t **out)
{
    const struct strategy_kind *k = NULL;
    json_t *in = NULL, *s = NULL;
    const char *key;
    json_t *v;
    int rc = AM_OK;

    *out = NULL;
    if (!json_is_object(item) || json_object_size(item) != 1)
        return am_error_field(db, AM_EINVAL, "memoryStrategies",
                              "each strategy must hold exactly one of semanticMemoryStrategy, "
                              "summaryMemoryStrategy, userPreferenceMemoryStrategy, "
                              "customMemoryStrategy, episodicMemoryStrategy");
    json_object_foreach(item, key, v) {
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            if (strcmp(key, kinds[i].input_key) == 0)
                k = &kinds[i];
        in = v;
    }
    if (!k || !json_is_object(in))
        return am_error_field(db, AM_EINVAL, "memoryStrategies", "unknown strategy type %s",
                              key ? key : "");
    const char *name = json_string_value(json_object_get(in, "name"));
    char field[96];
    snprintf(field, sizeof field, "%s.name", k->input_key);
    if ((rc = am_check_name(db, field, name)))
        return rc;
    const char *desc = json_string_value(json_object_get(in, "description"));
    snprintf(field, sizeof field, "%s.description", k->input_key);
    if (desc && (rc = am_check_text(db, field, desc, 1, 4096)))
        return rc;
    const char *tmpl = ns_of(in, "namespaceTemplates");
    if (!tmpl)
        tmpl = ns_of(in, "namespaces");
    if ((json_object_get(in, "namespaces") && !ns_of(in, "namespaces")) ||
        (json_object_get(in, "namespaceTemplates") && !ns_of(in, "namespaceTemplates")))
        return am_error_field(db, AM_EINVAL, "namespaces",
                              "a strategy takes exactly one namespace template");
    snprintf(field, sizeof field, "%s.namespaceTemplates", k->input_key);
    if (tmpl && (rc = am_check_ns_template(db, field, tmpl)))
        return rc;

    char id[128], suffix[11];
    am_rand_alnum(suffix, 10);
    snprintf(id, sizeof id, "%s-%s", name, suffix);
    json_t *cfg = NULL;
    const char *type = k->type;
    if (strcmp(k->type, "CUSTOM") == 0 && json_object_get(in, "configuration")) {
        cfg = custom_configuration(db, json_object_get(in, "configuration"), &rc);
        if (rc)
            return rc;
    }
    if (!tmpl) {
        tmpl = k->default_ns;
        /* a custom strategy files its records like the strategy it overrides */
        const char *base = cfg ? json_string_value(json_object_get(cfg, "type")) : NULL;
        for (size_t i = 0; base && i < sizeof overrides / sizeof overrides[0]; i++)
            if (strcmp(base, overrides[i].type) == 0 && overrides[i].base)
                for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++)
                    if (strcmp(kinds[j].type, overrides[i].base) == 0)
                        tmpl = kinds[j].default_ns;
    }
    s = json_pack("{s:s,s:s,s:s,s:[s],s:[s],s:s,s:o,s:o}", "strategyId", id, "name", name,
                  "type", type, "namespaces", tmpl, "namespaceTemplates", tmpl, "status",
                  "ACTIVE", "createdAt", json_seconds(now), "updatedAt", json_seconds(now));
    if (!s) {
        json_decref(cfg);
        return am_error(db, AM_ENOMEM, "out of memory");
    }
    if (desc)
        json_object_set_new(s, "description", json_string(desc));
    if (cfg)
        json_object_set_new(s, "configuration", cfg);
    json_t *schema = json_object_get(in, "memoryRecordSchema");
    if (schema)
        json_object_set(s, "memoryRecordSchema", schema);
    json_t *refl = json_object_get(in, "reflectionConfiguration");
    if (refl)
        json_object_set_new(s, "configuration",
                            json_pack("{s:{s:O}}", "reflection",
                                      "episodicReflectionConfiguration", refl));
    *out = s;
    return AM_OK;
}

/* Check the whole strategy list: count, one of each built-in type, unique names. */
static int check_strategy_set(am_db *db, json_t *arr)
{
    size_t n = json_array_size(arr);
    if (n > AM_MAX_STRATEGIES)
        return am_error_field(db, AM_EQUOTA, "memoryStrategies",
                              "A memory can have at most %d strategies", AM_MAX_STRATEGIES);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++) {
            json_t *a = json_array_get(arr, i), *b = json_array_get(arr, j);
            const char *ta = json_string_value(json_object_get(a, "type"));
            const char *tb = json_string_value(json_object_get(b, "type"));
            const char *na = json_string_value(json_object_get(a, "name"));
            const char *nb = json_string_value(json_object_get(b, "name"));
            if (strcmp(na, nb) == 0)
                return am_error_field(db, AM_EINVAL, "memoryStrategies",
                                      "Strategy name %s is used twice", na);
            if (strcmp(ta, tb) == 0 && strcmp(ta, "CUSTOM") != 0)
                return am_error_field(db, AM_EINVAL, "memoryStrategies",
                                      "A memory can have only one %s strategy", ta);
        }
    return AM_OK;
}

static int add_strategies(am_db *db, json_t *out, const char *text_or_null, json_t *arr_in,
                          int64_t now)
{
    json_t *arr = arr_in;
    int rc = AM_OK;
    if (text_or_null) {
        json_error_t jerr;
        arr = json_loads(text_or_null, 0, &jerr);
        if (!json_is_array(arr)) {
            json_decref(arr);
            return am_error_field(db, AM_EINVAL, "memoryStrategies",
                                  "memoryStrategies must be a JSON array");
        }
    }
    for (size_t i = 0; i < json_array_size(arr) && !rc; i++) {
        json_t *s = NULL;
        rc = build_strategy(db, json_array_get(arr, i), now, &s);
        if (!rc)
            json_array_append_new(out, s);
    }
    if (text_or_null)
        json_decref(arr);
    return rc ? rc : check_strategy_set(db, out);
}

static int check_extra(am_db *db, const char *extra, json_t **out)
{
    json_error_t jerr;
    *out = extra ? json_loads(extra, 0, &jerr) : json_object();
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return am_error(db, AM_EINVAL, "extra memory settings must be a JSON object");
    }
    return AM_OK;
}

static int check_expiry(am_db *db, int days)
{
    if (days == 0)          /* agentmem: keep events until deleted */
        return AM_OK;
    return am_check_range(db, "eventExpiryDuration", days, 3, 365);
}

int am_memory_create(am_db *db, const am_memory_in *in, am_memories **out)
{
    json_t *strategies = NULL, *extra = NULL;
    char *s_text = NULL, *e_text = NULL;
    char id[80], arn[200], suffix[11];
    int rc;

    *out = NULL;
    am_error_clear();
    if (!in)
        return am_error(db, AM_EINVAL, "no memory given");
    if ((rc = am_check_name(db, "name", in->name)) ||
        (in->description && (rc = am_check_text(db, "description", in->description, 1, 4096))) ||
        (rc = check_expiry(db, in->event_expiry_days)))
        return rc;
    if (in->client_token && strlen(in->client_token) > 500)
        return am_check_text(db, "clientToken", in->client_token, 0, 500);
    int64_t now = am_now_ms();
    strategies = json_array();
    if (!strategies) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    if (in->strategies_json && (rc = add_strategies(db, strategies, in->strategies_json, NULL,
                                                    now)))
        goto out;
    if ((rc = check_extra(db, in->extra_json, &extra)))
        goto out;
    s_text = json_dumps(strategies, JSON_COMPACT | JSON_REAL_PRECISION(15));
    e_text = json_dumps(extra, JSON_COMPACT);
    if (!s_text || !e_text) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    am_rand_alnum(suffix, 10);
    snprintf(id, sizeof id, "%s-%s", in->name, suffix);
    am_memory_arn(db, id, arn, sizeof arn);
    struct am_memory_row row = {
        .id = id, .arn = arn, .name = in->name, .description = in->description,
        .status = "ACTIVE", .event_expiry_days = in->event_expiry_days, .created_ms = now,
        .updated_ms = now, .strategies_json = s_text, .extra_json = e_text,
        .client_token = in->client_token,
    };
    rc = db->ops->memory_insert(db, db->st, &row, out);
out:
    json_decref(strategies);
    json_decref(extra);
    free(s_text);
    free(e_text);
    return rc;
}

int am_memory_get(am_db *db, const char *memory_id, am_memories **out)
{
    int rc;
    *out = NULL;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)))
        return rc;
    return db->ops->memory_get(db, db->st, am_memory_id_of(memory_id), NULL, out);
}

int am_memory_find(am_db *db, const char *name, am_memories **out)
{
    int rc;
    *out = NULL;
    am_error_clear();
    if ((rc = am_check_name(db, "name", name)))
        return rc;
    return db->ops->memory_get(db, db->st, NULL, name, out);
}

int am_memory_list(am_db *db, int max_results, const char *next_token, am_memories **out)
{
    struct am_arena *tmp = NULL;
    int64_t after = 0, unused, last = 0;
    bool more = false;
    int rc;

    *out = NULL;
    am_error_clear();
    if ((rc = am_check_max_results(db, &max_results, AM_MAX_RESULTS)))
        return rc;
    if (next_token) {
        if (!(tmp = am_arena_create()))
            return am_error(db, AM_ENOMEM, "out of memory");
        rc = am_token_decode(db, tmp, next_token, 'm', &after, &unused, NULL);
        am_arena_destroy(tmp);
        if (rc)
            return rc;
    }
    rc = db->ops->memory_list(db, db->st, max_results, after, out, &more, &last);
    if (!rc && more &&
        !((*out)->next_token = am_token_encode(am_result_arena((*out)->priv), 'm', last, 0,
                                               NULL))) {
        am_memories_free(*out);
        *out = NULL;
        rc = am_error(db, AM_ENOMEM, "out of memory");
    }
    return rc;
}

/* Apply ModifyMemoryStrategies {add, modify, delete} to the stored array. */
static int modify_strategies(am_db *db, json_t *cur, const char *patch_text, int64_t now)
{
    json_error_t jerr;
    json_t *patch = json_loads(patch_text, 0, &jerr), *v;
    size_t i;
    int rc = AM_OK;

    if (!json_is_object(patch)) {
        json_decref(patch);
        return am_error_field(db, AM_EINVAL, "memoryStrategies",
                              "memoryStrategies must be a JSON object");
    }
    json_array_foreach(json_object_get(patch, "deleteMemoryStrategies"), i, v) {
        const char *sid = json_string_value(json_object_get(v, "memoryStrategyId"));
        size_t k, found = (size_t)-1;
        json_t *s;
        json_array_foreach(cur, k, s)
            if (sid && strcmp(sid, json_string_value(json_object_get(s, "strategyId"))) == 0)
                found = k;
        if (found == (size_t)-1) {
            rc = am_error_field(db, AM_EINVAL, "memoryStrategies.deleteMemoryStrategies",
                                "Strategy %s not found in this memory", sid ? sid : "(null)");
            goto out;
        }
        json_array_remove(cur, found);
    }
    json_array_foreach(json_object_get(patch, "modifyMemoryStrategies"), i, v) {
        const char *sid = json_string_value(json_object_get(v, "memoryStrategyId"));
        json_t *s, *target = NULL;
        size_t k;
        json_array_foreach(cur, k, s)
            if (sid && strcmp(sid, json_string_value(json_object_get(s, "strategyId"))) == 0)
                target = s;
        if (!target) {
            rc = am_error_field(db, AM_EINVAL, "memoryStrategies.modifyMemoryStrategies",
                                "Strategy %s not found in this memory", sid ? sid : "(null)");
            goto out;
        }
        const char *desc = json_string_value(json_object_get(v, "description"));
        if (desc) {
            if ((rc = am_check_text(db, "description", desc, 1, 4096)))
                goto out;
            json_object_set_new(target, "description", json_string(desc));
        }
        const char *tmpl = ns_of(v, "namespaceTemplates");
        if (!tmpl)
            tmpl = ns_of(v, "namespaces");
        if (tmpl) {
            if ((rc = am_check_ns_template(db, "namespaceTemplates", tmpl)))
                goto out;
            json_object_set_new(target, "namespaces", json_pack("[s]", tmpl));
            json_object_set_new(target, "namespaceTemplates", json_pack("[s]", tmpl));
        }
        json_t *cfg = json_object_get(v, "configuration");
        if (cfg)
            json_object_set(target, "configuration", cfg);
        json_object_set_new(target, "updatedAt", json_seconds(now));
    }
    json_t *add = json_object_get(patch, "addMemoryStrategies");
    if (add)
        rc = add_strategies(db, cur, NULL, add, now);
    else
        rc = check_strategy_set(db, cur);
out:
    json_decref(patch);
    return rc;
}

int am_memory_update_apply(am_db *db, const char *memory_id, const am_memory_update *upd,
                           am_memories **out)
{
    am_memories *cur = NULL;
    json_t *strategies = NULL, *extra = NULL;
    char *s_text = NULL, *e_text = NULL;
    int rc;

    *out = NULL;
    am_error_clear();
    if ((rc = am_memory_get(db, memory_id, &cur)))
        return rc;
    const am_memory *m = &cur->items[0];
    int64_t now = am_now_ms();
    if (upd->description && (rc = am_check_text(db, "description", upd->description, 1, 4096)))
        goto out;
    if (upd->event_expiry_days != -1 && (rc = check_expiry(db, upd->event_expiry_days)))
        goto out;
    strategies = json_loads(m->strategies_json, 0, NULL);
    extra = json_loads(m->extra_json, 0, NULL);
    if (!json_is_array(strategies) || !json_is_object(extra)) {
        rc = AM_BUG(db, "stored memory settings are not valid JSON");
        goto out;
    }
    if (upd->strategies_json && (rc = modify_strategies(db, strategies, upd->strategies_json,
                                                        now)))
        goto out;
    if (upd->extra_json) {
        json_t *patch = NULL;
        if ((rc = check_extra(db, upd->extra_json, &patch)))
            goto out;
        json_object_update(extra, patch);
        json_decref(patch);
    }
    s_text = json_dumps(strategies, JSON_COMPACT | JSON_REAL_PRECISION(15));
    e_text = json_dumps(extra, JSON_COMPACT);
    if (!s_text || !e_text) {
        rc = am_error(db, AM_ENOMEM, "out of memory");
        goto out;
    }
    struct am_memory_row row = {
        .id = m->id, .arn = m->arn, .name = m->name,
        .description = upd->description ? upd->description : m->description,
        .status = "ACTIVE",
        .event_expiry_days = upd->event_expiry_days != -1 ? upd->event_expiry_days
                                                          : m->event_expiry_days,
        .created_ms = m->created_ms, .updated_ms = now, .strategies_json = s_text,
        .extra_json = e_text,
    };
    rc = db->ops->memory_replace(db, db->st, &row);
    if (!rc)
        rc = db->ops->memory_get(db, db->st, m->id, NULL, out);
out:
    am_memories_free(cur);
    json_decref(strategies);
    json_decref(extra);
    free(s_text);
    free(e_text);
    return rc;
}

int am_memory_delete(am_db *db, const char *memory_id)
{
    int rc;
    am_error_clear();
    if ((rc = am_check_memory_id(db, "memoryId", memory_id)))
        return rc;
    return db->ops->memory_delete(db, db->st, am_memory_id_of(memory_id));
}

int am_memory_arn(am_db *db, const char *memory_id, char *out, size_t cap)
{
    if (!db || !memory_id || !out || !cap)
        return AM_EINVAL;
    int n = snprintf(out, cap, "arn:aws:bedrock-agentcore:%s:%s:memory/%s", db->region,
                     db->account, am_memory_id_of(memory_id));
    return n < 0 || (size_t)n >= cap ? AM_EINVAL : AM_OK;
}
