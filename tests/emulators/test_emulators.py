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


# ---------------------------------------------------------------- QuickBooks Online

QBO_SCHEMAS = os.path.join(ROOT, "tests", "e2e", "http", "quickbooks")


def qbo_start(*args):
    return Emulator("quickbooks", "--port", "0", "--schemas", QBO_SCHEMAS, *args)


def qbo_stop(emu):
    RUNNING.remove(emu)
    expect(emu.stop() == 0, "quickbooks: exit code 0 after SIGTERM")


def qbo_refresh(q, token="crmx-test-refresh-token", secret="crmx-test-secret"):
    basic = base64.b64encode(f"crmx-test-client:{secret}".encode()).decode()
    return call("POST", q.base + "/oauth2/v1/tokens/bearer", form={"grant_type": "refresh_token", "refresh_token": token},
                headers={"Authorization": "Basic " + basic, "Accept": "application/json"})


def qbo_login(q):
    r = qbo_refresh(q)
    expect(r.status == 200, f"refresh: {r.status} {r.body}")
    return r.json()["access_token"]


def qbo_api(q, token, method, path, body=None, params=None):
    url = q.base + "/v3/company/9130/" + path + ("?" + urllib.parse.urlencode(params) if params else "")
    return call(method, url, body=body, headers={"Authorization": "Bearer " + token, "Accept": "application/json"})


def qbo_query(q, token, text):
    return qbo_api(q, token, "GET", "query", params={"query": text, "minorversion": "75"})


def fault_code(r):
    return r.json()["Fault"]["Error"][0]["code"]


def check_qbo_oauth_rotation(ctx):
    q = qbo_start("--refresh-grace-ms", "0")
    try:
        r = qbo_refresh(q)
        expect(r.status == 200, f"refresh: {r.status} {r.body}")
        first = r.json()
        expect(first["token_type"] == "bearer" and first["expires_in"] == 3600, f"token answer: {first}")
        expect(first["refresh_token"] != "crmx-test-refresh-token", "the refresh token is rotated")
        again = qbo_refresh(q)
        expect(again.status == 400 and again.json()["error"] == "invalid_grant", f"old token refused: {again.body}")
        second = qbo_refresh(q, first["refresh_token"])
        expect(second.status == 200, "the rotated token works")
        expect(qbo_refresh(q, second.json()["refresh_token"], secret="wrong").status == 401, "a wrong client secret: 401")
        no = qbo_query(q, "not-a-token", "select * from Customer")
        expect(no.status == 401 and fault_code(no) == "3200", f"API without a token: {no.status} {no.body}")
        ok = qbo_query(q, second.json()["access_token"], "select * from Customer")
        expect(ok.status == 200, f"API with the token: {ok.status}")
        call("POST", q.base + "/_emulator/expire-tokens")
        expect(qbo_query(q, second.json()["access_token"], "select * from Customer").status == 401, "expired tokens: 401")
    finally:
        qbo_stop(q)
    q = qbo_start("--refresh-grace-ms", "60000")
    try:
        first = qbo_refresh(q).json()
        grace = qbo_refresh(q)
        expect(grace.status == 200 and grace.json()["refresh_token"] == first["refresh_token"],
               "within the grace period the old token answers with the current one")
    finally:
        qbo_stop(q)


def check_qbo_entities_and_query(ctx):
    q = qbo_start()
    try:
        t = qbo_login(q)
        ids = []
        for i in range(7):
            r = qbo_api(q, t, "POST", "customer", {"DisplayName": f"Cust {i}", "CompanyName": f"Co {i}"},
                        {"minorversion": "75"})
            expect(r.status == 200, f"create: {r.status} {r.body}")
            c = r.json()["Customer"]
            expect(c["SyncToken"] == "0" and c["Id"] and "LastUpdatedTime" in c["MetaData"], f"created: {c}")
            ids.append(c["Id"])
        dup = qbo_api(q, t, "POST", "customer", {"DisplayName": "cust 3"})
        expect(dup.status == 400 and fault_code(dup) == "6240", f"duplicate name: {dup.status} {dup.body}")
        expect(dup.json()["Fault"]["type"] == "ValidationFault", "ValidationFault")
        none = qbo_api(q, t, "POST", "customer", {"Notes": "no name"})
        expect(none.status == 400 and fault_code(none) == "2020", f"no name: {none.body}")
        long = qbo_api(q, t, "POST", "customer", {"DisplayName": "x" * 501})
        expect(long.status == 400 and fault_code(long) == "2050", f"too long: {long.body}")
        unknown = qbo_api(q, t, "POST", "customer", {"DisplayName": "Z", "Nope": 1})
        expect(unknown.status == 400 and fault_code(unknown) == "2010", f"unknown field: {unknown.body}")
        # Sparse update with the current SyncToken; then the old one is stale.
        up = qbo_api(q, t, "POST", "customer", {"Id": ids[0], "SyncToken": "0", "sparse": True, "CompanyName": "New"})
        expect(up.status == 200 and up.json()["Customer"]["SyncToken"] == "1", f"update: {up.body}")
        expect(up.json()["Customer"]["DisplayName"] == "Cust 0", "sparse keeps the other fields")
        stale = qbo_api(q, t, "POST", "customer", {"Id": ids[0], "SyncToken": "0", "sparse": True, "CompanyName": "X"})
        expect(stale.status == 400 and fault_code(stale) == "5010", f"stale: {stale.body}")
        gone = qbo_api(q, t, "POST", "customer", {"Id": "99999", "SyncToken": "0", "sparse": True})
        expect(gone.status == 400 and fault_code(gone) == "610", f"not found: {gone.body}")
        expect(qbo_api(q, t, "GET", "customer/" + ids[1]).json()["Customer"]["DisplayName"] == "Cust 1", "read by id")
        # The query language: select list, where, in, like, orderby, paging, count(*).
        r = qbo_query(q, t, "select Id, DisplayName from Customer where DisplayName in ('Cust 1', 'Cust 2') orderby DisplayName desc")
        rows = r.json()["QueryResponse"]["Customer"]
        expect([c["DisplayName"] for c in rows] == ["Cust 2", "Cust 1"], f"in + orderby desc: {rows}")
        expect("CompanyName" not in rows[0], "only the selected fields")
        r = qbo_query(q, t, "select * from Customer where DisplayName like 'Cust%' startposition 3 maxresults 2")
        qr = r.json()["QueryResponse"]
        expect(qr["startPosition"] == 3 and qr["maxResults"] == 2 and len(qr["Customer"]) == 2, f"paging: {qr}")
        r = qbo_query(q, t, "select count(*) from Customer")
        expect(r.json()["QueryResponse"]["totalCount"] == 7, f"count: {r.body}")
        r = qbo_query(q, t, "select * from Customer where MetaData.LastUpdatedTime >= '2000-01-01T00:00:00+00:00' and CompanyName = 'New'")
        expect(len(r.json()["QueryResponse"]["Customer"]) == 1, f"and + datetime: {r.body}")
        r = qbo_query(q, t, "select * from Customer where DisplayName = 'O\\'Brien'")
        expect(r.status == 200 and r.json()["QueryResponse"] == {}, f"escaped quote, no rows: {r.body}")
        bad = qbo_query(q, t, "select * from Nothing")
        expect(bad.status == 400 and fault_code(bad) == "4000", f"unknown entity: {bad.body}")
        bad = qbo_query(q, t, "select * from Customer maxresults 1001")
        expect(bad.status == 400, "maxresults over 1000")
        # Invoice: required CustomerRef and Line, TotalAmt computed from the lines (a sent one ignored).
        inv = qbo_api(q, t, "POST", "invoice", {"CustomerRef": {"value": ids[0]}, "TotalAmt": 1, "Line": [
            {"Amount": 10.10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}},
            {"Amount": 5.25, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {}}]})
        expect(inv.status == 200, f"invoice: {inv.body}")
        expect(inv.body.count('"TotalAmt":15.35') == 1 and '"Balance":15.35' in inv.body, f"TotalAmt: {inv.body}")
        expect(fault_code(qbo_api(q, t, "POST", "invoice", {"Line": []})) == "2020", "invoice without CustomerRef")
        bad_ref = qbo_api(q, t, "POST", "invoice", {"CustomerRef": {"value": "99999"}, "Line": [{"Amount": 1, "DetailType": "SalesItemLineDetail"}]})
        expect(fault_code(bad_ref) == "2500", f"invalid reference: {bad_ref.body}")
        journal = [json.loads(l) for l in call("GET", q.base + "/_emulator/journal").body.splitlines() if l]
        expect(len(journal) == 9 and journal[0]["key"] == "Cust 0" and journal[7]["op"] == "updated", f"journal: {journal}")
    finally:
        qbo_stop(q)


