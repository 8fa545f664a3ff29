// The operations console in a real browser: Debian's headless Chromium driven by puppeteer-core.
// Started by browser_test.py, which runs the emulators and serve and passes, in the environment:
// CONSOLE_URL, SF_URL, NS_URL, OPERATOR_TOKEN, READER_TOKEN, SF_CLIENT_SECRET, SHOTS (where the
// screenshots go), CHROMIUM (the browser). Exits 0 when every step passed; prints each step.
//
// The scenario: log in with the keyboard, read the overview, open the held queue, open a held
// account ("Pending Review": no subsidiary), fix its source record in the Salesforce emulator,
// replay it (the dry run shown first, nothing sent; then confirmed), see it written (the page
// and the NetSuite emulator's journal), the replay in the item's history; a read-only login
// cannot act (403); a POST without the CSRF token is refused (403); the pages read with
// JavaScript off.
import puppeteer from 'puppeteer-core';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const base = env.CONSOLE_URL;
const shots = env.SHOTS;
const failures = [];
let steps = 0;

function check(cond, what) {
  steps += 1;
  if (!cond) failures.push(what);
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  return cond;
}

async function sfToken() {
  const form = new URLSearchParams({grant_type: 'client_credentials', client_id: 'crmx-test-client',
                                    client_secret: env.SF_CLIENT_SECRET});
  const r = await fetch(`${env.SF_URL}/services/oauth2/token`, {method: 'POST', body: form});
  return (await r.json()).access_token;
}

async function fixAccount(id) {
  const token = await sfToken();
  const r = await fetch(`${env.SF_URL}/services/data/v61.0/composite/sobjects`, {
    method: 'PATCH',
    headers: {Authorization: `Bearer ${token}`, 'Content-Type': 'application/json'},
    body: JSON.stringify({allOrNone: true, records: [{attributes: {type: 'Account'}, id, Subsidiary__c: 'Acme Inc'}]}),
  });
  const body = await r.json();
  return r.ok && Array.isArray(body) && body[0] && body[0].success;
}

async function customersCreated(key) {
  const text = await (await fetch(`${env.NS_URL}/_emulator/journal`)).text();
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
    .filter((e) => e.object === 'Customer' && e.op === 'created' && e.key === key).length;
}

async function text(page) {
  return page.evaluate(() => document.body.innerText);
}

// POSTs a form built in the page (same origin, the session's cookie sent; the console's CSP
// allows forms to itself and no fetch), as a forged or stale form would; the answer's status.
async function postFrom(page, url, fields) {
  const [resp] = await Promise.all([page.waitForNavigation(), page.evaluate((u, f) => {
    const form = document.createElement('form');
    form.method = 'post';
    form.action = u;
    for (const [k, v] of Object.entries(f)) {
      const i = document.createElement('input');
      i.type = 'hidden';
      i.name = k;
      i.value = v;
      form.appendChild(i);
    }
    document.body.appendChild(form);
    form.submit();
  }, url, fields)]);
  return resp.status();
}

