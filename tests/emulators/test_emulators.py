#!/usr/bin/env python3
"""Behaviour test of `crmx-emulate` (emulators/): starts the emulator in both modes on port 0
and checks it answers as the vendors document. Stdlib only.

Usage: test_emulators.py PATH/TO/crmx-emulate REPO_ROOT

Each check is a function named check_*; the script runs them all, prints one line per
check, and exits 1 when any failed. The OAuth 1.0a signature is computed here independently
(RFC 5849 section 3.4), so a wrong server algorithm fails the test.
"""
import base64
import concurrent.futures
import copy
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request

EMULATOR = sys.argv[1]
ROOT = sys.argv[2]
EXAMPLE = os.path.join(ROOT, "examples", "acme-salesforce-netsuite")
V = "/services/data/v60.0"
TMP = tempfile.mkdtemp(prefix="crmx-emulate-test-")
RUNNING = []  # every emulator started, stopped (and checked) at the end


class Emulator:
    def __init__(self, *args):
        self.stderr_path = os.path.join(TMP, f"stderr-{len(RUNNING)}.txt")
        self.proc = subprocess.Popen([EMULATOR, *args], stdout=subprocess.PIPE,
                                     stderr=open(self.stderr_path, "w"), text=True)
        line = self.proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:"), f"first line: {line!r}"
        self.base = line[len("listening on "):]
        RUNNING.append(self)

    def stderr(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=10)


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body)


def call(method, url, body=None, headers=None, form=None, timeout=10):
    """One HTTP call; a Response (also for 4xx/5xx)."""
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, r.headers, r.read().decode())
    except urllib.error.HTTPError as e:
        return Response(e.code, e.headers, e.read().decode())


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(header, claims):
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                     b64url(b"not-a-real-signature")])


# ---------------------------------------------------------------- fixtures

def salesforce_fixtures():
    """Account describe with an external id field added; 2,500 generated accounts."""
    schemas = os.path.join(TMP, "sf-schemas")
    data = os.path.join(TMP, "sf-data")
    os.makedirs(schemas)
    os.makedirs(data)
    with open(os.path.join(EXAMPLE, "schemas", "salesforce", "Account.describe.json")) as f:
        describe = json.load(f)
    ext = copy.deepcopy(next(f for f in describe["fields"] if f["name"] == "Subsidiary__c"))
    ext.update(name="External_Id__c", label="External Id", externalId=True, unique=True, length=40)
    describe["fields"].append(ext)
    with open(os.path.join(schemas, "Account.describe.json"), "w") as f:
        json.dump(describe, f)
    with open(os.path.join(data, "Account.jsonl"), "w") as f:
        for i in range(2500):
            rec = {"Id": f"001Hp{i:010d}AAA", "IsDeleted": False, "Name": f"Account {i:04d}",
                   "External_Id__c": f"EXT-{i}", "CurrencyIsoCode": "USD",
                   "AnnualRevenue": None, "NumberOfEmployees": i,
                   "CreatedDate": "2023-06-01T00:00:00.000+0000" if i % 2 else "2024-06-01T12:00:00.000+0000",
                   "OwnerId": "005Hp0000I0EtKiIQK"}
            if i == 7:
                rec["Name"] = "O'Brien \\ 100% _x_"
            line = json.dumps(rec)
            if i == 8:
                line = line.replace('"AnnualRevenue": null', '"AnnualRevenue": 9999999999999999.99')
            f.write(line + "\n")
            if i == 10:
                f.write('{"Id": "001broken", "Name": \n')  # malformed: skipped with a note
    return schemas, data


def netsuite_fixtures():
    data = os.path.join(TMP, "ns-data")
    os.makedirs(data)
    with open(os.path.join(data, "Customer.jsonl"), "w") as f:
        for i in range(1, 2501):
            rec = {"id": str(i), "externalId": f"C-{i}", "entityId": f"CUST{i}", "companyName": f"Company {i:04d}",
                   "isPerson": False, "isInactive": i % 10 == 0,
                   "subsidiary": {"id": "1", "refName": "Acme Inc"},
                   "lastModifiedDate": "2024-01-01T00:00:00Z" if i <= 1000 else "2024-03-01T00:00:00Z"}
            if i == 5:
                rec["companyName"] = "O'Brien & Sons"
                rec["creditLimit"] = "CREDIT"
            line = json.dumps(rec)
            if i == 5:
                line = line.replace('"CREDIT"', "12345678901234567.50")
            f.write(line + "\n")
    return os.path.join(EXAMPLE, "schemas", "netsuite"), data


# ---------------------------------------------------------------- salesforce

def sf_login(sf):
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "client_credentials", "client_id": "crmx-test-client",
                   "client_secret": "crmx-test-secret"})
    expect(r.status == 200, f"token: {r.status} {r.body}")
    return r.json()["access_token"]


def sf_query(sf, token, soql, path="query", headers=None):
    h = {"Authorization": "Bearer " + token, **(headers or {})}
    return call("GET", sf.base + f"{V}/{path}?" + urllib.parse.urlencode({"q": soql}), headers=h)