def check_qbo_batch_and_requestid(ctx):
    q = qbo_start()
    try:
        t = qbo_login(q)
        items = [{"bId": f"b{i}", "operation": "create", "Customer": {"DisplayName": f"B {i}"}} for i in range(3)]
        items.append({"bId": "b3", "operation": "create", "Customer": {"DisplayName": "B 0"}})
        items.append({"bId": "b4", "Query": "select count(*) from Customer"})
        r = qbo_api(q, t, "POST", "batch", {"BatchItemRequest": items}, {"requestid": "req-abc", "minorversion": "75"})
        expect(r.status == 200, f"batch: {r.status} {r.body}")
        out = {x["bId"]: x for x in r.json()["BatchItemResponse"]}
        expect(all("Customer" in out[f"b{i}"] for i in range(3)), f"creates: {out}")
        expect(out["b3"]["Fault"]["Error"][0]["code"] == "6240", f"per-item Fault: {out['b3']}")
        expect(out["b4"]["QueryResponse"]["totalCount"] == 3, f"batch query: {out['b4']}")
        again = qbo_api(q, t, "POST", "batch", {"BatchItemRequest": items}, {"requestid": "req-abc"})
        expect(again.body == r.body, "the same requestid: the first answer again")
        journal = call("GET", q.base + "/_emulator/journal").body.splitlines()
        expect(len(journal) == 3, f"replayed, not applied again: {len(journal)} journal lines")
        stats = json.loads(call("GET", q.base + "/_emulator/stats").body)
        expect(stats["replays"] == 1, f"stats: {stats}")
        big = [{"bId": f"c{i}", "operation": "create", "Customer": {"DisplayName": f"C {i}"}} for i in range(31)]
        r = qbo_api(q, t, "POST", "batch", {"BatchItemRequest": big})
        expect(r.status == 400, f"31 items: {r.status}")
    finally:
        qbo_stop(q)


def check_qbo_throttling(ctx):
    q = qbo_start("--rate-limit", "5", "--batch-limit", "1")
    try:
        t = qbo_login(q)
        b = qbo_api(q, t, "POST", "batch", {"BatchItemRequest": []})
        expect(b.status == 200, f"first batch: {b.status}")
        b = qbo_api(q, t, "POST", "batch", {"BatchItemRequest": []})
        expect(b.status == 429 and fault_code(b) == "3001", f"second batch in the minute: {b.status} {b.body}")
        statuses = [qbo_query(q, t, "select * from Customer").status for _ in range(5)]
        expect(statuses[:2] == [200, 200] and statuses[-1] == 429, f"500 a minute (here 5): {statuses}")
        expect(qbo_refresh(q).status in (200, 400), "the token endpoint is not throttled")
    finally:
        qbo_stop(q)
    q = qbo_start("--concurrency", "2", "--latency-ms", "400")
    try:
        t = qbo_login(q)
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            codes = list(pool.map(lambda _: qbo_query(q, t, "select * from Customer").status, range(6)))
        expect(codes.count(429) >= 1 and codes.count(200) >= 2, f"calls at once beyond the limit: {codes}")
    finally:
        qbo_stop(q)


def check_sigterm(ctx):
    last = RUNNING[-1]
    last.proc.send_signal(signal.SIGINT)
    expect(last.proc.wait(timeout=10) == 0, "exit code 0 after SIGINT")
    RUNNING.pop()
    for emu in list(RUNNING):
        rc = emu.stop()
        expect(rc == 0, f"exit code {rc} after SIGTERM")
    RUNNING.clear()


# ---------------------------------------------------------------- Oracle Fusion

ORACLE_SCHEMAS = os.path.join(ROOT, "schemas", "oracle-fusion")
ORACLE_BASIC = "Basic " + base64.b64encode(b"crmx-test-user:crmx-test-password").decode()
SO = "/fscmRestApi/resources/11.13.18.05/salesOrdersForOrderHub"


def ora_start(*args):
    return Emulator("oracle", "--port", "0", "--schemas", ORACLE_SCHEMAS, *args)


def ora_stop(emu):
    RUNNING.remove(emu)
    expect(emu.stop() == 0, "oracle: exit code 0 after SIGTERM")


def ora(o, method, path, body=None, headers=None):
    h = {"Authorization": ORACLE_BASIC, "REST-Framework-Version": "2", **(headers or {})}
    return call(method, o.base + path, body=body, headers=h)


def ora_order(n, currency="USD", **extra):
    order = {"SourceTransactionNumber": n, "SourceTransactionSystem": "CRMX", "SourceTransactionId": n,
             "TransactionalCurrencyCode": currency,
             "lines": [{"SourceTransactionLineId": n + "-1", "SourceTransactionLineNumber": "1",
                        "SourceTransactionScheduleId": n + "-1", "SourceScheduleNumber": "1",
                        "ProductNumber": "AS54888", "OrderedQuantity": 2, "TransactionCategoryCode": "ORDER"}]}
    order.update(extra)
    return order


