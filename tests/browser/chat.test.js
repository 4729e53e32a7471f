#!/usr/bin/env node
// End-to-end test of the hub's chat page in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser is downloaded).
//
// Starts `omnisock hub --listen 127.0.0.1:0`, opens the page twice, sends a message from each
// page and checks that both pages show both messages and that the status area counts the
// connections. Saves tests/artifacts/browser-chat.png. Exits non-zero on any failure.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const TARGET = process.env.CARGO_TARGET_DIR || path.join(ROOT, 'target');
const OMNISOCK = process.env.OMNISOCK_BIN || path.join(TARGET, 'release', 'omnisock');
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tests', 'artifacts');
const STEP_TIMEOUT = 15000;
const TOTAL_TIMEOUT = 120000;

let passed = 0;
let failed = 0;
function check(name, ok, detail) {
  if (ok) {
    passed += 1;
    console.log(`ok - ${name}`);
  } else {
    failed += 1;
    console.log(`not ok - ${name}${detail ? `: ${detail}` : ''}`);
  }
}

function startHub() {
  return new Promise((resolve, reject) => {
    const hub = spawn(OMNISOCK, ['hub', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      hub.kill('SIGKILL');
      reject(new Error(`hub did not report "listening on" in time:\n${output}`));
    }, 30000);
    const onData = (chunk) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const m = line.includes('listening on') && line.match(/http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) {
          clearTimeout(timer);
          hub.stdout.off('data', onData);
          hub.stderr.off('data', onData);
          // Keep draining so the hub never blocks on a full pipe.
          hub.stdout.resume();
          hub.stderr.resume();
          resolve({ hub, port: Number(m[1]), output: () => output });
          return;
        }
      }
    };
    hub.stdout.on('data', onData);
    hub.stderr.on('data', onData);
    hub.on('error', (e) => { clearTimeout(timer); reject(e); });
    hub.on('exit', (code) => { clearTimeout(timer); reject(new Error(`hub exited with ${code}:\n${output}`)); });
  });
}

// The number of connections shown in the page's #status area (live JSON from the status
// endpoint), or null when it shows none yet.
async function statusConnections(page) {
  const text = (await page.textContent('#status')) || '';
  try {
    const st = JSON.parse(text);
    const c = st.connections;
    if (Array.isArray(c)) return c.length;
    if (c && typeof c === 'object') return c.open ?? c.current ?? c.active ?? c.total ?? null;
    if (typeof c === 'number') return c;
  } catch (_) {
    // Not plain JSON: fall back to the first "connections" number in the text.
  }
  const m = text.match(/connections"?\s*[:=]?\s*(\d+)/i);
  return m ? Number(m[1]) : null;
}

async function waitFor(what, fn, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function logText(page) {
  return (await page.textContent('#log')) || '';
}

async function sendFrom(page, text) {
  await page.fill('#message', text);
  await page.click('#send');
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const { hub, port, output } = await startHub();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'omnisock-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60000,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const url = `http://127.0.0.1:${port}/`;
    const errors = [];
    const page1 = await context.newPage();
    const page2 = await context.newPage();
    for (const p of [page1, page2]) {
      p.on('pageerror', (e) => errors.push(String(e)));
      // Browsers ask for /favicon.ico on their own; the hub need not have one.
      p.on('console', (m) => {
        if (m.type() === 'error' && !/favicon\.ico/.test((m.location() || {}).url || '')) errors.push(m.text());
      });
      p.on('response', (r) => {
        if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
      });
    }
    const resp = await page1.goto(url);
    check('chat page loads with 200', resp && resp.status() === 200, resp && String(resp.status()));
    await page2.goto(url);
    for (const sel of ['#message', '#send', '#log', '#status']) {
      check(`page has ${sel}`, (await page1.$(sel)) !== null);
    }

    // Both pages have opened their WebSocket (the page shows its state in #state).
    for (const [name, p] of [['page1', page1], ['page2', page2]]) {
      let state = '';
      try {
        await waitFor(`${name} to connect`, async () => (state = (await p.textContent('#state')) || '') === 'open');
      } catch (e) {
        // reported below
      }
      check(`${name} WebSocket is open`, state === 'open', `#state=${JSON.stringify(state)}`);
    }

    // Both pages are connected: the live status shows at least two connections.
    let conns = null;
    try {
      conns = await waitFor('status to show 2 connections', async () => {
        const n = await statusConnections(page1);
        return n !== null && n >= 2 ? n : null;
      });
    } catch (e) {
      conns = `${e.message}; #status=${JSON.stringify(await page1.textContent('#status'))}`;
    }
    check('#status shows >= 2 connections', typeof conns === 'number', String(conns));

    const msg1 = `hello from page one ${Date.now()}`;
    await sendFrom(page1, msg1);
    for (const [name, p] of [['page1 (sender)', page1], ['page2', page2]]) {
      let ok = true;
      try {
        await waitFor(`${name} log to show message`, async () => (await logText(p)).includes(msg1));
      } catch (e) {
        ok = false;
      }
      check(`${name} shows the message sent from page1`, ok, `#log=${JSON.stringify(await logText(p))}`);
    }

    const msg2 = `reply from page two ✓ ${Date.now()}`;
    await sendFrom(page2, msg2);
    let ok = true;
    try {
      await waitFor('page1 log to show the reply', async () => (await logText(page1)).includes(msg2));
    } catch (e) {
      ok = false;
    }
    check('page1 shows the reply sent from page2', ok, `#log=${JSON.stringify(await logText(page1))}`);
    const log1 = await logText(page1);
    check('messages appear in the order sent', log1.indexOf(msg1) >= 0 && log1.indexOf(msg1) < log1.indexOf(msg2));
    check('the input is cleared after sending', (await page1.inputValue('#message')) === '', await page1.inputValue('#message'));

    const shot = path.join(ARTIFACTS, 'browser-chat.png');
    await page1.screenshot({ path: shot, fullPage: true });
    check('screenshot saved', fs.existsSync(shot) && fs.statSync(shot).size > 0, shot);
    check('no page errors', errors.length === 0, errors.join(' | '));
  } finally {
    if (context) await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
    hub.removeAllListeners('exit');
    const alive = hub.exitCode === null && hub.signalCode === null;
    check('hub still running at the end', alive, output());
    hub.kill('SIGTERM');
  }
}

const overall = setTimeout(() => {
  console.log('not ok - browser test exceeded its time limit');
  process.exit(1);
}, TOTAL_TIMEOUT);

main()
  .catch((e) => {
    failed += 1;
    console.log(`not ok - ${e.stack || e}`);
  })
  .finally(() => {
    clearTimeout(overall);
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed === 0 && passed > 0 ? 0 : 1);
  });
