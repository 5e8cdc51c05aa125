#!/usr/bin/env python3
"""Generate tests/unit/sigv4_cases.h: AgentCore Memory requests signed by botocore.

The SigV4 verifier (src/api/http/sigv4.c) must accept what the real SDKs send. This script
signs a handful of requests with botocore's own signer (botocore.auth.SigV4Auth and
SigV4QueryAuth on botocore.awsrequest.AWSRequest), at a fixed time, and writes each one as the
server would receive it: method, raw path, raw query, every header line, body. The requests
mirror what boto3 and the JS SDK were seen sending (docs: agentcore-memory-api.md sections
2-3): percent-encoded path labels, a query with spaces, repeated query keys, JSON bodies, the
JS SDK's extra signed headers with x-amz-content-sha256, a session token, a presigned URL,
and the Date header that botocore signs instead of X-Amz-Date when a request has one. One
more request goes through a real botocore client (bedrock-agentcore GetEvent) and is
captured in its before-send hook, so the serializer's own URL is covered too.

Usage:  python3 tests/helpers/sign_requests.py > tests/unit/sigv4_cases.h
Needs:  botocore (pip install botocore); nothing is sent over the network.
"""

import datetime
import hashlib
import sys
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest, AWSResponse
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

SERVICE = 'bedrock-agentcore'
REGION = 'us-east-2'
ENDPOINT = 'http://127.0.0.1:8080'
NOW = datetime.datetime(2026, 11, 24, 14, 15, 0)      # naive UTC, as botocore uses
NOW_MS = 1795529700000
assert int((NOW - datetime.datetime(1970, 1, 1)).total_seconds() * 1000) == NOW_MS

# Test credentials only; they open nothing.
ACCESS_KEY = 'AKIAAGENTMEMTEST0001'
SECRET_KEY = 'agentmem/TEST+secret/wJalrXUtnFEMI/K7MDENGbPxRfiCY'
TOKEN_ACCESS_KEY = 'ASIAAGENTMEMTEST0002'
TOKEN_SECRET_KEY = 'agentmem/TEST+temporary/K7MDENG+bPxRfiCYEXAMPLEKEY'
SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEAgaCXVzLWVhc3QtMiJHMEUCIQ//////////TESTTOKEN+/=='

MEMORY = 'm-1234567890'
ACTOR = 'user%2Falice%3Adev'            # "user/alice:dev", each label encoded on its own
EVENT = '0000001767225600123%23a1b2c3d4'  # "0000001767225600123#a1b2c3d4"

# Headers boto3 adds after signing; the verifier must ignore them.
BOTO_UNSIGNED = [
    ('User-Agent', 'Boto3/1.43.78 md/Botocore#1.43.67 ua/2.1 os/linux#6.1 md/arch#x86_64'),
    ('amz-sdk-invocation-id', '6f1c2b9e-3a4d-4e5f-8a9b-0c1d2e3f4a5b'),
    ('amz-sdk-request', 'attempt=1'),
    ('Accept-Encoding', 'identity'),
]

# botocore reads the clock through this name; pin it so the output is reproducible.
botocore.auth.get_current_datetime = lambda *args, **kwargs: NOW


def wire(request):
    """The request as a server receives it: (method, path, query, headers, body)."""
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    headers = [('Host', botocore.auth._host_from_url(prepared.url))]
    headers += list(prepared.headers.items())
    body = prepared.body or b''
    if isinstance(body, str):
        body = body.encode('utf-8')
    return prepared.method, parts.path, parts.query or None, headers, body


def signed(name, method, path, query=None, headers=None, body=b'', token=False,
           presign_expires=None, extra_unsigned=()):
    url = ENDPOINT + path
    if query:
        url += '?' + percent_encode_sequence(query)
    request = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=body)
    if token:
        creds = Credentials(TOKEN_ACCESS_KEY, TOKEN_SECRET_KEY, SESSION_TOKEN)
    else:
        creds = Credentials(ACCESS_KEY, SECRET_KEY)
    if presign_expires:
        botocore.auth.SigV4QueryAuth(creds, SERVICE, REGION, expires=presign_expires).add_auth(
            request)
    else:
        botocore.auth.SigV4Auth(creds, SERVICE, REGION).add_auth(request)
    m, p, q, h, b = wire(request)
    h += list(extra_unsigned)
    return dict(name=name, access_key=creds.access_key, secret=creds.secret_key,
                token=creds.token, method=m, path=p, query=q, headers=h, body=b)