def check_oracle_upsert_query_paging(ctx):
    o = ora_start()
    try:
        d = ora(o, "GET", SO + "/describe")
        expect(d.status == 200 and "lines" in d.json()["Resources"]["salesOrdersForOrderHub"]["children"], f"describe: {d.body[:200]}")
        for i in range(7):
            r = ora(o, "POST", SO, ora_order(f"SO-{i}"), {"Upsert-Mode": "true",
                                                           "Content-Type": "application/vnd.oracle.adf.resourceitem+json"})
            expect(r.status == 201, f"create {i}: {r.status} {r.body}")
            row = r.json()
            expect(row["HeaderId"] and row["LastUpdateDate"].endswith("+00:00") and len(row["lines"]) == 1, f"row: {row}")
        again = ora(o, "POST", SO, ora_order("SO-0", CustomerPONumber="PO-9"), {"Upsert-Mode": "true"})
        expect(again.status == 200 and again.json()["CustomerPONumber"] == "PO-9", f"upsert update: {again.status} {again.body}")
        dup = ora(o, "POST", SO, ora_order("SO-1"))
        expect(dup.status == 400 and dup.json()["o:errorDetails"][0]["o:errorCode"] == "JBO-25013", f"create twice: {dup.body}")
        seen, offset, pages = [], 0, 0
        while True:
            q = urllib.parse.urlencode({"q": "StatusCode = 'OPEN' and LastUpdateDate >= '2020-01-01T00:00:00+00:00'",
                                        "fields": "SourceTransactionNumber,LastUpdateDate", "onlyData": "true",
                                        "offset": offset, "limit": 3, "orderBy": "SourceTransactionNumber:asc"})
            r = ora(o, "GET", SO + "?" + q)
            expect(r.status == 200, f"query: {r.status} {r.body}")
            page = r.json()
            pages += 1
            expect(all(set(i) == {"SourceTransactionNumber", "LastUpdateDate"} for i in page["items"]), f"fields: {page['items'][:1]}")
            seen += [i["SourceTransactionNumber"] for i in page["items"]]
            offset += page["count"]
            if not page["hasMore"]:
                break
        expect(seen == [f"SO-{i}" for i in range(7)] and pages == 3, f"paging: {seen} in {pages} pages")
        r = ora(o, "GET", SO + "?" + urllib.parse.urlencode({"q": "SourceTransactionNumber in ('SO-1', 'SO-3') or CustomerPONumber is not null",
                                                               "onlyData": "true"}))
        expect(sorted(i["SourceTransactionNumber"] for i in r.json()["items"]) == ["SO-0", "SO-1", "SO-3"], f"in/or: {r.body[:300]}")
        r = ora(o, "GET", SO + "?" + urllib.parse.urlencode({"q": "SourceTransactionNumber=SO-2"}),
                headers={"REST-Framework-Version": "1"})
        expect([i["SourceTransactionNumber"] for i in r.json()["items"]] == ["SO-2"], f"QBE: {r.body[:300]}")
        r = ora(o, "GET", SO + "?" + urllib.parse.urlencode({"q": "Nope = 1"}))
        expect(r.status == 400 and "o:errorDetails" in r.json(), f"unknown attribute in q: {r.status} {r.body}")
        r = ora(o, "GET", SO + "?limit=900")
        expect(r.json()["limit"] == 500, f"limit capped at 500: {r.body[:100]}")
        journal = [json.loads(l) for l in call("GET", o.base + "/_emulator/journal").body.splitlines()]
        expect([e["op"] for e in journal].count("created") == 7 and journal[-1]["op"] == "updated" and
               journal[-1]["key"] == "CRMX:SO-0", f"journal: {journal[-2:]}")
    finally:
        ora_stop(o)


def check_oracle_batch_and_validation(ctx):
    o = ora_start()
    try:
        def batch(parts, ctype="application/vnd.oracle.adf.batch+json"):
            body = {"parts": [{"id": f"part{i}", "path": "/salesOrdersForOrderHub", "operation": "upsert", "payload": p}
                              for i, p in enumerate(parts)]}
            return ora(o, "POST", "/fscmRestApi/resources/11.13.18.05/", body, {"Content-Type": ctype})
        bad_lov = ora_order("B-2", currency="XYZ")
        no_id = ora_order("B-3")
        del no_id["SourceTransactionId"]
        r = batch([ora_order("B-1"), bad_lov, no_id])
        expect(r.status == 400, f"failed batch: {r.status} {r.body}")
        parts = r.json()["parts"]
        expect([p["id"] for p in parts] == ["part1", "part2"], f"only failed parts listed: {parts}")
        expect(parts[0]["payload"]["o:errorDetails"][0]["o:errorCode"] == "JBO-27008" and
               parts[0]["payload"]["o:errorDetails"][0]["o:errorPath"] == "TransactionalCurrencyCode", f"LOV: {parts[0]}")
        expect(parts[1]["payload"]["o:errorDetails"][0]["o:errorCode"] == "JBO-27014", f"mandatory: {parts[1]}")
        rows = call("GET", o.base + "/_emulator/records/salesOrdersForOrderHub").body.strip()
        expect(rows == "", f"all or nothing: nothing applied, got {rows[:200]}")
        r = batch([ora_order("B-1"), ora_order("B-4")])
        expect(r.status == 200 and [p["payload"]["SourceTransactionNumber"] for p in r.json()["parts"]] == ["B-1", "B-4"],
               f"batch: {r.status} {r.body[:300]}")
        expect(batch([ora_order("B-5")], "application/json").status == 415, "batch needs its media type")
        ro = ora(o, "POST", SO, ora_order("B-6", StatusCode="CLOSED"), {"Upsert-Mode": "true"})
        expect(ro.status == 400 and ro.json()["o:errorDetails"][0]["o:errorPath"] == "StatusCode", f"read-only: {ro.body}")
        line = ora_order("B-7")
        line["lines"][0]["OrderedQuantity"] = "two"
        r = ora(o, "POST", SO, line, {"Upsert-Mode": "true"})
        expect(r.status == 400 and r.json()["o:errorDetails"][0]["o:errorPath"] == "lines/0/OrderedQuantity", f"line type: {r.body}")
        r = ora(o, "POST", SO, ora_order("B-8", Foo=1), {"Upsert-Mode": "true"})
        expect(r.status == 400 and r.headers.get("Content-Type", "").startswith("text/plain") and "Foo" in r.body,
               f"unknown attribute: plain text: {r.status} {r.body}")
    finally:
        ora_stop(o)


def check_oracle_auth_throttling_faults(ctx):
    o = ora_start("--oracle-rate-limit", "3")
    try:
        r = call("GET", o.base + SO)
        expect(r.status == 401 and "Basic" in r.headers.get("WWW-Authenticate", ""), f"no auth: {r.status}")
        now = int(time.time())
        user = jwt({"alg": "RS256", "typ": "JWT", "kid": "c"}, {"sub": "crmx-test-user", "iss": "crmx-test-client",
                                                               "aud": "https://identity.oraclecloud.com/", "iat": now, "exp": now + 300})
        client = jwt({"alg": "RS256", "typ": "JWT", "kid": "c"}, {"sub": "crmx-test-client", "iss": "crmx-test-client",
                                                                 "aud": "https://identity.oraclecloud.com/", "iat": now, "exp": now + 300})
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": user,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion": client}
        t = call("POST", o.base + "/oauth2/v1/token", form=form)
        expect(t.status == 200 and t.json()["token_type"] == "Bearer", f"token: {t.status} {t.body}")
        stale = dict(form, client_assertion=jwt({"alg": "RS256"}, {"sub": "x", "iss": "x", "aud": "a", "iat": now, "exp": now + 9}))
        expect(call("POST", o.base + "/oauth2/v1/token", form=stale).json()["error"] == "invalid_client", "unknown client")
        bearer = {"Authorization": "Bearer " + t.json()["access_token"]}
        codes = [call("GET", o.base + SO + "?limit=1", headers=bearer).status for _ in range(4)]
        expect(codes == [200, 200, 200, 429], f"throttling after 3 calls a minute: {codes}")
        r = call("GET", o.base + SO + "?limit=1", headers=bearer)
        expect(r.headers.get("Retry-After") == "1" and r.json()["status"] == "429", f"429: {r.headers} {r.body}")
    finally:
        ora_stop(o)
    f = ora_start("--faults", "0.5", "--fault-seed", "7", "--fault-delay-ms", "50")
    try:
        kinds = set()
        for i in range(40):
            try:
                r = call("POST", f.base + SO, ora_order(f"F-{i}"), headers={"Authorization": ORACLE_BASIC, "Upsert-Mode": "true"},
                         timeout=5)
                kinds.add(r.status)
                if r.status == 429:
                    expect(r.headers.get("Retry-After") == "1", "fault 429 has Retry-After")
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                kinds.add("cut")
        expect({201, 429, 503, "cut"} <= kinds, f"fault kinds seen: {kinds}")
        journal = [json.loads(l) for l in call("GET", f.base + "/_emulator/journal").body.splitlines()]
        records = call("GET", f.base + "/_emulator/records/salesOrdersForOrderHub").body.splitlines()
        expect(len(journal) == len(records) and len(journal) >= 1, f"journal {len(journal)} vs rows {len(records)}")
    finally:
        ora_stop(f)