async function main() {
  fs.mkdirSync(shots, {recursive: true});
  const browser = await puppeteer.launch({
    executablePath: env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    await page.setViewport({width: 1366, height: 900});

    // Without a session: 401 and the login form.
    let r = await page.goto(`${base}/`);
    check(r.status() === 401, `GET / without a session answers 401 (got ${r.status()})`);
    check(await page.$('input#token') !== null, 'the 401 page is the login form');

    // Log in with the keyboard: the token field has the focus, Enter submits.
    const focused = await page.evaluate(() => document.activeElement && document.activeElement.id);
    check(focused === 'token', `the token field has the focus (got ${focused})`);
    await page.keyboard.type(env.OPERATOR_TOKEN);
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    check(page.url() === `${base}/`, `logged in, on the overview (${page.url()})`);
    let t = await text(page);
    check(t.includes('Overview') && t.includes('Benchmarks') && t.includes('ann (operator)'), 'the overview shows');
    check(t.includes('sync latency, event-driven') && t.includes('data-quality backlog'), 'the overview has the benchmarks');
    check(!t.includes(env.OPERATOR_TOKEN) && !(await page.content()).includes(env.OPERATOR_TOKEN), 'no token in the page');
    const cookies = await page.cookies();
    const session = cookies.find((c) => c.name === 'crmx_session');
    check(session && session.httpOnly && session.sameSite === 'Strict' && session.path === '/', 'the session cookie: HttpOnly, SameSite=Strict, Path=/');
    await page.screenshot({path: path.join(shots, 'overview.png'), fullPage: true});

    // The held queue.
    await Promise.all([page.waitForNavigation(), page.click('a[href="/queues?queue=held"]')]);
    t = await text(page);
    check(t.includes('Queues') && /\d+ items?: held \d+/.test(t), 'the held queue lists its items');
    await page.screenshot({path: path.join(shots, 'queue-held.png'), fullPage: true});
    const row = await page.evaluate(() => {
      for (const tr of document.querySelectorAll('tbody tr')) {
        const cells = [...tr.querySelectorAll('td')].map((td) => td.innerText.trim());
        if (cells[1] === 'account_to_customer' && cells[7] === 'Pending Review')
          return {href: tr.querySelector('a').getAttribute('href'), record: cells[2]};
      }
      return null;
    });
    if (!check(row !== null, 'a held account waiting for review is listed')) throw new Error('no held account');

    // The record.
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${row.href}"]`)]);
    t = await text(page);
    check(t.includes(row.record) && t.includes('Pending Review') && t.includes('held'), `item page of ${row.record}`);
    await page.screenshot({path: path.join(shots, 'item.png'), fullPage: true});

    // Its source values, read from Salesforce now: no subsidiary yet.
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${row.href}/source"]`)]);
    const source = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('tbody tr')].map(
      (tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()))));
    check(source.Id === `"${row.record}"` || source.Id === row.record, `the source record is ${row.record} (${source.Id})`);
    check(source.Subsidiary__c === 'null' && 'BillingCountry' in source, `its source values: Subsidiary__c ${source.Subsidiary__c}`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${row.href}"]`)]);

    // Its source record fixed in the CRM.
    check(await fixAccount(row.record), `Subsidiary__c set on ${row.record} in the Salesforce emulator`);
    const before = await customersCreated(row.record);
    check(before === 0, `no customer ${row.record} in NetSuite before the replay (${before})`);

    // Replay: the dry run first.
    await Promise.all([page.waitForNavigation(), page.click('button#replay')]);
    t = await text(page);
    check(t.includes('A dry run') && t.includes('would be written to erp.Customer'), 'the dry run says it would be written');
    check(t.includes('subsidiary') && t.includes('Acme Inc'), 'the dry run shows the values it would write');
    check(await customersCreated(row.record) === 0, 'the dry run sent nothing to NetSuite');
    await page.screenshot({path: path.join(shots, 'replay-dry-run.png'), fullPage: true});

    // Confirmed, with a note.
    await page.type('textarea#note-replay', 'subsidiary set in Salesforce');
    await Promise.all([page.waitForNavigation({timeout: 120000}), page.click('button#confirm')]);
    t = await text(page);
    const outcome = await page.$eval('#outcome', (el) => el.getAttribute('data-outcome')).catch(() => null);
    check(outcome === 'written' && t.includes('written to erp.Customer'), `replayed: written (${outcome})`);
    check(await customersCreated(row.record) === 1, `NetSuite's journal: customer ${row.record} created once`);
    await Promise.all([page.waitForNavigation(), page.click(`a[href="${row.href}"]`)]);
    t = await text(page);
    check(/replay\s+console:ann\s+subsidiary set in Salesforce: written to erp\.Customer/.test(t),
          'the item\'s history: the replay, by console:ann, with the note');

    // A POST without the CSRF token, from the operator's own page: refused.
    const id = row.href.split('/').pop();
    const noCsrf = await postFrom(page, `/queues/${id}/discard`, {note: 'no token'});
    check(noCsrf === 403, `a discard without the CSRF token answers 403 (got ${noCsrf})`);
    check((await text(page)).includes('CSRF'), 'the refusal says why');
    const wrongCsrf = await postFrom(page, `/queues/${id}/discard`, {note: 'bad token', csrf: 'x'.repeat(43)});
    check(wrongCsrf === 403, `a discard with a wrong CSRF token answers 403 (got ${wrongCsrf})`);

    // A read-only login cannot act.
    const ro = await browser.createBrowserContext();
    const rp = await ro.newPage();
    await rp.goto(`${base}/login`);
    await rp.type('input#token', env.READER_TOKEN);
    await Promise.all([rp.waitForNavigation(), rp.click('button[type="submit"]')]);
    await rp.goto(`${base}/queues?queue=held`);
    const other = await rp.evaluate(() => {
      const a = document.querySelector('tbody tr a');
      return a && a.getAttribute('href');
    });
    await rp.goto(`${base}${other}`);
    t = await text(rp);
    check(t.includes('audit (read_only)') && t.includes('reads only'), 'the read-only login reads the item, no actions offered');
    check(await rp.$('button#replay') === null, 'no replay button for the read-only login');
    const csrf = await rp.$eval('input[name="csrf"]', (el) => el.value);
    for (const verb of ['replay', 'resolve', 'discard']) {
      const s = await postFrom(rp, `${other}/${verb}`, {csrf, note: 'read-only', step: 'confirm'});
      check(s === 403 && (await text(rp)).includes('reads only'), `read-only ${verb} answers 403 (got ${s})`);
    }
    await rp.goto(`${base}${other}`);
    t = await text(rp);
    check(/status\s+open/.test(t), 'the item is still open after the read-only attempts');
    await ro.close();

    // Reading with JavaScript off.
    const nojs = await browser.createBrowserContext();
    const np = await nojs.newPage();
    await np.setJavaScriptEnabled(false);
    await np.goto(`${base}/login`);
    await np.type('input#token', env.READER_TOKEN);
    await Promise.all([np.waitForNavigation(), np.click('button[type="submit"]')]);
    for (const p of ['/', '/queues?queue=held', '/runs', '/reports/data-quality', '/graph']) {
      const resp = await np.goto(`${base}${p}`);
      check(resp.status() === 200 && (await text(np)).length > 100, `JavaScript off: ${p} reads (${resp.status()})`);
    }
    await np.click('a[href^="/runs/"]').catch(() => null);
    await nojs.close();
  } finally {
    await browser.close();
  }
  console.log(`browser: ${steps - failures.length} of ${steps} steps passed; screenshots in ${shots}`);
  return failures.length ? 1 : 0;
}

main().then((rc) => process.exit(rc), (e) => {
  console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