def check_sf_token_flows(ctx):
    sf = ctx["sf"]
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "client_credentials", "client_id": "crmx-test-client", "client_secret": "crmx-test-secret"})
    body = r.json()
    expect(r.status == 200 and body["token_type"] == "Bearer" and body["instance_url"] == sf.base, r.body)
    for key in ("access_token", "instance_url", "id", "token_type", "issued_at", "signature"):
        expect(key in body, f"token response lacks {key}")
    expected_sig = base64.b64encode(hmac.new(b"crmx-test-secret", (body["id"] + body["issued_at"]).encode(),
                                             hashlib.sha256).digest()).decode()
    expect(body["signature"] == expected_sig, "signature is not HMAC-SHA256(secret, id + issued_at)")
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "client_credentials", "client_id": "crmx-test-client", "client_secret": "wrong"})
    expect(r.status == 400 and r.json() == {"error": "invalid_client", "error_description": "invalid client credentials"},
           f"bad secret: {r.status} {r.body}")
    claims = {"iss": "crmx-test-client", "sub": "user@example.com", "aud": "https://login.salesforce.com",
              "exp": int(time.time()) + 300}
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt({"alg": "RS256"}, claims)})
    expect(r.status == 200 and r.json()["access_token"], f"jwt bearer: {r.status} {r.body}")
    del claims["sub"]
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt({"alg": "RS256"}, claims)})
    expect(r.status == 400 and r.json()["error"] == "invalid_grant", f"jwt without sub: {r.status} {r.body}")
    r = call("POST", sf.base + "/services/oauth2/token",
             form={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": "only.two"})
    expect(r.status == 400, "a JWT of two parts is refused")


def check_sf_session(ctx):
    sf = ctx["sf"]
    r = sf_query(sf, "nonsense", "SELECT Id FROM Account LIMIT 1")
    expect(r.status == 401 and r.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
           f"no session: {r.status} {r.body}")
    token = sf_login(sf)
    expect(sf_query(sf, token, "SELECT Id FROM Account LIMIT 1").status == 200, "fresh token works")
    call("POST", sf.base + "/_emulator/expire-tokens")
    expect(sf_query(sf, token, "SELECT Id FROM Account LIMIT 1").status == 401, "expired token refused")
    ctx["sf_token"] = sf_login(sf)


def check_sf_seed_note(ctx):
    expect("Account.jsonl:12: malformed JSON" in ctx["sf"].stderr(), "malformed seed line noted on stderr: "
           + ctx["sf"].stderr())


def check_sf_paging(ctx):
    sf, token = ctx["sf"], ctx["sf_token"]
    for headers, pages in (({}, 2), ({"Sforce-Query-Options": "batchSize=500"}, 5)):
        r = sf_query(sf, token, "SELECT Id, Name FROM Account", headers=headers)
        body = r.json()
        expect(r.status == 200 and body["totalSize"] == 2500 and body["done"] is False, r.body[:300])
        expect("Sforce-Limit-Info" in r.headers, "Sforce-Limit-Info header missing")
        ids = [rec["Id"] for rec in body["records"]]
        seen = 1
        while not body["done"]:
            url = body["nextRecordsUrl"]
            expect(url.startswith(V + "/query/01g"), f"nextRecordsUrl {url}")
            body = call("GET", sf.base + url, headers={"Authorization": "Bearer " + token}).json()
            ids += [rec["Id"] for rec in body["records"]]
            seen += 1
        expect(seen == pages, f"{headers}: {seen} pages, want {pages}")
        expect(len(ids) == 2500 and len(set(ids)) == 2500, "every record once")
        expect("nextRecordsUrl" not in body, "last page has no nextRecordsUrl")


def check_sf_selection_and_where(ctx):
    sf, token = ctx["sf"], ctx["sf_token"]
    r = sf_query(sf, token, r"SELECT Id, Name FROM Account WHERE Name = 'O\'Brien \\ 100% _x_'")
    body = r.json()
    expect(r.status == 200 and body["totalSize"] == 1, r.body)
    rec = body["records"][0]
    expect(list(rec) == ["attributes", "Id", "Name"], f"only selected fields: {list(rec)}")
    expect(rec["Name"] == "O'Brien \\ 100% _x_", rec["Name"])
    expect(rec["attributes"] == {"type": "Account", "url": f"{V}/sobjects/Account/{rec['Id']}"}, rec["attributes"])
    r = sf_query(sf, token, r"SELECT Id FROM Account WHERE Name LIKE 'O\'Brien%' OR Name IN ('Account 0001', 'Account 0002')")
    expect(r.json()["totalSize"] == 3, r.body[:300])
    r = sf_query(sf, token, "SELECT Id FROM Account WHERE Name LIKE 'Account 00\\_1'")
    expect(r.json()["totalSize"] == 0, "an escaped _ matches only an underscore")
    r = sf_query(sf, token, r"SELECT Id FROM Account WHERE Name LIKE 'O\'Brien \\ 100\% \_x\_'")
    expect(r.json()["totalSize"] == 1, "escaped % and _ match themselves: " + r.body)
    r = sf_query(sf, token, r"SELECT Id FROM Account WHERE Name = 'O\'Brien \\ 100\% _x_'")
    expect(r.status == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY", "\\% outside LIKE is an error: " + r.body)
    r = sf_query(sf, token, r"SELECT Id FROM Account WHERE Name = 'O\u0027Brien \\ 100% _x_'")
    expect(r.json()["totalSize"] == 1, "\\u escapes: " + r.body)
    a = sf_query(sf, token, "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T00:00:00Z").json()["totalSize"]
    b = sf_query(sf, token, "SELECT Id FROM Account WHERE CreatedDate > 2024-01-01T01:00:00.000+0100").json()["totalSize"]
    expect(a == 1250 and b == 1250, f"datetimes compare as instants: {a} {b}")
    r = sf_query(sf, token, "SELECT Id, NumberOfEmployees FROM Account WHERE NumberOfEmployees >= 10 AND "
                            "NumberOfEmployees < 20 ORDER BY NumberOfEmployees DESC LIMIT 3")
    expect([x["NumberOfEmployees"] for x in r.json()["records"]] == [19, 18, 17], r.body[:300])
    r = sf_query(sf, token, "SELECT Id, AnnualRevenue FROM Account WHERE Name = 'Account 0008'")
    expect('"AnnualRevenue":9999999999999999.99' in r.body, "exact digits: " + r.body)
    r = sf_query(sf, token, "SELECT COUNT() FROM Account WHERE NumberOfEmployees < 100")
    expect(r.json() == {"totalSize": 100, "done": True, "records": []}, "COUNT(): " + r.body)
    r = sf_query(sf, token, "SELECT Id, Bogus__c FROM Account")
    expect(r.status == 400 and r.json()[0]["errorCode"] == "INVALID_FIELD" and
           "No such column 'Bogus__c' on entity 'Account'" in r.json()[0]["message"], r.body)
    r = sf_query(sf, token, "SELECT Id FROM Account WHERE")
    expect(r.status == 400 and r.json()[0]["errorCode"] == "MALFORMED_QUERY", r.body)
    r = sf_query(sf, token, "SELECT Id FROM Nope__c")
    expect(r.status == 400 and r.json()[0]["errorCode"] == "INVALID_TYPE", r.body)


def exact(value):
    """JSON text of `value` with every string "#num:DIGITS" written as the bare number DIGITS,
    so a test can send numbers a double cannot hold."""
    return json.dumps(value).replace('"#num:', "").replace('#"', "")


def upsert(sf, token, records, all_or_none=False, field="External_Id__c"):
    return call("PATCH", sf.base + f"{V}/composite/sobjects/Account/{field}",
                body=exact({"allOrNone": all_or_none, "records": records}), headers={"Authorization": "Bearer " + token})


def acct(**fields):
    return {"attributes": {"type": "Account"}, **fields}


def check_sf_upsert(ctx):
    sf, token = ctx["sf"], ctx["sf_token"]
    r = upsert(sf, token, [acct(External_Id__c=f"N-{i}", Name="x") for i in range(201)])
    expect(r.status == 400 and r.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT", f"201 records: {r.status} {r.body}")
    r = upsert(sf, token, [
        acct(External_Id__c="NEW-1", Name="New One", AnnualRevenue="#num:12345678901234567.25#"),
        acct(External_Id__c="EXT-1", Name="Renamed One"),
        acct(External_Id__c="NEW-2"),
        acct(External_Id__c="NEW-3", Name="x", CurrencyIsoCode="XXX"),
        acct(External_Id__c="NEW-4", Name="y" * 256),
        acct(External_Id__c="NEW-5", Name="x", Foo__c=1),
        acct(External_Id__c="NEW-6", Name="x", CreatedDate="2024-01-01T00:00:00.000+0000"),
        acct(External_Id__c="DUP", Name="a"),
        acct(External_Id__c="DUP", Name="b"),
    ])
    expect(r.status == 200, r.body)
    res = r.json()
    expect(res[0]["success"] and res[0]["created"] is True and res[0]["id"].startswith("001") and len(res[0]["id"]) == 18,
           res[0])
    expect(res[1]["success"] and res[1]["created"] is False and res[1]["id"] == "001Hp0000000001AAA", res[1])
    codes = [x["errors"][0]["statusCode"] if x["errors"] else None for x in res]
    expect(codes[2:] == ["REQUIRED_FIELD_MISSING", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "STRING_TOO_LONG",
                         "INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE", "DUPLICATE_VALUE", "DUPLICATE_VALUE"], codes)
    expect(res[2]["errors"][0] == {"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
                                   "fields": ["Name"]}, res[2])
    expect(all(x["success"] is False for x in res[2:]), "failed records are not successes")
    r = sf_query(sf, token, "SELECT Id, Name, AnnualRevenue, CreatedDate, SystemModstamp FROM Account "
                            "WHERE External_Id__c = 'NEW-1'")
    rec = r.json()["records"][0]
    expect('"AnnualRevenue":12345678901234567.25' in r.body, "written digits kept: " + r.body)
    expect(len(rec["SystemModstamp"]) == 28 and rec["SystemModstamp"].endswith("+0000"), rec["SystemModstamp"])
    r = upsert(sf, token, [acct(External_Id__c="NEW-1", Name="New One again")])
    expect(r.json()[0]["created"] is False and r.json()[0]["id"] == res[0]["id"], r.body)
    # allOrNone: one bad record rolls back the good one.
    r = upsert(sf, token, [acct(External_Id__c="AON-1", Name="ok"), acct(External_Id__c="AON-2")], all_or_none=True)
    res = r.json()
    expect(res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK" and not res[0]["success"], res)
    expect(sf_query(sf, token, "SELECT Id FROM Account WHERE External_Id__c = 'AON-1'").json()["totalSize"] == 0,
           "rolled back record not written")
    # By Id: updates; an unknown Id fails.
    r = upsert(sf, token, [acct(Id="001Hp0000000002AAA", Name="By Id"), acct(Id="001Hp9999999999AAA", Name="z")], field="Id")
    res = r.json()
    expect(res[0]["success"] and res[0]["created"] is False and not res[1]["success"], res)
    # sObject Collections update (PATCH composite/sobjects) and create (POST).
    auth = {"Authorization": "Bearer " + token}
    r = call("PATCH", sf.base + f"{V}/composite/sobjects", headers=auth, body={"allOrNone": False, "records": [
        acct(id="001Hp0000000004AAA", Name="Updated Four"), acct(id="001000000000000AAA", Name="nobody")]})
    res = r.json()
    expect(res[0] == {"id": "001Hp0000000004AAA", "success": True, "errors": []}, res)
    expect(res[1]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY", res)
    r = call("POST", sf.base + f"{V}/composite/sobjects", headers=auth, body={"allOrNone": False, "records": [
        acct(Name="Created by collection"), acct(Id="001Hp0000000005AAA", Name="with id")]})
    res = r.json()
    expect(res[0]["success"] and len(res[0]["id"]) == 18 and "created" not in res[0], res)
    expect(res[1]["errors"][0]["statusCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE", res)
    journal = [json.loads(line) for line in call("GET", sf.base + "/_emulator/journal").body.splitlines()]
    ops = [(j["key"], j["op"]) for j in journal]
    expect(ops == [("NEW-1", "created"), ("EXT-1", "updated"), ("NEW-1", "updated"), ("", "updated"), ("", "updated"),
                   ("", "created")], ops)
    records = [json.loads(line) for line in call("GET", sf.base + "/_emulator/records/Account").body.splitlines()]
    expect(len(records) == 2502, f"{len(records)} stored records")
    raw = call("GET", sf.base + "/_emulator/records/Account").body
    expect("12345678901234567.25" in raw and "9999999999999999.99" in raw, "records endpoint keeps digits")


def sf_now():
    """Now in Salesforce's datetime form, whose text order is time order."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d}+0000"


def check_sf_delete_and_query_all(ctx):
    """DELETE puts a record in the recycle bin: query leaves it out, queryAll returns it with
    IsDeleted true and a new SystemModstamp; a second DELETE is 404 ENTITY_IS_DELETED."""
    sf, token = ctx["sf"], ctx["sf_token"]
    auth = {"Authorization": "Bearer " + token}
    gone = "001Hp0000000003AAA"
    rows = sf_query(sf, token, f"SELECT Id, SystemModstamp FROM Account WHERE Id = '{gone}'").json()["records"]
    expect(len(rows) == 1, rows)
    stamp_before = rows[0]["SystemModstamp"]  # null: the fixture seeds none
    journal_before = len(call("GET", sf.base + "/_emulator/journal").body.splitlines())
    started = sf_now()
    time.sleep(0.01)
    r = call("DELETE", sf.base + f"{V}/sobjects/Account/{gone}", headers=auth)
    expect(r.status == 204 and r.body == "", f"{r.status} {r.body}")
    journal = [json.loads(line) for line in call("GET", sf.base + "/_emulator/journal").body.splitlines()]
    expect(len(journal) == journal_before + 1 and journal[-1]["op"] == "deleted" and journal[-1]["id"] == gone
           and journal[-1]["object"] == "Account", journal[-1:])

    # query leaves it out, even when the WHERE asks for deleted records (Salesforce: "The same
    # query using Query instead of QueryAll would return no records").
    q = f"SELECT Id, IsDeleted, SystemModstamp, LastModifiedDate FROM Account WHERE Id = '{gone}'"
    expect(sf_query(sf, token, q).json()["totalSize"] == 0, "query leaves deleted records out")
    r = sf_query(sf, token, "SELECT Id FROM Account WHERE IsDeleted = true")
    expect(r.status == 200 and r.json()["totalSize"] == 0, "query with IsDeleted = true: " + r.body[:300])
    # queryAll returns it, deleted, stamped at the delete.
    r = sf_query(sf, token, q, path="queryAll")
    body = r.json()
    expect(body["totalSize"] == 1 and body["records"][0]["IsDeleted"] is True, r.body)
    rec = body["records"][0]
    expect(rec["SystemModstamp"] is not None and rec["SystemModstamp"] != stamp_before
           and rec["SystemModstamp"] > started, f"SystemModstamp {stamp_before} -> {rec['SystemModstamp']} (delete at {started})")
    expect(rec["LastModifiedDate"] == rec["SystemModstamp"], rec)
    r = sf_query(sf, token, "SELECT Id FROM Account WHERE IsDeleted = true", path="queryAll")
    expect([x["Id"] for x in r.json()["records"]] == [gone], r.body[:300])
    r = sf_query(sf, token, f"SELECT Id FROM Account WHERE SystemModstamp >= {started}", path="queryAll")
    expect([x["Id"] for x in r.json()["records"]] == [gone], "a cursor read sees the deletion: " + r.body[:300])

    # queryAll pages as query does; the nextRecordsUrl says query, and either resource reads it.
    live = sf_query(sf, token, "SELECT Id FROM Account").json()["totalSize"]
    r = sf_query(sf, token, "SELECT Id, IsDeleted FROM Account", path="queryAll",
                 headers={"Sforce-Query-Options": "batchSize=1000"})
    body = r.json()
    expect(body["totalSize"] == live + 1 and body["done"] is False and len(body["records"]) == 1000, r.body[:300])
    records = body["records"]
    pages = 1
    while not body["done"]:
        url = body["nextRecordsUrl"]
        expect(url.startswith(V + "/query/01g"), f"nextRecordsUrl {url}")
        if pages == 1:
            url = url.replace(V + "/query/", V + "/queryAll/")  # QueryAll More Results
        body = call("GET", sf.base + url, headers=auth).json()
        records += body["records"]
        pages += 1
    ids = [x["Id"] for x in records]
    expect(pages == 3 and len(ids) == live + 1 and len(set(ids)) == len(ids), f"{pages} pages, {len(ids)} records")
    expect([x["Id"] for x in records if x["IsDeleted"]] == [gone], "the deleted record once, IsDeleted true")

    # Deleted is not gone: a second DELETE and a GET say so; an update by Id is refused.
    r = call("DELETE", sf.base + f"{V}/sobjects/Account/{gone}", headers=auth)
    expect(r.status == 404 and r.json() == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED",
                                             "fields": []}], f"second DELETE: {r.status} {r.body}")
    r = call("GET", sf.base + f"{V}/sobjects/Account/{gone}", headers=auth)
    expect(r.status == 404 and r.json()[0]["errorCode"] == "NOT_FOUND", f"GET: {r.status} {r.body}")
    r = call("DELETE", sf.base + f"{V}/sobjects/Account/001Hp9999999999AAA", headers=auth)
    expect(r.status == 404 and r.json()[0]["errorCode"] == "NOT_FOUND", f"unknown: {r.status} {r.body}")
    r = call("PATCH", sf.base + f"{V}/composite/sobjects", headers=auth,
             body={"allOrNone": False, "records": [acct(Id=gone, Name="back?")]})
    expect(r.json()[0]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED", r.body)
    expect(len(call("GET", sf.base + "/_emulator/journal").body.splitlines()) == journal_before + 1,
           "refused calls write nothing")


def check_sf_api_limit(ctx):
    sf = Emulator("salesforce", "--port", "0", "--schemas", ctx["sf_schemas"], "--api-limit", "3")
    token = sf_login(sf)
    statuses = []
    for _ in range(4):
        r = sf_query(sf, token, "SELECT Id FROM Account")
        statuses.append((r.status, r.headers.get("Sforce-Limit-Info")))
    expect(statuses[:3] == [(200, f"api-usage={i}/3") for i in (1, 2, 3)], statuses)
    expect(statuses[3] == (403, "api-usage=4/3"), statuses)
    expect(r.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}], r.body)


# ---------------------------------------------------------------- netsuite

def ns_token(ns, iss="crmx-test-consumer-key", kid="cert-1"):
    now = int(time.time())
    claims = {"iss": iss, "scope": ["restlets", "rest_webservices"], "aud": ns.base + "/services/rest/auth/oauth2/v1/token",
              "exp": now + 300, "iat": now}
    return call("POST", ns.base + "/services/rest/auth/oauth2/v1/token", form={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": jwt({"alg": "PS256", "typ": "JWT", "kid": kid}, claims)})


def suiteql(ns, token, q, limit=None, offset=None, prefer="transient"):
    params = {}
    if limit is not None:
        params["limit"] = limit
    if offset is not None:
        params["offset"] = offset
    url = ns.base + "/services/rest/query/v1/suiteql" + ("?" + urllib.parse.urlencode(params) if params else "")
    headers = {"Authorization": "Bearer " + token}
    if prefer:
        headers["Prefer"] = prefer
    return call("POST", url, body={"q": q}, headers=headers)


def check_ns_token(ctx):
    ns = ctx["ns"]
    r = ns_token(ns)
    expect(r.status == 200 and r.json()["token_type"] == "bearer" and r.json()["expires_in"] == "3600", r.body)
    ctx["ns_token"] = r.json()["access_token"]
    expect(ns_token(ns, iss="someone-else").status == 400, "unknown client refused")
    now = int(time.time())
    bad = call("POST", ns.base + "/services/rest/auth/oauth2/v1/token", form={
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": jwt({"alg": "PS256"}, {"iss": "crmx-test-consumer-key", "scope": "x", "aud": "a",
                                                   "exp": now + 60, "iat": now})})
    expect(bad.status == 400, "a JWT header without kid is refused")
    r = suiteql(ns, "wrong", "SELECT id FROM customer")
    body = r.json()
    expect(r.status == 401 and body["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN" and body["status"] == 401, r.body)


def check_ns_suiteql(ctx):
    ns, token = ctx["ns"], ctx["ns_token"]
    r = suiteql(ns, token, "SELECT id, companyName, isInactive FROM customer WHERE id < 30 OR id >= 100", limit=1000)
    body = r.json()
    expect(r.status == 200 and body["hasMore"] is True and body["count"] == 1000 and body["offset"] == 0, r.body[:400])
    expect(body["totalResults"] == 29 + 2401, body["totalResults"])
    expect(list(body) == ["links", "count", "hasMore", "items", "offset", "totalResults"], list(body))
    item = body["items"][0]
    expect(item == {"links": [], "id": "1", "companyname": "Company 0001", "isinactive": "F"}, item)
    nxt = [l["href"] for l in body["links"] if l["rel"] == "next"]
    expect(nxt and nxt[0].endswith("limit=1000&offset=1000"), body["links"])
    ids = [x["id"] for x in body["items"]]
    offset = 1000
    while body["hasMore"]:
        body = suiteql(ns, token, "SELECT id, companyName, isInactive FROM customer WHERE id < 30 OR id >= 100",
                       limit=1000, offset=offset).json()
        ids += [x["id"] for x in body["items"]]
        offset += 1000
    expect(len(ids) == 2430 and len(set(ids)) == 2430 and offset == 3000, f"{len(ids)} ids in {offset // 1000} pages")
    r = suiteql(ns, token, "SELECT id, creditlimit, subsidiary FROM customer WHERE companyname = 'O''Brien & Sons'")
    expect(r.json()["items"] == [{"links": [], "id": "5", "creditlimit": "12345678901234567.50", "subsidiary": "1"}],
           r.body)
    r = suiteql(ns, token, "SELECT id FROM customer WHERE lastmodifieddate >= TO_DATE('2024-02-01T00:00:00', "
                           "'YYYY-MM-DD\"T\"HH24:MI:SS') AND isinactive = 'F' ORDER BY id DESC", limit=5)
    body = r.json()
    expect(body["totalResults"] == 1350 and [x["id"] for x in body["items"]] == ["2499", "2498", "2497", "2496", "2495"],
           r.body[:400])
    r = suiteql(ns, token, "SELECT id, lastmodifieddate, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS modified, "
                           "TO_CHAR(lastmodifieddate, 'DD.MM.YYYY') FROM customer WHERE id = 1001")
    expect(r.json()["items"] == [{"links": [], "id": "1001", "lastmodifieddate": "3/1/2024",
                                  "modified": "2024-03-01T00:00:00", "expr1": "01.03.2024"}], r.body)
    r = suiteql(ns, token, "SELECT id, type, tranid FROM transaction WHERE type = 'SalesOrd'")
    expect(r.status == 200, "the transaction table: " + r.body)
    r = suiteql(ns, token, "SELECT nosuchcolumn FROM customer")
    expect(r.status == 400 and r.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER", r.body)
    expect(suiteql(ns, token, "SELECT id FROM customer", prefer=None).status == 400, "Prefer: transient required")
    expect(suiteql(ns, token, "SELECT id FROM customer", limit=1001).status == 400, "limit above 1000 refused")


def ns_put(ns, token, rtype, eid, body, key=None):
    h = {"Authorization": "Bearer " + token}
    if key:
        h["X-NetSuite-Idempotency-Key"] = key
    return call("PUT", ns.base + f"/services/rest/record/v1/{rtype}/eid:{eid}", body=exact(body), headers=h)


def check_ns_records(ctx):
    ns, token = ctx["ns"], ctx["ns_token"]
    h = {"Authorization": "Bearer " + token}
    r = ns_put(ns, token, "customer", "NEW-C1", {"companyName": "New Co", "subsidiary": {"refName": "Acme Inc"},
                                                 "creditLimit": "#num:1000000000000000.05#"})
    expect(r.status == 204 and r.body == "", f"{r.status} {r.body}")
    loc = r.headers["Location"]
    expect(loc.startswith(ns.base + "/services/rest/record/v1/customer/"), loc)
    new_id = loc.rsplit("/", 1)[1]
    expect(new_id.isdigit() and int(new_id) > 2500, new_id)
    got = call("GET", loc, headers=h)
    expect('"creditLimit":1000000000000000.05' in got.body, "exact digits on read: " + got.body)
    rec = got.json()
    expect(rec["externalId"] == "NEW-C1" and rec["subsidiary"] == {"id": "1", "refName": "Acme Inc"}
           and rec["isInactive"] is False, rec)
    r = ns_put(ns, token, "customer", "NEW-C1", {"companyName": "New Co Renamed"})
    expect(r.status == 204 and r.headers["Location"] == loc, "update keeps the record")
    # Sales order: reference to the customer, item sublist; numbering and status assigned.
    r = ns_put(ns, token, "salesOrder", "SO-EXT-1", {"entity": {"id": new_id},
                                                     "item": {"items": [{"item": {"id": "5"}, "quantity": 2, "rate": "#num:100.10#"}]}})
    expect(r.status == 204, r.body)
    so = call("GET", r.headers["Location"], headers=h).json()
    expect(so["tranId"] == "SO1001" and so["status"] == "Pending Approval" and so["entity"]["refName"] == "New Co Renamed",
           so)
    expect(so["item"]["items"][0]["quantity"] == 2, so["item"])
    expect('"amount":200.20' in call("GET", r.headers["Location"], headers=h).body and
           '"total":200.20' in call("GET", r.headers["Location"], headers=h).body, "line amount and total computed")
    expect('"rate":100.10' in call("GET", r.headers["Location"], headers=h).body, "sublist digits kept")
    r = suiteql(ns, token, "SELECT id, type, tranid, entity, status FROM transaction WHERE type = 'SalesOrd'")
    expect(r.json()["items"] == [{"links": [], "id": so["id"], "type": "SalesOrd", "tranid": "SO1001", "entity": new_id,
                                  "status": "Pending Approval"}], r.body)
    journal = [json.loads(line) for line in call("GET", ns.base + "/_emulator/journal").body.splitlines()]
    expect([(j["object"], j["key"], j["op"]) for j in journal] ==
           [("Customer", "NEW-C1", "created"), ("Customer", "NEW-C1", "updated"), ("SalesOrder", "SO-EXT-1", "created")],
           journal)


def check_ns_errors(ctx):
    ns, token = ctx["ns"], ctx["ns_token"]
    cases = [
        ("customer", {"subsidiary": {"refName": "Acme Inc"}}, "USER_ERROR", "", "Please enter value(s) for: Company Name"),
        ("customer", {"companyName": "x" * 84, "subsidiary": {"refName": "Acme Inc"}}, "USER_ERROR", "companyName",
         "more than the maximum number ( 83 )"),
        ("customer", {"companyName": "x", "subsidiary": {"refName": "Acme Inc"}, "currency": {"refName": "XXX"}},
         "INVALID_CONTENT", "currency", "Invalid Field Value XXX"),
        ("customer", {"companyName": "x", "subsidiary": {"refName": "Acme Inc"}, "bogus": 1}, "INVALID_CONTENT", "bogus", ""),
        ("customer", {"companyName": "x", "subsidiary": {"refName": "Acme Inc"}, "balance": 1}, "USER_ERROR", "balance",
         "permissions to set a value"),
        ("salesOrder", {"entity": {"id": "999999"}}, "INVALID_CONTENT", "entity", "Invalid Field Value 999999"),
        ("salesOrder", {"entity": {"id": "1"}, "item": {"items": [{"quantity": 1}]}}, "USER_ERROR", "item.items[0]",
         "Please enter value(s) for: Item"),
    ]
    for rtype, body, code, path, text in cases:
        r = ns_put(ns, token, rtype, "ERR-" + secrets.token_hex(4), body)
        err = r.json()
        expect(r.status == 400 and err["title"] == "Bad Request" and err["status"] == 400
               and err["type"].startswith("https://"), f"{body}: {r.status} {r.body}")
        d = err["o:errorDetails"][0]
        expect(d["o:errorCode"] == code and d.get("o:errorPath", "") == path and text in d["detail"], f"{body}: {d}")
    journal = call("GET", ns.base + "/_emulator/journal").body
    expect("ERR-" not in journal, "refused writes are not journaled")


def check_ns_idempotency(ctx):
    def post(ns, token, key):
        h = {"Authorization": "Bearer " + token, "X-NetSuite-Idempotency-Key": key}
        return call("POST", ns.base + "/services/rest/record/v1/customer",
                    body={"companyName": "Idem", "subsidiary": {"refName": "Acme Inc"}}, headers=h)

    def applied(ns, key):
        journal = [json.loads(line) for line in call("GET", ns.base + "/_emulator/journal").body.splitlines()]
        return sum(1 for j in journal if j["request_id"] == key)

    ns, token = ctx["ns"], ctx["ns_token"]
    a, b = post(ns, token, "key-123"), post(ns, token, "key-123")
    expect(a.status == 204 and b.status == 400 and b.json()["o:errorDetails"][0]["o:errorCode"] == "IDEMPOTENCY_ERROR"
           and b.json()["title"] == "Conflict" and b.headers["Location"] == a.headers["Location"],
           f"documented conflict: {b.status} {b.body}")
    expect(applied(ns, "key-123") == 1, "applied once")
    replay = Emulator("netsuite", "--port", "0", "--schemas", ctx["ns_schemas"], "--idempotency", "replay")
    token = ns_token(replay).json()["access_token"]
    a, b = post(replay, token, "key-9"), post(replay, token, "key-9")
    expect(a.status == 204 and b.status == 204 and a.headers["Location"] == b.headers["Location"], "replayed answer")
    expect(applied(replay, "key-9") == 1, "applied once (replay)")


def oauth1_header(method, url, params, nonce, secret="crmx-test-consumer-secret", tamper=False):
    """RFC 5849 section 3.4.1 and 3.4.2, computed independently of the emulator."""
    enc = lambda s: urllib.parse.quote(str(s), safe="~-._")
    oauth = {"oauth_consumer_key": "crmx-test-consumer-key", "oauth_token": "crmx-test-token-id",
             "oauth_signature_method": "HMAC-SHA256", "oauth_timestamp": str(int(time.time())),
             "oauth_nonce": nonce, "oauth_version": "1.0"}
    pairs = sorted((enc(k), enc(v)) for k, v in list(oauth.items()) + list(params.items()))
    normalized = "&".join(f"{k}={v}" for k, v in pairs)
    base = "&".join([method, enc(url), enc(normalized)])
    key = enc(secret) + "&" + enc("crmx-test-token-secret")
    sig = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    if tamper:
        sig = sig[:-2] + ("A=" if sig[-2] != "A" else "B=")
    oauth["oauth_signature"] = sig
    return 'OAuth realm="TSTDRV1234567",' + ",".join(f'{k}="{enc(v)}"' for k, v in oauth.items())


def check_ns_oauth1(ctx):
    ns = ctx["ns"]
    url = ns.base + "/services/rest/record/v1/customer/5"
    params = {"expandSubResources": "true", "fields": "companyName,id"}
    full = url + "?" + urllib.parse.urlencode(params)
    nonce = secrets.token_hex(8)
    r = call("GET", full, headers={"Authorization": oauth1_header("GET", url, params, nonce)})
    expect(r.status == 200 and r.json()["companyName"] == "O'Brien & Sons", f"signed call: {r.status} {r.body}")
    r = call("GET", full, headers={"Authorization": oauth1_header("GET", url, params, nonce)})
    expect(r.status == 401, "a reused nonce is refused")
    r = call("GET", full, headers={"Authorization": oauth1_header("GET", url, params, secrets.token_hex(8), tamper=True)})
    expect(r.status == 401 and r.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN", r.body)
    r = call("GET", full, headers={"Authorization": oauth1_header("GET", url, params, secrets.token_hex(8), secret="x")})
    expect(r.status == 401, "a wrong consumer secret is refused")
    r = call("GET", full, headers={"Authorization": oauth1_header("GET", url, {}, secrets.token_hex(8))})
    expect(r.status == 401, "query parameters are part of the signed base string")


def passport(account="TSTDRV1234567", nonce=None, timestamp=None, secret="crmx-test-consumer-secret"):
    """A SOAP tokenPassport, signed as the SuiteTalk SOAP guide says (computed here, independently)."""
    nonce = nonce or secrets.token_hex(10)
    timestamp = str(timestamp or int(time.time()))
    base = "&".join([account, "crmx-test-consumer-key", "crmx-test-token-id", nonce, timestamp])
    key = secret + "&crmx-test-token-secret"
    sig = base64.b64encode(hmac.new(key.encode(), base.encode(), hashlib.sha256).digest()).decode()
    return ("<platformMsgs:tokenPassport>"
            f"<platformCore:account>{account}</platformCore:account>"
            "<platformCore:consumerKey>crmx-test-consumer-key</platformCore:consumerKey>"
            "<platformCore:token>crmx-test-token-id</platformCore:token>"
            f"<platformCore:nonce>{nonce}</platformCore:nonce><platformCore:timestamp>{timestamp}</platformCore:timestamp>"
            f'<platformCore:signature algorithm="HMAC-SHA256">{sig}</platformCore:signature></platformMsgs:tokenPassport>')


def get_deleted(ns, rtype, page=1, since=None, header=None, op="onOrAfter"):
    date = (f'<platformCore:deletedDate operator="{op}"><platformCore:searchValue>{since}</platformCore:searchValue>'
            "</platformCore:deletedDate>") if since else ""
    body = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:platformMsgs="urn:messages_2024_2.platform.webservices.netsuite.com" '
            'xmlns:platformCore="urn:core_2024_2.platform.webservices.netsuite.com">'
            f"<soapenv:Header>{passport() if header is None else header}</soapenv:Header><soapenv:Body>"
            f"<platformMsgs:getDeleted><platformMsgs:getDeletedFilter>{date}"
            f'<platformCore:type operator="anyOf"><platformCore:searchValue>{rtype}</platformCore:searchValue>'
            f"</platformCore:type></platformMsgs:getDeletedFilter><platformMsgs:pageIndex>{page}</platformMsgs:pageIndex>"
            "</platformMsgs:getDeleted></soapenv:Body></soapenv:Envelope>")
    return call("POST", ns.base + "/services/NetSuitePort_2024_2", body=body,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getDeleted"})


def deleted_ids(r):
    """(internalId, externalId) of each deleted record of a getDeleted answer, and its counts."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(r.body)
    core = "{urn:core_2024_2.platform.webservices.netsuite.com}"
    result = root.find(f".//{core}getDeletedResult")
    counts = {k: int(result.find(core + k).text) for k in ("totalRecords", "pageSize", "totalPages", "pageIndex")}
    recs = [(d.find(core + "record").get("internalId"), d.find(core + "record").get("externalId"),
             d.find(core + "deletedDate").text) for d in result.iter(core + "deletedRecord")]
    return recs, counts


def check_ns_delete_and_get_deleted(ctx):
    ns = Emulator("netsuite", "--port", "0", "--schemas", ctx["ns_schemas"], "--data", os.path.join(TMP, "ns-data"),
                  "--deleted-page-size", "2")
    token = ns_token(ns).json()["access_token"]
    h = {"Authorization": "Bearer " + token}
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 2))
    for target in ("7", "eid:C-8", "9"):
        r = call("DELETE", ns.base + f"/services/rest/record/v1/customer/{target}", headers=h)
        expect(r.status == 204 and r.body == "", f"DELETE {target}: {r.status} {r.body}")
    r = call("DELETE", ns.base + "/services/rest/record/v1/customer/7", headers=h)
    expect(r.status == 404 and r.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID", r.body)
    expect(call("GET", ns.base + "/services/rest/record/v1/customer/8", headers=h).status == 404, "a deleted record is gone")
    ids = {i["id"] for i in suiteql(ns, token, "SELECT id FROM customer").json()["items"]}
    expect({"6", "10"} <= ids and not {"7", "8", "9"} & ids, "SuiteQL no longer reads the deleted records")
    journal = [json.loads(line) for line in call("GET", ns.base + "/_emulator/journal").body.splitlines()]
    expect([(j["id"], j["key"], j["op"]) for j in journal] == [("7", "C-7", "deleted"), ("8", "C-8", "deleted"),
                                                               ("9", "C-9", "deleted")], journal)
    # Pages of --deleted-page-size 2, in the order of deletion; the dates in NetSuite's form.
    r = get_deleted(ns, "customer")
    expect(r.status == 200 and r.headers["Content-Type"].startswith("text/xml"), f"{r.status} {r.body}")
    recs, counts = deleted_ids(r)
    expect(counts == {"totalRecords": 3, "pageSize": 2, "totalPages": 2, "pageIndex": 1}, counts)
    expect([x[:2] for x in recs] == [("7", "C-7"), ("8", "C-8")], recs)
    expect(recs[0][2].endswith(".000-07:00") and len(recs[0][2]) == 29, recs[0][2])
    recs, counts = deleted_ids(get_deleted(ns, "customer", page=2))
    expect([x[:2] for x in recs] == [("9", "C-9")] and counts["pageIndex"] == 2, (recs, counts))
    expect(deleted_ids(get_deleted(ns, "customer", since=before))[1]["totalRecords"] == 3, "onOrAfter a time before")
    expect(deleted_ids(get_deleted(ns, "customer", since="2999-01-01T00:00:00Z"))[1]["totalRecords"] == 0, "none after")
    expect(deleted_ids(get_deleted(ns, "customer", since="2999-01-01T00:00:00Z", op="before"))[1]["totalRecords"] == 3,
           "before")
    expect(deleted_ids(get_deleted(ns, "salesOrder"))[1]["totalRecords"] == 0, "another type")
    r = get_deleted(ns, "customer", op="sometime", since=before)
    expect(r.status == 200 and 'isSuccess="false"' in r.body and "INVALID_PARAMETER" in r.body, r.body)
    # The token passport is checked: a wrong secret, a reused nonce, a stale timestamp, none at all.
    nonce = secrets.token_hex(10)
    expect(get_deleted(ns, "customer", header=passport(nonce=nonce)).status == 200, "first use of a nonce")
    for label, header in (("wrong secret", passport(secret="x")), ("reused nonce", passport(nonce=nonce)),
                          ("stale timestamp", passport(timestamp=int(time.time()) - 3600)), ("no passport", "")):
        r = get_deleted(ns, "customer", header=header)
        expect(r.status == 500 and "<soapenv:Fault>" in r.body and "invalidSessionFault" in r.body
               and "<platformFaults:code>INVALID_LOGIN_ATTEMPT</platformFaults:code>" in r.body, f"{label}: {r.body}")
    # A bearer token does not sign SOAP.
    r = call("POST", ns.base + "/services/NetSuitePort_2024_2", body="<x/>", headers=h)
    expect(r.status == 500 and "Fault" in r.body, r.body)
    # Reset: the records are back and nothing is deleted.
    call("POST", ns.base + "/_emulator/reset")
    expect(deleted_ids(get_deleted(ns, "customer"))[1]["totalRecords"] == 0, "reset empties the deletion log")
    # A role without the Deleted Records permission.
    denied = Emulator("netsuite", "--port", "0", "--schemas", ctx["ns_schemas"], "--without-deleted-records-permission")
    r = get_deleted(denied, "customer")
    expect(r.status == 500 and "insufficientPermissionFault" in r.body and "INSUFFICIENT_PERMISSION" in r.body
           and "Deleted Records" in r.body, r.body)


def check_ns_concurrency(ctx):
    for style, status, code in (("429", 429, "CONCURRENCY_LIMIT_EXCEEDED"), ("sss", 400, "SSS_REQUEST_LIMIT_EXCEEDED")):
        ns = Emulator("netsuite", "--port", "0", "--schemas", ctx["ns_schemas"], "--concurrency", "2",
                      "--latency-ms", "1500", "--limit-style", style)
        token = ns_token(ns).json()["access_token"]
        with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
            results = list(pool.map(lambda _: suiteql(ns, token, "SELECT id FROM customer"), range(5)))
        refused = [r for r in results if r.status == status]
        expect(sum(1 for r in results if r.status == 200) == 2 and len(refused) == 3,
               f"{style}: {[r.status for r in results]}")
        d = refused[0].json()["o:errorDetails"][0]
        expect(d["o:errorCode"] == code, d)
        if style == "429":
            expect(refused[0].json()["title"] == "Too Many Requests" and "Concurrent request limit exceeded" in d["detail"], d)


def fault_run(ns, token, n):
    """n upserts, one key each; the outcome of each as the client saw it."""
    outcomes = []
    for i in range(n):
        try:
            r = ns_put(ns, token, "customer", f"F-{i}", {"companyName": f"Fault {i}", "subsidiary": {"refName": "Acme Inc"}},
                       key=None)
            outcomes.append(str(r.status))
        except Exception:  # reset or timeout: no answer
            outcomes.append("no-answer")
    return outcomes


def check_faults(ctx):
    ns = Emulator("netsuite", "--port", "0", "--schemas", ctx["ns_schemas"], "--faults", "0.3", "--fault-seed", "7",
                  "--fault-delay-ms", "200")
    token = ns_token(ns).json()["access_token"]
    first = fault_run(ns, token, 40)
    journal1 = [json.loads(line) for line in call("GET", ns.base + "/_emulator/journal").body.splitlines()]
    stats = call("GET", ns.base + "/_emulator/stats").json()
    call("POST", ns.base + "/_emulator/reset")
    second = fault_run(ns, token, 40)
    journal2 = [json.loads(line) for line in call("GET", ns.base + "/_emulator/journal").body.splitlines()]
    expect(first == second, f"same seed, same faults:\n{first}\n{second}")
    expect(any(o != "204" for o in first) and first.count("204") >= 20, f"about 30% faults: {first}")
    expect({"429", "503", "no-answer"} <= set(first), f"fault kinds seen: {set(first)}")
    keys = [j["key"] for j in journal1]
    expect(len(keys) == len(set(keys)), "each key applied at most once")
    applied = set(keys)
    for i, o in enumerate(first):
        if o == "204":
            expect(f"F-{i}" in applied, f"F-{i} answered 204 but not journaled")
        if o in ("429", "503"):
            expect(f"F-{i}" not in applied, f"F-{i} refused with {o} but journaled")
    after_apply = [i for i, o in enumerate(first) if o == "no-answer" and f"F-{i}" in applied]
    expect(after_apply, "the seed gives at least one reset after apply (else the check below proves nothing)")
    expect(len(after_apply) == stats["faults"].get("reset_after_apply", 0),
           f"resets after apply {after_apply} vs stats {stats['faults']}")
    expect([j["key"] for j in journal2] == keys, "the journal after a reset replays the same writes")
    stored = {json.loads(l)["externalId"] for l in call("GET", ns.base + "/_emulator/records/Customer").body.splitlines()}
    expect(stored == applied, "records are exactly the journaled writes")


def check_example_seed(ctx):
    """The example's CRM data: one line of Account.jsonl is malformed on purpose."""
    sf = Emulator("salesforce", "--port", "0", "--schemas", os.path.join(EXAMPLE, "schemas", "salesforce"),
                  "--data", os.path.join(EXAMPLE, "data", "crm"))
    token = sf_login(sf)
    expect("Account.jsonl:137: malformed JSON, line skipped" in sf.stderr(), sf.stderr())
    with open(os.path.join(EXAMPLE, "data", "crm", "Account.jsonl")) as f:
        lines = sum(1 for line in f if line.strip())
    expect(sf_query(sf, token, "SELECT COUNT() FROM Account").json()["totalSize"] == lines - 1, "every good line loaded")
    r = sf_query(sf, token, "SELECT Id, Opportunity.Name, Product2.ProductCode FROM OpportunityLineItem LIMIT 1")
    rec = r.json()["records"][0]
    expect(rec["Opportunity"]["attributes"]["type"] == "Opportunity" and "ProductCode" in rec["Product2"], r.body)


HOSTILE_QUERIES = [
    "SELECT", "SELECT Id", "SELECT Id FROM", "SELECT COUNT", "SELECT COUNT(", "SELECT Id FROM Account WHERE",
    "SELECT Id FROM Account WHERE Name =", "SELECT Id FROM Account WHERE Name = 'x", "SELECT Id FROM Account WHERE Name IN (",
    "SELECT Id FROM Account WHERE (Name = 'a'", "SELECT Id FROM Account WHERE Name = 'a\\", "SELECT Id, FROM Account",
    "SELECT Id FROM Account WHERE Name = '\\u12'", "SELECT Parent.Parent.Name FROM Account", "SELECT TO_CHAR(",
    "SELECT Id FROM Account WHERE CreatedDate > 2024-13-01T00:00:00Z", "SELECT id FROM customer WHERE x IS",
    "SELECT id FROM customer WHERE lastmodifieddate > TO_DATE('x')"]
HOSTILE_BODIES = [
    "", "null", "[]", "{}", '{"records": 5}', '{"records": [1, "a", null, [], {}]}', '{"records": [{"attributes": 5}]}',
    '{"records": [{"attributes": {"type": 5}, "External_Id__c": {}}]}', '{"x": 1.2.3}', "1e999999",
    '{"records": [{"attributes": {"type": "Account"}, "External_Id__c": "Z", "Name": 5, "NumberOfEmployees": "x", '
    '"CurrencyIsoCode": [], "ParentId": 7}]}',
    '{"companyName": 5}', '{"entity": {"id": {}}}', '{"item": 5}', '{"item": {"items": [1, null, {"item": []}]}}',
    '{"currency": {"id": "99"}}', '{"q": 5}', '{"externalId": {}}']


def check_hostile_input(ctx):
    """Malformed queries, bodies and headers get 4xx answers, never a 500 or a crash."""
    sf, ns = ctx["sf"], ctx["ns"]
    sf_auth = {"Authorization": "Bearer " + ctx["sf_token"]}
    ns_auth = {"Authorization": "Bearer " + ctx["ns_token"], "Prefer": "transient"}
    statuses = []
    for q in HOSTILE_QUERIES:
        statuses.append(call("GET", sf.base + f"{V}/query?" + urllib.parse.urlencode({"q": q}), headers=sf_auth).status)
        statuses.append(call("POST", ns.base + "/services/rest/query/v1/suiteql", body=json.dumps({"q": q}),
                             headers=ns_auth).status)
    for body in HOSTILE_BODIES:
        for field in ("External_Id__c", "Id"):
            statuses.append(call("PATCH", sf.base + f"{V}/composite/sobjects/Account/{field}", body=body,
                                 headers=sf_auth).status)
        for method, path in (("PUT", "/record/v1/customer/eid:HOSTILE"), ("POST", "/record/v1/salesOrder"),
                             ("PATCH", "/record/v1/customer/5"), ("POST", "/query/v1/suiteql")):
            statuses.append(call(method, ns.base + "/services/rest" + path, body=body, headers=ns_auth).status)
    for header in ('OAuth oauth_consumer_key="a', 'OAuth oauth_signature="%zz",x', "OAuth ", "Bearer"):
        statuses.append(call("GET", ns.base + "/services/rest/record/v1/customer/5",
                             headers={"Authorization": header}).status)
    expect(500 not in statuses, f"a 500 among {statuses}")
    expect(sf.proc.poll() is None and ns.proc.poll() is None, "both emulators still run")


def check_sigterm(ctx):
    last = RUNNING[-1]
    last.proc.send_signal(signal.SIGINT)
    expect(last.proc.wait(timeout=10) == 0, "exit code 0 after SIGINT")
    RUNNING.pop()
    for emu in list(RUNNING):
        rc = emu.stop()
        expect(rc == 0, f"exit code {rc} after SIGTERM")
    RUNNING.clear()


def main():
    sf_schemas, sf_data = salesforce_fixtures()
    ns_schemas, ns_data = netsuite_fixtures()
    ctx = {"sf_schemas": sf_schemas, "ns_schemas": ns_schemas,
           "sf": Emulator("salesforce", "--port", "0", "--schemas", sf_schemas, "--data", sf_data),
           "ns": Emulator("netsuite", "--port", "0", "--schemas", ns_schemas, "--data", ns_data)}
    checks = [check_sf_token_flows, check_sf_session, check_sf_seed_note, check_sf_paging, check_sf_selection_and_where,
              check_sf_upsert, check_sf_delete_and_query_all, check_sf_api_limit, check_ns_token, check_ns_suiteql,
              check_ns_records, check_ns_errors, check_ns_idempotency, check_ns_oauth1, check_ns_delete_and_get_deleted,
              check_ns_concurrency,
              check_faults, check_example_seed, check_hostile_input, check_sigterm]
    failed = 0
    for check in checks:
        try:
            check(ctx)
            print(f"ok   {check.__name__}")
        except Exception as e:  # one failing check does not hide the others
            failed += 1
            print(f"FAIL {check.__name__}: {e}")
            traceback.print_exc(limit=2)
    for emu in RUNNING:
        emu.proc.kill()
    print(f"{len(checks) - failed}/{len(checks)} checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