# ---------------------------------------------------------------- SAP S/4HANA Cloud (OData V2)

SAP_SCHEMAS = os.path.join(ROOT, "tests", "e2e", "http", "sap")
SAP_BASIC = "Basic " + base64.b64encode(b"CRMX_COMM_USER:crmx-test-password").decode()
SAP_SO = "/sap/opu/odata/sap/API_SALES_ORDER_SRV/"


def sap_start(*args):
    return Emulator("sap", "--port", "0", "--schemas", SAP_SCHEMAS, *args)


def sap_stop(emu):
    RUNNING.remove(emu)
    expect(emu.stop() == 0, "sap: exit code 0 after SIGTERM")


def sap_session(s):
    """A CSRF token and the session cookie it is tied to."""
    r = call("GET", s.base + SAP_SO, headers={"Authorization": SAP_BASIC, "X-CSRF-Token": "Fetch", "Accept": "application/json"})
    expect(r.status == 200 and r.headers.get("x-csrf-token"), f"csrf fetch: {r.status} {dict(r.headers)}")
    expect("A_SalesOrder" in r.json()["d"]["EntitySets"], f"service document: {r.body}")
    cookie = r.headers.get("Set-Cookie", "").split(";")[0]
    expect(cookie.startswith("SAP_SESSIONID_"), f"session cookie: {cookie}")
    return {"Authorization": SAP_BASIC, "X-CSRF-Token": r.headers["x-csrf-token"], "Cookie": cookie,
            "Accept": "application/json"}


def sap_order(ext, items=2, **extra):
    order = {"SalesOrderType": "OR", "SalesOrganization": "1710", "DistributionChannel": "10",
             "OrganizationDivision": "00", "SoldToParty": "17100001", "ExternalDocumentID": ext,
             "to_Item": {"results": [{"Material": f"TG1{i}", "RequestedQuantity": "1.5"} for i in range(items)]}}
    order.update(extra)
    return order


def sap_error(r):
    e = r.json()["error"]
    expect(set(e) >= {"code", "message", "innererror"} and e["message"]["lang"] == "en", f"V2 error body: {r.body}")
    return e


def batch_body(parts):
    """A $batch body: each part a ("GET", target) or a list of (method, target, body[, headers]) changeset."""
    out = []
    for n, p in enumerate(parts):
        if isinstance(p, tuple):
            out.append(f"--b\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                       f"{p[0]} {p[1]} HTTP/1.1\r\nAccept: application/json\r\n\r\n\r\n")
            continue
        cs = f"cs{n}"
        out.append(f"--b\r\nContent-Type: multipart/mixed; boundary={cs}\r\n\r\n")
        for req in p:
            method, target, body = req[0], req[1], json.dumps(req[2])
            hdrs = "".join(f"{k}: {v}\r\n" for k, v in (req[3] if len(req) > 3 else {}).items())
            out.append(f"--{cs}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
                       f"{method} {target} HTTP/1.1\r\nContent-Type: application/json\r\n{hdrs}\r\n{body}\r\n")
        out.append(f"--{cs}--\r\n")
    out.append("--b--\r\n")
    return "".join(out)


def batch_answers(r):
    """The status lines of a $batch answer, in order."""
    expect(r.status == 202 and "multipart/mixed" in r.headers.get("Content-Type", ""), f"batch: {r.status} {r.body[:300]}")
    return [int(line.split()[1]) for line in r.body.splitlines() if line.startswith("HTTP/1.1 ")]


def check_sap_csrf_auth_deep_insert(ctx):
    s = sap_start()
    try:
        r = call("GET", s.base + SAP_SO + "A_SalesOrder")
        expect(r.status == 401 and "Basic" in r.headers.get("WWW-Authenticate", ""), f"no auth: {r.status}")
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order("E-0"), headers={"Authorization": SAP_BASIC})
        expect(r.status == 403 and r.headers.get("x-csrf-token") == "Required" and
               r.body == "CSRF token validation failed", f"no token: {r.status} {r.body}")
        h = sap_session(s)
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order("E-0"), headers=dict(h, Cookie="SAP_SESSIONID_CRX_100=other"))
        expect(r.status == 403, f"token of another session: {r.status}")
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order("E-1", items=3), headers=h)
        expect(r.status == 201, f"deep insert: {r.status} {r.body}")
        d = r.json()["d"]
        expect(d["SalesOrder"] == "1000000" and d["__metadata"]["etag"].startswith("W/\"datetimeoffset'"), f"order: {d}")
        expect(re_date(d["LastChangeDateTime"], True) and d["to_Item"]["__deferred"]["uri"].endswith("/to_Item"), f"V2 JSON: {d}")
        items = call("GET", s.base + SAP_SO + "A_SalesOrder('1000000')/to_Item", headers=h).json()["d"]["results"]
        expect([i["SalesOrderItem"] for i in items] == ["10", "20", "30"] and items[0]["RequestedQuantity"] == "1.500",
               f"items: {items}")
        # A bad item fails the whole deep insert: no order, no items.
        bad = sap_order("E-2")
        bad["to_Item"]["results"][1]["Material"] = "M" * 41
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", bad, headers=h)
        e = sap_error(r)
        expect(r.status == 400 and e["innererror"]["errordetails"][0]["target"] == "Material", f"MaxLength: {r.body}")
        rows = call("GET", s.base + "/_emulator/records/A_SalesOrder").body.splitlines()
        lines = call("GET", s.base + "/_emulator/records/A_SalesOrderItem").body.splitlines()
        expect(len(rows) == 1 and len(lines) == 3, f"deep insert all or nothing: {len(rows)} orders, {len(lines)} items")
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order("E-3", TotalNetAmount="5"), headers=h)
        expect(r.status == 400 and "read-only" in sap_error(r)["message"]["value"], f"read-only: {r.body}")
        r = call("POST", s.base + SAP_SO + "A_SalesOrder", {k: v for k, v in sap_order("E-4").items() if k != "SoldToParty"}, headers=h)
        expect(r.status == 400 and sap_error(r)["code"] == "V1/391", f"required: {r.body}")
        r = call("POST", s.base + "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_SalesOrder", sap_order("E-5"), headers=h)
        expect(r.status == 404, f"a set outside its service: {r.status}")
        # Client credentials at the token endpoint, the client as HTTP Basic.
        basic = base64.b64encode(b"crmx-test-client:crmx-test-secret").decode()
        t = call("POST", s.base + "/sap/bc/sec/oauth2/token", form={"grant_type": "client_credentials"},
                 headers={"Authorization": "Basic " + basic})
        expect(t.status == 200 and t.json()["token_type"] == "Bearer", f"token: {t.status} {t.body}")
        r = call("GET", s.base + SAP_SO + "A_SalesOrder?$format=json", headers={"Authorization": "Bearer " + t.json()["access_token"]})
        expect(r.status == 200, f"bearer: {r.status}")
        bad_client = base64.b64encode(b"crmx-test-client:nope").decode()
        t = call("POST", s.base + "/sap/bc/sec/oauth2/token", form={"grant_type": "client_credentials"},
                 headers={"Authorization": "Basic " + bad_client})
        expect(t.status == 401 and t.json()["error"] == "invalid_client", f"wrong client: {t.status} {t.body}")
    finally:
        sap_stop(s)