def client_get_event():
    """GetEvent through a real botocore client; the request is captured before sending."""
    captured = {}

    def before_send(request, **kwargs):
        captured['request'] = request
        return AWSResponse(request.url, 200, {'content-type': 'application/json'}, None)

    session = botocore.session.get_session()
    client = session.create_client(
        SERVICE, region_name=REGION, endpoint_url=ENDPOINT,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
    client.meta.events.register('before-send', before_send)
    try:
        client.get_event(memoryId=MEMORY, actorId='user/alice:dev', sessionId='s1',
                         eventId='0000001767225600123#a1b2c3d4')
    except Exception:                       # the fake 200 has no body to parse
        pass
    prepared = captured['request']
    parts = urlsplit(prepared.url)
    headers = [('Host', botocore.auth._host_from_url(prepared.url))]
    headers += [(k, v.decode() if isinstance(v, bytes) else v)
                for k, v in prepared.headers.items()]
    # User-Agent (machine details) and the invocation id (random) are not signed; fix them
    # so that the output does not change from run to run.
    auth = dict(headers)['Authorization']
    signed_names = auth.split('SignedHeaders=')[1].split(',')[0]
    fixed = dict((k.lower(), v) for k, v in BOTO_UNSIGNED)
    for i, (k, v) in enumerate(headers):
        if k.lower() in ('user-agent', 'amz-sdk-invocation-id'):
            assert k.lower() not in signed_names.split(';')
            headers[i] = (k, fixed[k.lower()])
    body = prepared.body or b''
    return dict(name='client_get_event', access_key=ACCESS_KEY, secret=SECRET_KEY, token=None,
                method=prepared.method, path=parts.path, query=parts.query or None,
                headers=headers, body=body)


def cases():
    json_hdr = {'Content-Type': 'application/json'}
    list_events = (b'{"includePayloads": false, "filter": {"branch": {"name": "main"}}, '
                   b'"maxResults": 2, "nextToken": "abc/+="}')
    create_event = ('{"actorId":"user/alice:dev","eventTimestamp":1767225600.123,'
                    '"payload":[{"conversational":{"content":{"text":"caf\u00e9 \u2615"},'
                    '"role":"USER"}}],"sessionId":"s1","clientToken":"tok-1"}').encode()
    js_headers = {
        'content-type': 'application/json',
        'content-length': str(len(create_event)),
        'x-amz-user-agent': 'aws-sdk-js/3.1140.0',
        'amz-sdk-invocation-id': '0b7e6f3c-1d2a-4c5b-9e8f-7a6b5c4d3e2f',
        'amz-sdk-request': 'attempt=1;   max=3',       # inner blanks collapse in the hash
        'x-amz-content-sha256': hashlib.sha256(create_event).hexdigest(),
    }
    return [
        signed('get_event', 'GET',
               f'/memories/{MEMORY}/actor/{ACTOR}/sessions/s1/events/{EVENT}',
               extra_unsigned=BOTO_UNSIGNED),
        signed('list_events', 'POST', f'/memories/{MEMORY}/actor/{ACTOR}/sessions/s1',
               headers=json_hdr, body=list_events, extra_unsigned=BOTO_UNSIGNED),
        signed('get_memory_record_query_space', 'GET',
               f'/memories/{MEMORY}/memoryRecord/mem-0123456789abcdef',
               query=[('namespace', '/actors/alice bob/prefs'), ('view', 'a+b c~d')],
               extra_unsigned=BOTO_UNSIGNED),
        signed('untag_repeated_keys', 'DELETE',
               '/tags/arn%3Aaws%3Abedrock-agentcore%3Aus-east-2%3A111122223333%3Amemory%2F'
               + MEMORY,
               query=[('tagKeys', 'b'), ('tagKeys', 'a c'), ('tagKeys', 'A')],
               extra_unsigned=BOTO_UNSIGNED),
        signed('js_create_event', 'POST', f'/memories/{MEMORY}/events', headers=js_headers,
               body=create_event,
               extra_unsigned=[('user-agent', 'aws-sdk-js/3.1140.0 ua/2.1 os/linux'),
                               ('connection', 'keep-alive')]),
        signed('session_token_list_actors', 'POST', f'/memories/{MEMORY}/actors',
               headers=json_hdr, body=b'{}', token=True, extra_unsigned=BOTO_UNSIGNED),
        signed('presigned_get_memory', 'GET', f'/memories/{MEMORY}/details',
               query=[('view', 'full')], presign_expires=300),
        # botocore rewrites Date with email.utils.formatdate(): "..., 14:15:00 -0000"
        signed('date_header_list_memories', 'POST', '/memories/',
               headers={'Content-Type': 'application/json',
                        'Date': 'Tue, 24 Nov 2026 14:15:00 GMT'},
               body=b'{"maxResults": 10}', extra_unsigned=BOTO_UNSIGNED),
        client_get_event(),
    ]


def c_str(data):
    """A C string literal: octal escapes (they cannot swallow the next character), and
    no "??" that -std=c11 would read as a trigraph."""
    if data is None:
        return 'NULL'
    if isinstance(data, str):
        data = data.encode('utf-8')
    out = []
    for i, byte in enumerate(data):
        ch = chr(byte)
        if ch in '"\\':
            out.append('\\' + ch)
        elif 0x20 <= byte < 0x7f and not (ch == '?' and data[i + 1:i + 2] == b'?'):
            out.append(ch)
        else:
            out.append('\\%03o' % byte)
    return '"' + ''.join(out) + '"'


def main():
    out = sys.stdout
    out.write('/*\n * sigv4_cases.h - requests signed by botocore %s for service %s, region %s,\n'
              ' * at %sZ (now_ms %d), as a server receives them.\n'
              ' * GENERATED by tests/helpers/sign_requests.py; do not edit, rerun it:\n'
              ' *     python3 tests/helpers/sign_requests.py > tests/unit/sigv4_cases.h\n'
              ' * The keys are test values that open nothing.\n */\n'
              % (botocore.__version__, SERVICE, REGION, NOW.isoformat(), NOW_MS))
    out.write('#ifndef AM_TEST_SIGV4_CASES_H\n#define AM_TEST_SIGV4_CASES_H\n\n'
              '#include "api/http/sigv4.h"\n\n'
              '#define SIGV4_CASE_MAX_HEADERS 16\n\n'
              'struct sigv4_case {\n'
              '    const char *name;\n'
              '    const char *access_key, *secret, *token;  /* token NULL when none */\n'
              '    int64_t now_ms;\n'
              '    const char *method, *raw_path, *raw_query;\n'
              '    size_t n_headers;\n'
              '    struct am_sigv4_header headers[SIGV4_CASE_MAX_HEADERS];\n'
              '    const char *body;\n'
              '    size_t body_len;\n'
              '};\n\n'
              'static const struct sigv4_case sigv4_cases[] = {\n')
    for case in cases():
        assert len(case['headers']) <= 16, case['name']
        out.write('    {\n')
        out.write('        .name = %s,\n' % c_str(case['name']))
        out.write('        .access_key = %s,\n' % c_str(case['access_key']))
        out.write('        .secret = %s,\n' % c_str(case['secret']))
        out.write('        .token = %s,\n' % c_str(case['token']))
        out.write('        .now_ms = INT64_C(%d),\n' % NOW_MS)
        out.write('        .method = %s,\n' % c_str(case['method']))
        out.write('        .raw_path = %s,\n' % c_str(case['path']))
        out.write('        .raw_query = %s,\n' % c_str(case['query']))
        out.write('        .n_headers = %d,\n' % len(case['headers']))
        out.write('        .headers = {\n')
        for name, value in case['headers']:
            out.write('            {%s, %s},\n' % (c_str(name), c_str(value)))
        out.write('        },\n')
        out.write('        .body = %s,\n' % c_str(case['body']))
        out.write('        .body_len = %d,\n' % len(case['body']))
        out.write('    },\n')
    out.write('};\n\n#endif\n')


if __name__ == '__main__':
    main()