def re_date(text, offset):
    import re
    return re.fullmatch(r"/Date\(\d+" + (r"\+0000" if offset else "") + r"\)/", text) is not None


def check_sap_query_paging_etag_batch(ctx):
    s = sap_start("--page-size", "4", "--csrf-lifetime", "3")
    try:
        h = sap_session(s)
        for i in range(10):
            r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order(f"Q-{i}", items=1, SoldToParty=str(17100001 + i % 2)),
                     headers=h)
            if r.status == 403:
                expect(r.headers.get("x-csrf-token") == "Required", "stale token says Required")
                h = sap_session(s)
                r = call("POST", s.base + SAP_SO + "A_SalesOrder", sap_order(f"Q-{i}", items=1, SoldToParty=str(17100001 + i % 2)),
                         headers=h)
            expect(r.status == 201, f"create {i}: {r.status} {r.body}")
        stats = json.loads(call("GET", s.base + "/_emulator/stats").body)
        expect(stats["csrf_refused"] >= 3, f"--csrf-lifetime 3 refuses the 4th use: {stats}")
        q = urllib.parse.urlencode({"$filter": "SoldToParty eq '17100002' and LastChangeDateTime ge datetimeoffset'2020-01-01T00:00:00Z'",
                                    "$select": "SalesOrder,ExternalDocumentID", "$orderby": "ExternalDocumentID desc",
                                    "$inlinecount": "allpages", "$format": "json"})
        url, seen, pages = s.base + SAP_SO + "A_SalesOrder?" + q, [], 0
        while url:
            d = call("GET", url, headers={"Authorization": SAP_BASIC}).json()["d"]
            pages += 1
            expect(d["__count"] == "5", f"__count is a string of all rows: {d.get('__count')}")
            expect(all(set(r) == {"__metadata", "SalesOrder", "ExternalDocumentID"} for r in d["results"]), f"$select: {d['results'][:1]}")
            seen += [r["ExternalDocumentID"] for r in d["results"]]
            url = d.get("__next")
        expect(seen == ["Q-9", "Q-7", "Q-5", "Q-3", "Q-1"] and pages == 2, f"server paging: {seen} in {pages} pages")
        r = call("GET", s.base + SAP_SO + "A_SalesOrder?$filter=" + urllib.parse.quote("Nope eq 1"), headers={"Authorization": SAP_BASIC})
        expect(r.status == 400 and sap_error(r), f"unknown property in $filter: {r.status}")
        r = call("GET", s.base + SAP_SO + "A_SalesOrder?$top=2&$skip=8&$format=json", headers={"Authorization": SAP_BASIC})
        expect([x["ExternalDocumentID"] for x in r.json()["d"]["results"]] == ["Q-8", "Q-9"] and "__next" not in r.json()["d"],
               f"$top/$skip: {r.body[:300]}")
        # ETags: 428 without If-Match, 412 with a stale one, 204 with the current one.
        h = sap_session(s)
        one = call("GET", s.base + SAP_SO + "A_SalesOrder('1000000')", headers=h)
        etag = one.headers.get("etag")
        expect(etag and etag == one.json()["d"]["__metadata"]["etag"], f"etag header: {etag}")
        r = call("PATCH", s.base + SAP_SO + "A_SalesOrder('1000000')", {"PurchaseOrderByCustomer": "PO-1"}, headers=h)
        expect(r.status == 428, f"no If-Match: {r.status}")
        h = sap_session(s)
        r = call("PATCH", s.base + SAP_SO + "A_SalesOrder('1000000')", {"PurchaseOrderByCustomer": "PO-1"},
                 headers=dict(h, **{"If-Match": etag}))
        expect(r.status == 204 and r.headers.get("etag") != etag, f"update: {r.status} {r.body}")
        r = call("PATCH", s.base + SAP_SO + "A_SalesOrder('1000000')", {"PurchaseOrderByCustomer": "PO-2"},
                 headers=dict(h, **{"If-Match": etag}))
        expect(r.status == 412 and sap_error(r), f"stale If-Match: {r.status}")
        # $batch: a retrieve, a good changeset, a changeset whose second request fails (undone).
        h = sap_session(s)
        body = batch_body([("GET", "A_SalesOrder?$filter=ExternalDocumentID%20eq%20'Q-1'&$format=json"),
                           [("POST", "A_SalesOrder", sap_order("B-1"))],
                           [("POST", "A_SalesOrder", sap_order("B-2")),
                            ("PATCH", "A_SalesOrder('1000001')", {"PurchaseOrderByCustomer": "X"}, {"If-Match": "W/\"x\""})]])
        r = call("POST", s.base + SAP_SO + "$batch", body, headers=dict(h, **{"Content-Type": "multipart/mixed; boundary=b"}))
        expect(batch_answers(r) == [200, 201, 412], f"batch answers: {batch_answers(r)}")
        exts = [json.loads(l)["ExternalDocumentID"] for l in call("GET", s.base + "/_emulator/records/A_SalesOrder").body.splitlines()]
        expect("B-1" in exts and "B-2" not in exts, f"changeset all or none: {exts}")
        journal = [json.loads(l) for l in call("GET", s.base + "/_emulator/journal").body.splitlines()]
        expect(not any(e["key"] == "B-2" for e in journal), "an undone changeset is not journaled")
        r = call("POST", s.base + SAP_SO + "$batch", body, headers=dict(h, **{"Content-Type": "multipart/mixed; boundary=zz"}))
        expect(r.status == 400 or r.status == 403, f"a body without its boundary: {r.status}")
    finally:
        sap_stop(s)


# ---------------------------------------------------------------- HubSpot

HS_SCHEMAS = os.path.join(ROOT, "schemas", "hubspot")
HS_TOKEN = {"Authorization": "Bearer crmx-test-hubspot-token"}


def hs_start(*args):
    return Emulator("hubspot", "--port", "0", "--schemas", HS_SCHEMAS, *args)


def hs_stop(emu):
    RUNNING.remove(emu)
    expect(emu.stop() == 0, "hubspot: exit code 0 after SIGTERM")


def hs(h, method, path, body=None, headers=None):
    return call(method, h.base + path, body=body, headers={**HS_TOKEN, **(headers or {})})


def check_hubspot_properties_auth_limits(ctx):
    h = hs_start("--burst-limit", "5", "--burst-interval-ms", "1000", "--daily-limit", "9")
    try:
        r = call("GET", h.base + "/crm/v3/properties/deals")
        expect(r.status == 401 and r.json()["category"] == "INVALID_AUTHENTICATION", f"no token: {r.status} {r.body}")
        r = call("GET", h.base + "/crm/v3/properties/deals", headers={"Authorization": "Bearer wrong"})
        expect(r.status == 401, f"a wrong token: {r.status}")
        r = hs(h, "GET", "/crm/v3/properties/deals")
        expect(r.status == 200, f"properties: {r.status} {r.body}")
        names = {p["name"]: p for p in r.json()["results"]}
        expect("dealstage" in names and names["dealstage"]["type"] == "enumeration", "dealstage is an enumeration")
        expect(names["hs_object_id"]["modificationMetadata"]["readOnlyValue"] is True, "hs_object_id read-only")
        for header in ("X-HubSpot-RateLimit-Daily", "X-HubSpot-RateLimit-Daily-Remaining",
                       "X-HubSpot-RateLimit-Interval-Milliseconds", "X-HubSpot-RateLimit-Max",
                       "X-HubSpot-RateLimit-Remaining"):
            expect(r.headers.get(header), f"header {header} on an API answer")
        expect(r.headers["X-HubSpot-RateLimit-Max"] == "5" and r.headers["X-HubSpot-RateLimit-Daily"] == "9",
               f"limits as configured: {dict(r.headers)}")
        codes = [hs(h, "GET", "/crm/v3/objects/deals").status for _ in range(6)]
        expect(codes.count(429) >= 1, f"calls past the burst limit: {codes}")
        r = hs(h, "GET", "/crm/v3/objects/deals")
        if r.status == 429:
            body = r.json()
            expect(body["policyName"] == "TEN_SECONDLY_ROLLING" and body["status"] == "error"
                   and body["category"] == "RATE_LIMITS" and body["correlationId"], f"429 body: {body}")
        time.sleep(1.1)
        seen_daily = None
        for _ in range(10):
            r = hs(h, "GET", "/crm/v3/objects/deals")
            if r.status == 429 and r.json().get("policyName") == "DAILY":
                seen_daily = r
                break
            time.sleep(0.25)
        expect(seen_daily is not None, "the daily limit answers 429 DAILY")
        expect("daily limit" in seen_daily.json()["message"], f"DAILY message: {seen_daily.body}")
        expect(seen_daily.headers.get("X-HubSpot-RateLimit-Daily-Remaining") == "0", "no calls left today")
    finally:
        hs_stop(h)


def check_hubspot_upsert_validation_search(ctx):
    h = hs_start()
    try:
        inputs = [{"idProperty": "email", "id": f"p{i}@x.example",
                   "properties": {"firstname": f"P{i}", "lifecyclestage": "lead"}} for i in range(5)]
        inputs[2]["properties"]["lifecyclestage"] = "nonsense"
        inputs[3]["properties"]["num_associated_deals"] = "4"
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": inputs})
        expect(r.status == 207, f"multi-status: {r.status} {r.body}")
        body = r.json()
        expect(body["status"] == "COMPLETE" and len(body["results"]) == 3 and body["numErrors"] == 2, body)
        by_key = {e["context"]["email"][0]: e for e in body["errors"]}
        expect(by_key["p2@x.example"]["errors"][0]["code"] == "INVALID_OPTION", by_key)
        expect(by_key["p3@x.example"]["errors"][0]["code"] == "READ_ONLY_VALUE", by_key)
        expect(all(x["new"] is True for x in body["results"]), "first upsert creates")
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [inputs[0]]})
        expect(r.status == 200 and r.json()["results"][0]["new"] is False, f"second upsert updates: {r.body}")
        rec = r.json()["results"][0]
        for p in ("hs_object_id", "createdate", "hs_lastmodifieddate"):
            expect(rec["properties"].get(p), f"{p} kept by the emulator")
        expect(rec["properties"]["hs_lastmodifieddate"] > rec["properties"]["createdate"], "modified after created")
        journal = [json.loads(l) for l in call("GET", h.base + "/_emulator/journal").body.splitlines()]
        expect([e["op"] for e in journal] == ["created"] * 3 + ["updated"], journal)
        # An idProperty without unique values, duplicates in a batch, more than 100 inputs.
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/upsert",
               {"inputs": [{"idProperty": "firstname", "id": "x", "properties": {}}]})
        expect(r.status == 400 and r.json()["category"] == "VALIDATION_ERROR", f"not unique: {r.body}")
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [inputs[0], inputs[0]]})
        expect(r.status == 400 and "Duplicate" in r.json()["message"], f"duplicates: {r.body}")
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/upsert", {"inputs": [inputs[0]] * 101})
        expect(r.status == 400, f"101 inputs: {r.status}")
        # Update by id: a missing id is an OBJECT_NOT_FOUND error naming it.
        r = hs(h, "POST", "/crm/v3/objects/contacts/batch/update",
               {"inputs": [{"id": rec["id"], "properties": {"jobtitle": "CTO"}}, {"id": "777777", "properties": {}}]})
        expect(r.status == 207 and r.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND"
               and r.json()["errors"][0]["context"]["ids"] == ["777777"], r.body)
        # Search: GTE on hs_lastmodifieddate, sorted, paged by after; no rate headers on search.
        since = rec["properties"]["createdate"]
        q = {"filterGroups": [{"filters": [{"propertyName": "hs_lastmodifieddate", "operator": "GTE", "value": since}]}],
             "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
             "properties": ["email", "jobtitle"], "limit": 2}
        r = hs(h, "POST", "/crm/v3/objects/contacts/search", q)
        expect(r.status == 200 and r.json()["total"] == 3 and len(r.json()["results"]) == 2, r.body)
        expect(r.json()["paging"]["next"]["after"] == "2", r.body)
        expect(r.headers.get("X-HubSpot-RateLimit-Max") is None, "search answers carry no rate-limit headers")
        stamps = [x["properties"]["hs_lastmodifieddate"] for x in r.json()["results"]]
        expect(stamps == sorted(stamps), f"sorted by the cursor: {stamps}")
        r = hs(h, "POST", "/crm/v3/objects/contacts/search", {**q, "after": "2"})
        expect(len(r.json()["results"]) == 1 and "paging" not in r.json(), r.body)
        expect(r.json()["results"][0]["properties"]["jobtitle"] == "CTO", r.body)
        r = hs(h, "POST", "/crm/v3/objects/contacts/search", {**q, "after": "9999"})
        expect(r.status == 400 and "10,000" in r.json()["message"], f"past the 10,000 cap: {r.body}")
        codes = [hs(h, "POST", "/crm/v3/objects/contacts/search", q).status for _ in range(6)]
        expect(429 in codes, f"search beyond 4 a second: {codes}")
        # List: paged by after, limit at most 100.
        r = hs(h, "GET", "/crm/v3/objects/contacts?limit=2&properties=email")
        expect(r.status == 200 and len(r.json()["results"]) == 2 and r.json()["paging"]["next"]["after"], r.body)
        r2 = hs(h, "GET", "/crm/v3/objects/contacts?limit=2&properties=email&after=" + r.json()["paging"]["next"]["after"])
        expect(len(r2.json()["results"]) == 1, r2.body)
        expect(hs(h, "GET", "/crm/v3/objects/contacts?limit=101").status == 400, "limit 101")
    finally:
        hs_stop(h)


def check_hubspot_associations_oauth_faults(ctx):
    data = os.path.join(TMP, "hubspot-data")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "Company.jsonl"), "w") as f:
        f.write(json.dumps({"id": "5001", "name": "Acme", "domain": "acme.example"}) + "\n")
    with open(os.path.join(data, "deals.jsonl"), "w") as f:
        f.write(json.dumps({"id": "6001", "properties": {"dealname": "Renewal", "amount": 1200.5}}) + "\n")
    h = hs_start("--data", data, "--faults", "0")
    try:
        r = hs(h, "GET", "/crm/v3/objects/deals/6001?properties=amount")
        expect(r.status == 200 and r.json()["properties"]["amount"] == "1200.5", f"seeded deal, values as strings: {r.body}")
        r = hs(h, "POST", "/crm/v4/associations/deals/companies/batch/associate/default",
               {"inputs": [{"from": {"id": "6001"}, "to": {"id": "5001"}}, {"from": {"id": "6001"}, "to": {"id": "1"}}]})
        expect(r.status == 207 and len(r.json()["results"]) == 1 and r.json()["errors"][0]["category"] == "OBJECT_NOT_FOUND", r.body)
        r = hs(h, "GET", "/crm/v4/objects/deals/6001/associations/companies")
        expect(r.json()["results"] == [{"toObjectId": "5001", "associationTypes": []}], r.body)
        # OAuth: the refresh token grant, the client in the form, as HubSpot documents it.
        r = call("POST", h.base + "/oauth/v1/token", form={"grant_type": "refresh_token", "client_id": "crmx-test-client",
                                                           "client_secret": "crmx-test-secret",
                                                           "refresh_token": "crmx-test-refresh-token"})
        expect(r.status == 200 and r.json()["expires_in"] == 1800, r.body)
        token = r.json()["access_token"]
        r = call("GET", h.base + "/crm/v3/objects/companies", headers={"Authorization": "Bearer " + token})
        expect(r.status == 200 and r.json()["results"][0]["id"] == "5001", r.body)
        call("POST", h.base + "/_emulator/expire-tokens")
        r = call("GET", h.base + "/crm/v3/objects/companies", headers={"Authorization": "Bearer " + token})
        expect(r.status == 401, f"expired OAuth token: {r.status}")
        r = call("POST", h.base + "/oauth/v1/token", form={"grant_type": "refresh_token", "client_id": "crmx-test-client",
                                                           "client_secret": "wrong", "refresh_token": "crmx-test-refresh-token"})
        expect(r.status == 400 and r.json()["status"] == "BAD_CLIENT_ID", r.body)
    finally:
        hs_stop(h)
    f = hs_start("--faults", "0.5", "--fault-seed", "3", "--fault-delay-ms", "100")
    try:
        seen = set()
        for _ in range(20):
            try:
                r = hs(f, "GET", "/crm/v3/objects/companies")
                seen.add(r.status)
                if r.status == 429:
                    expect(r.json()["policyName"] == "TEN_SECONDLY_ROLLING", r.body)
            except Exception:
                seen.add("cut")
        expect(len(seen) >= 3, f"seeded faults: {seen}")
    finally:
        hs_stop(f)


# ---------------------------------------------------------------- Xero

XERO_API = "/api.xro/2.0/"


def xero_start(*args):
    return Emulator("xero", "--port", "0", *args)


def xero_stop(emu):
    RUNNING.remove(emu)
    expect(emu.stop() == 0, "xero: exit code 0 after SIGTERM")


def xero_login(x, secret="crmx-test-secret"):
    basic = base64.b64encode(f"crmx-test-client:{secret}".encode()).decode()
    return call("POST", x.base + "/connect/token", form={"grant_type": "client_credentials",
                                                         "scope": "accounting.contacts"},
                headers={"Authorization": "Basic " + basic})


def xero_api(x, token, method, path, body=None, params=None, headers=None, tenant="crmx-test-tenant"):
    url = x.base + XERO_API + path + ("?" + urllib.parse.urlencode(params) if params else "")
    h = {"Authorization": "Bearer " + token, "xero-tenant-id": tenant, "Accept": "application/json"}
    h.update(headers or {})
    return call(method, url, body=body, headers=h)


def check_xero_auth_paging_dates(ctx):
    data = os.path.join(TMP, "xero-data")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "Contacts.jsonl"), "w") as f:
        for i in range(230):
            when = "2019-11-14T00:00:00" if i < 200 else "2024-10-01T00:00:00Z"
            f.write(json.dumps({"Name": f"Seed {i:03d}", "ContactNumber": f"S-{i}", "UpdatedDateUTC": when}) + "\n")
    x = xero_start("--data", data)
    try:
        expect(xero_login(x, secret="wrong").json() == {"error": "invalid_client"}, "wrong secret: invalid_client")
        form_client = call("POST", x.base + "/connect/token", form={"grant_type": "client_credentials",
                                                                    "client_id": "crmx-test-client",
                                                                    "client_secret": "crmx-test-secret"})
        expect(form_client.status == 400, f"the client in the form (not Basic) is refused: {form_client.status}")
        r = xero_login(x)
        expect(r.status == 200 and r.json()["expires_in"] == 1800, f"login: {r.status} {r.body}")
        token = r.json()["access_token"]
        expect(xero_api(x, "nope", "GET", "Contacts").status == 401, "unknown token: 401")
        expect(xero_api(x, token, "GET", "Contacts", tenant="other").status == 403, "wrong tenant: 403")
        p1 = xero_api(x, token, "GET", "Contacts", params={"page": 1, "order": "Name ASC"})
        body = p1.json()
        expect(len(body["Contacts"]) == 100 and body["pagination"]["pageCount"] == 3, f"page 1: {body.get('pagination')}")
        expect(body["Contacts"][0]["Name"] == "Seed 000", "ordered by Name")
        expect(body["Contacts"][0]["UpdatedDateUTC"].startswith("/Date(1573689600000+0000)/"),
               f"Xero's date form: {body['Contacts'][0]['UpdatedDateUTC']}")
        expect(int(p1.headers["X-MinLimit-Remaining"]) == 59 and int(p1.headers["X-DayLimit-Remaining"]) == 4999,
               f"limit headers: {dict(p1.headers)}")
        p3 = xero_api(x, token, "GET", "Contacts", params={"page": 3, "pageSize": 100}).json()
        expect(len(p3["Contacts"]) == 30, "last page short")
        since = xero_api(x, token, "GET", "Contacts", headers={"If-Modified-Since": "2024-01-01T00:00:00"}).json()
        expect(len(since["Contacts"]) == 30, f"If-Modified-Since: {len(since['Contacts'])}")
        where = xero_api(x, token, "GET", "Contacts", params={"where": 'Name=="seed 007" AND ContactNumber=="S-7"'}).json()
        expect([c["ContactNumber"] for c in where["Contacts"]] == ["S-7"], f"where: {where['Contacts']}")
        bad = xero_api(x, token, "GET", "Contacts", params={"where": "Name.Contains(\"x\")"})
        expect(bad.status == 400 and bad.json()["Type"] == "QueryParseException", f"unsupported where: {bad.body}")
    finally:
        xero_stop(x)


def check_xero_writes_validation_idempotency(ctx):
    x = xero_start()
    try:
        token = xero_login(x).json()["access_token"]
        r = xero_api(x, token, "POST", "Contacts", body={"Contacts": [{"Name": "Acme", "ContactNumber": "C-1"},
                                                                       {"Name": "Beta"}]})
        expect(r.status == 200, f"create contacts: {r.status} {r.body}")
        # summarizeErrors=false: the duplicate name and the missing name fail alone.
        r = xero_api(x, token, "POST", "Contacts", params={"summarizeErrors": "false"},
                     body={"Contacts": [{"Name": "acme", "ContactNumber": "C-2"}, {"ContactNumber": "C-3"},
                                        {"Name": "Gamma"}]})
        els = r.json()["Contacts"]
        expect(r.status == 200 and len(els) == 3, f"summarizeErrors=false: {r.status}")
        expect(els[0]["HasValidationErrors"] and "The contact name acme is already assigned to another contact"
               in els[0]["ValidationErrors"][0]["Message"], f"duplicate name: {els[0]}")
        expect(els[1]["StatusAttributeString"] == "ERROR", "missing name")
        expect(els[2]["StatusAttributeString"] == "OK" and els[2]["ContactID"], "valid element saved")
        # Without it: 400 ValidationException, nothing saved.
        r = xero_api(x, token, "POST", "Contacts", body={"Contacts": [{"Name": "Delta"}, {"Name": "Beta"}]})
        expect(r.status == 400 and r.json()["ErrorNumber"] == 10 and r.json()["Type"] == "ValidationException",
               f"summarized: {r.status} {r.body}")
        expect("ValidationErrors" in r.json()["Elements"][1] and "ValidationErrors" not in r.json()["Elements"][0],
               "Elements name the failing one")
        names = [c["Name"] for c in xero_api(x, token, "GET", "Contacts").json()["Contacts"]]
        expect("Delta" not in names, "a refused request saves nothing")
        # Update by ContactNumber keeps the id.
        cid = [c for c in xero_api(x, token, "GET", "Contacts").json()["Contacts"] if c.get("ContactNumber") == "C-1"][0]["ContactID"]
        r = xero_api(x, token, "POST", "Contacts", body={"Contacts": [{"ContactNumber": "C-1", "Name": "Acme Ltd"}]})
        expect(r.json()["Contacts"][0]["ContactID"] == cid, "updated by ContactNumber")
        # Invoice totals, then the Idempotency-Key replay.
        inv = {"Invoices": [{"Type": "ACCREC", "InvoiceNumber": "INV-1", "Status": "AUTHORISED", "Contact": {"ContactID": cid},
                             "Total": 1, "LineItems": [{"Description": "W", "Quantity": 2, "UnitAmount": 10.005,
                                                        "TaxAmount": 3}]}]}
        key = {"Idempotency-Key": "inv-1-key"}
        a = xero_api(x, token, "POST", "Invoices", body=inv, headers=key)
        b = xero_api(x, token, "POST", "Invoices", body=inv, headers=key)
        expect(a.status == 200 and a.body == b.body, "same key: the first answer")
        got = json.loads(a.body, parse_float=str)["Invoices"][0]  # numbers as written
        expect((got["SubTotal"], got["TotalTax"], got["Total"], got["AmountDue"]) ==
               ("20.01", "3.00", "23.01", "23.01"), f"computed totals, Total ignored: {got}")
        journal = [json.loads(l) for l in call("GET", x.base + "/_emulator/journal").body.splitlines() if l]
        expect(sum(1 for e in journal if e["object"] == "Invoice" and e["op"] == "created") == 1, "applied once")
        expect(any(e["request_id"] == "inv-1-key" for e in journal), "journal names the key")
        # A payment of the whole amount makes it PAID; paying more is refused.
        pay = {"Invoice": {"InvoiceNumber": "INV-1"}, "Account": {"Code": "090"}, "Amount": 23.01, "Reference": "P-1"}
        over = xero_api(x, token, "PUT", "Payments", params={"summarizeErrors": "false"},
                        body={"Payments": [dict(pay, Amount=30)]}).json()["Payments"][0]
        expect(over["HasValidationErrors"], "overpayment refused")
        expect(xero_api(x, token, "PUT", "Payments", body={"Payments": [pay]}).status == 200, "payment")
        got = json.loads(xero_api(x, token, "GET", "Invoices/INV-1").body, parse_float=str)["Invoices"][0]
        expect(got["Status"] == "PAID" and got["AmountDue"] == "0.00", f"paid: {got['Status']} {got['AmountDue']}")
    finally:
        xero_stop(x)


def check_xero_limits_and_faults(ctx):
    x = xero_start("--minute-limit", "3", "--day-limit", "5")
    try:
        token = xero_login(x).json()["access_token"]
        codes = [xero_api(x, token, "GET", "Items") for _ in range(4)]
        expect([r.status for r in codes] == [200, 200, 200, 429], f"minute limit: {[r.status for r in codes]}")
        expect(codes[3].headers["X-Rate-Limit-Problem"] == "minute" and 1 <= int(codes[3].headers["Retry-After"]) <= 61,
               f"minute 429 headers: {dict(codes[3].headers)}")
    finally:
        xero_stop(x)
    x = xero_start("--day-limit", "2")
    try:
        token = xero_login(x).json()["access_token"]
        statuses = [xero_api(x, token, "GET", "Items").status for _ in range(3)]
        r = xero_api(x, token, "GET", "Items")
        expect(statuses == [200, 200, 429] and r.headers["X-Rate-Limit-Problem"] == "day", f"day: {statuses}")
        expect(int(r.headers["X-DayLimit-Remaining"]) == 0, "none left today")
    finally:
        xero_stop(x)
    x = xero_start("--concurrency", "1", "--latency-ms", "400")
    try:
        token = xero_login(x).json()["access_token"]
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            rs = list(pool.map(lambda _: xero_api(x, token, "GET", "Items"), range(3)))
        busy = [r for r in rs if r.status == 429]
        expect(busy and all(r.headers["X-Rate-Limit-Problem"] == "concurrent" for r in busy),
               f"concurrent: {[r.status for r in rs]}")
    finally:
        xero_stop(x)
    x = xero_start("--faults", "0.5", "--fault-seed", "3", "--fault-delay-ms", "50")
    try:
        token = xero_login(x).json()["access_token"]
        seen = set()
        for _ in range(30):
            try:
                r = xero_api(x, token, "GET", "Items")
                if r.status == 429:
                    expect(r.headers["X-Rate-Limit-Problem"] == "minute" and r.headers["Retry-After"] == "1", "fault 429")
                seen.add(r.status)
            except (urllib.error.URLError, ConnectionError, OSError):
                seen.add("cut")
        expect(len(seen) >= 3, f"seeded faults: {seen}")
    finally:
        xero_stop(x)



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
              check_qbo_oauth_rotation, check_qbo_entities_and_query, check_qbo_batch_and_requestid,
              check_qbo_throttling,
              check_oracle_upsert_query_paging, check_oracle_batch_and_validation, check_oracle_auth_throttling_faults,
              check_sap_csrf_auth_deep_insert, check_sap_query_paging_etag_batch,
              check_hubspot_properties_auth_limits, check_hubspot_upsert_validation_search,
              check_hubspot_associations_oauth_faults,
              check_xero_auth_paging_dates, check_xero_writes_validation_idempotency, check_xero_limits_and_faults,
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
